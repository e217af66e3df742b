/**
 * Git push deploys: an automated Application follows its branch (webhook-triggered), a bad commit
 * changes nothing and says file:line, drift on a self-heal app is reverted, unchanged objects are
 * not re-applied.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import { applicationsRef } from '../../src/sync/app/application-controller.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { makeRepo, type TestRepo } from './git-repo.js';
import { configMap, deployment, startSyncCluster, type SyncCluster } from './sync-harness.js';

let c: SyncCluster;
let repo: TestRepo;
beforeAll(async () => {
  c = await startSyncCluster();
  repo = makeRepo();
});
afterAll(async () => {
  await c?.stop();
  repo?.remove();
});

const replicas = async (name: string) => ((await c.admin.get<KubeObject & { spec: { replicas: number } }>(refs.deployments, name, 'default')).spec.replicas);

describe('an automated, self-healing Application', () => {
  let first: string;
  it('applies the path and reports Synced with the commit', async () => {
    first = repo.commit('web at 2 replicas', { 'apps/web/deploy.yaml': deployment('web', 2), 'apps/web/cm.yaml': configMap('web-config'), 'other/x.yaml': configMap('not-mine') });
    await c.createApp('web', { source: { repoURL: repo.bare, targetRevision: 'main', path: 'apps/web' }, destination: { namespace: 'default' }, syncPolicy: { automated: { prune: true, selfHeal: true } } });
    const app = await c.waitApp('web', (a) => a.status?.sync?.status === 'Synced' && a.status.sync.revision === first);
    expect(app.status!.sync).toMatchObject({ author: 'Ada <ada@example.com>', message: 'web at 2 replicas' });
    expect(app.status!.resources!.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(['ConfigMap/web-config', 'Deployment/web']);
    expect(await replicas('web')).toBe(2);
    expect(await c.admin.find(refs.configmaps, 'not-mine', 'default')).toBeUndefined();
    const cm = await c.admin.get<KubeObject>(refs.configmaps, 'web-config', 'default');
    expect(cm.metadata!.labels!['app.berth.dev/instance']).toBe('default.web');
  });

  it('a pushed replica change is followed (webhook poke)', async () => {
    const cmBefore = (await c.admin.get<KubeObject>(refs.configmaps, 'web-config', 'default')).metadata!.resourceVersion;
    const sha = repo.commit('scale to 3', { 'apps/web/deploy.yaml': deployment('web', 3) });
    expect(await c.sync.pokeRepo(repo.bare, 'refs/heads/main')).toEqual(['default/web']);
    await c.waitApp('web', (a) => a.status?.sync?.revision === sha && a.status.sync.status === 'Synced');
    expect(await replicas('web')).toBe(3);
    // an object that did not drift is not re-applied
    expect((await c.admin.get<KubeObject>(refs.configmaps, 'web-config', 'default')).metadata!.resourceVersion).toBe(cmBefore);
  });

  it('a bad manifest changes nothing and names file:line', async () => {
    const good = (await c.waitApp('web', () => true)).status!.sync!.revision;
    repo.commit('broken', { 'apps/web/deploy.yaml': deployment('web', 5) + '  bad: [unclosed\n' });
    await c.sync.pokeRepo(repo.bare);
    const app = await c.waitApp('web', (a) => a.status?.conditions?.some((x) => x.type === 'Ready' && x.reason === 'RenderFailed') ?? false);
    expect(app.status!.conditions!.find((x) => x.type === 'Ready')!.message).toMatch(/apps\/web\/deploy\.yaml:\d+/);
    expect(app.status!.sync).toMatchObject({ status: 'OutOfSync', revision: good });
    expect(await replicas('web')).toBe(3);
  });

  it('kubectl scale is reverted (self-heal)', async () => {
    const sha = repo.commit('fixed', { 'apps/web/deploy.yaml': deployment('web', 3) });
    await c.sync.pokeRepo(repo.bare);
    await c.waitApp('web', (a) => a.status?.sync?.revision === sha && a.status.sync.status === 'Synced');
    const r = await c.cluster.kubectl(['scale', 'deployment/web', '--replicas=7', '-n', 'default']);
    expect(r.code, r.stderr).toBe(0);
    for (;;) {
      const d = await c.admin.get<KubeObject & { spec: { replicas: number } }>(refs.deployments, 'web', 'default');
      if (d.spec.replicas === 3) break;
      for await (const ev of c.admin.watch<KubeObject & { spec: { replicas: number } }>(refs.deployments, { namespace: 'default', fieldSelector: 'metadata.name=web', resourceVersion: d.metadata!.resourceVersion, timeoutSeconds: 5 })) {
        if (ev.object.spec?.replicas === 3) break;
      }
    }
    expect(await replicas('web')).toBe(3);
  });

  it('removing a file prunes its object', async () => {
    repo.commit('drop the config map', { 'apps/web/cm.yaml': undefined, 'apps/web/cm2.yaml': configMap('web-config-2'), 'apps/web/cm3.yaml': configMap('web-config-3'), 'apps/web/cm4.yaml': configMap('web-config-4') });
    await c.sync.pokeRepo(repo.bare);
    const app = await c.waitApp('web', (a) => a.status?.resources?.length === 4 && a.status.sync?.status === 'Synced');
    expect(app.status!.resources!.map((r) => r.name).sort()).toEqual(['web', 'web-config-2', 'web-config-3', 'web-config-4']);
    expect(await c.admin.find(refs.configmaps, 'web-config', 'default')).toBeUndefined();
  });

  it('a prune over the deletion budget stops and asks for --allow-prune', async () => {
    repo.commit('drop most', { 'apps/web/cm2.yaml': undefined, 'apps/web/cm3.yaml': undefined });
    await c.sync.pokeRepo(repo.bare);
    const app = await c.waitApp('web', (a) => a.status?.conditions?.some((x) => x.reason === 'PruneBlocked') ?? false);
    expect(app.status!.conditions!.find((x) => x.type === 'Ready')!.message).toMatch(/--allow-prune/);
    expect(await c.admin.find(refs.configmaps, 'web-config-2', 'default')).toBeDefined();
    await c.admin.patch(applicationsRef, 'web', 'merge', { metadata: { annotations: { 'app.berth.dev/sync-request': JSON.stringify({ id: 'r1', allowPrune: true, by: 'test' }) } } }, { namespace: 'default' });
    await c.waitApp('web', (a) => a.status?.operationState?.requestId === 'r1' && a.status.sync?.status === 'Synced');
    expect(await c.admin.find(refs.configmaps, 'web-config-2', 'default')).toBeUndefined();
  });

  it('history records each sync, newest last, with the commit', async () => {
    const app = await c.waitApp('web', () => true);
    const h = app.status!.history!;
    expect(h.length).toBeGreaterThanOrEqual(4);
    expect(h[0]).toMatchObject({ id: 1, revision: first, result: 'Succeeded', initiatedBy: 'automated' });
    expect(h.at(-1)).toMatchObject({ initiatedBy: 'test' });
  });
});
