/**
 * dependsOn between Applications: an Application waits (BlockedOn, nothing applied) until the
 * Application it depends on exists and is Synced and Healthy at its current revision, and is
 * re-evaluated when that Application changes — no poke of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { Application } from '../../src/sync/app/types.js';
import { makeRepo, type TestRepo } from './git-repo.js';
import { configMap, deployment, startSyncCluster, type SyncCluster } from './sync-harness.js';

let c: SyncCluster;
let webRepo: TestRepo;
let dbRepo: TestRepo;
beforeAll(async () => {
  c = await startSyncCluster();
  webRepo = makeRepo();
  dbRepo = makeRepo();
}, 120_000);
afterAll(async () => {
  await c?.stop();
  webRepo?.remove();
  dbRepo?.remove();
});

const cond = (a: Application, type: string) => a.status?.conditions?.find((x) => x.type === type);
const auto = { automated: { prune: true, selfHeal: true } };

describe('an Application that depends on another', () => {
  it('waits for a dependency that does not exist yet, applying nothing', async () => {
    webRepo.commit('web', { 'web/cm.yaml': configMap('web-config') });
    await c.createApp('web', { source: { repoURL: webRepo.bare, targetRevision: 'main', path: 'web' }, destination: { namespace: 'default' }, dependsOn: [{ name: 'db' }], syncPolicy: auto });
    const web = await c.waitApp('web', (a) => cond(a, 'BlockedOn')?.status === 'True');
    expect(cond(web, 'BlockedOn')).toMatchObject({ reason: 'DependencyNotFound', message: 'waiting for Application default/db: it does not exist' });
    expect(cond(web, 'Ready')).toMatchObject({ status: 'False', reason: 'Blocked' });
    expect(await c.admin.find(refs.configmaps, 'web-config', 'default')).toBeUndefined();
  });

  it('waits while the dependency is not Healthy, and says so', async () => {
    // no nodes in this cluster: a Deployment with a replica never becomes available
    dbRepo.commit('db with a replica', { 'db/deploy.yaml': deployment('db', 1) });
    await c.createApp('db', { source: { repoURL: dbRepo.bare, targetRevision: 'main', path: 'db' }, destination: { namespace: 'default' }, syncPolicy: auto });
    await c.waitApp('db', (a) => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Progressing');
    const web = await c.waitApp('web', (a) => cond(a, 'BlockedOn')?.message.includes('Progressing') ?? false);
    expect(cond(web, 'BlockedOn')!.reason).toBe('DependencyNotReady');
    expect(cond(web, 'BlockedOn')!.message).toMatch(/^waiting for Application default\/db to be Synced and Healthy \(it is Synced and Progressing at [0-9a-f]{7}\)$/);
    expect(await c.admin.find(refs.configmaps, 'web-config', 'default')).toBeUndefined();
  });

  it('syncs once the dependency is Healthy at its new revision, driven by the dependency changing', async () => {
    const sha = dbRepo.commit('db scaled to zero', { 'db/deploy.yaml': deployment('db', 0) });
    // only db's repository is announced; web learns from db's status through the watch
    expect(await c.sync.pokeRepo(dbRepo.bare)).toEqual(['default/db']);
    await c.waitApp('db', (a) => a.status?.sync?.revision === sha && a.status.health?.status === 'Healthy');
    const web = await c.waitApp('web', (a) => a.status?.sync?.status === 'Synced');
    expect(cond(web, 'BlockedOn')).toMatchObject({ status: 'False', reason: 'DependenciesReady', message: `ready: default/db at ${sha.slice(0, 7)}` });
    expect(web.status!.dependencies).toEqual({ 'default/db': sha });
    expect(cond(web, 'Ready')).toMatchObject({ status: 'True', reason: 'Synced' });
    expect(await c.admin.find(refs.configmaps, 'web-config', 'default')).toBeDefined();
  });
});
