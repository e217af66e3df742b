/**
 * What sync must never do: prune another Application's objects, or change anything when the source
 * is gone. And rollback: pinned to an earlier commit until a newer one arrives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { applicationsRef, PIN_ANNOTATION, PIN_SOURCE_ANNOTATION } from '../../src/sync/app/application-controller.js';
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

const auto = { automated: { prune: true, selfHeal: true }, pruneBudget: 1 };
const ready = (reason: string) => (a: { status?: { conditions?: { type: string; reason: string }[] } }) => a.status?.conditions?.some((x) => x.type === 'Ready' && x.reason === reason) ?? false;

describe('two Applications', () => {
  it('never prune each other’s objects', async () => {
    const sha = repo.commit('two apps', { 'a/cm.yaml': configMap('shared'), 'a/a.yaml': configMap('only-a'), 'b/b.yaml': configMap('only-b') });
    await c.createApp('a', { source: { repoURL: repo.bare, targetRevision: 'main', path: 'a' }, destination: { namespace: 'default' }, syncPolicy: auto });
    await c.waitApp('a', (x) => x.status?.sync?.revision === sha && x.status.sync.status === 'Synced');
    // b takes over "shared" (its label now says b); a then drops it from Git: a must not delete it
    const sha2 = repo.commit('b adopts shared', { 'a/cm.yaml': undefined, 'b/cm.yaml': configMap('shared') });
    await c.createApp('b', { source: { repoURL: repo.bare, targetRevision: 'main', path: 'b' }, destination: { namespace: 'default' }, syncPolicy: auto });
    await c.waitApp('b', (x) => x.status?.sync?.revision === sha2 && x.status.sync.status === 'Synced');
    await c.sync.pokeRepo(repo.bare);
    await c.waitApp('a', (x) => x.status?.sync?.revision === sha2 && x.status.sync.status === 'Synced');
    const shared = await c.admin.get<KubeObject>(refs.configmaps, 'shared', 'default');
    expect(shared.metadata!.labels!['app.berth.dev/instance']).toBe('default.b');
    expect(await c.admin.find(refs.configmaps, 'only-a', 'default')).toBeDefined();
    expect(await c.admin.find(refs.configmaps, 'only-b', 'default')).toBeDefined();
  });
});

describe('a source that goes away', () => {
  it('a deleted branch is a clear condition and the last good state keeps running', async () => {
    const sha = repo.commit('on a branch', { 'c/deploy.yaml': deployment('c-web', 2) }, 'release');
    await c.createApp('c', { source: { repoURL: repo.bare, targetRevision: 'release', path: 'c' }, destination: { namespace: 'default' }, syncPolicy: auto });
    await c.waitApp('c', (x) => x.status?.sync?.revision === sha && x.status.sync.status === 'Synced');
    repo.git('checkout', '-q', 'main');
    repo.git('push', '-q', 'origin', '--delete', 'release');
    await c.sync.pokeRepo(repo.bare);
    const app = await c.waitApp('c', ready('RevisionNotFound'));
    expect(app.status!.conditions!.find((x) => x.type === 'Ready')!.message).toMatch(/revision "release" not found/);
    expect(app.status!.sync).toMatchObject({ status: 'Unknown', revision: sha });
    expect(await c.admin.find(refs.deployments, 'c-web', 'default')).toBeDefined();
  });

  it('an unreachable repository is a clear condition', async () => {
    await c.createApp('gone', { source: { repoURL: '/nonexistent/repo.git', path: '.' }, destination: { namespace: 'default' }, syncPolicy: auto });
    const app = await c.waitApp('gone', ready('FetchFailed'));
    expect(app.status!.conditions!.find((x) => x.type === 'Ready')!.message).toMatch(/no git repository at \/nonexistent\/repo.git/);
  });
});

describe('rollback', () => {
  it('restores the earlier revision until a newer commit arrives', async () => {
    const v1 = repo.commit('r v1', { 'r/deploy.yaml': deployment('r-web', 1) }, 'main');
    await c.createApp('r', { source: { repoURL: repo.bare, targetRevision: 'main', path: 'r' }, destination: { namespace: 'default' }, syncPolicy: auto });
    await c.waitApp('r', (x) => x.status?.sync?.revision === v1 && x.status.sync.status === 'Synced');
    const v2 = repo.commit('r v2', { 'r/deploy.yaml': deployment('r-web', 4) });
    await c.sync.pokeRepo(repo.bare);
    const app = await c.waitApp('r', (x) => x.status?.sync?.revision === v2 && x.status.sync.status === 'Synced');
    expect(app.status!.history!.map((h) => h.revision)).toEqual([v1, v2]);
    await c.admin.patch(applicationsRef, 'r', 'merge', { metadata: { annotations: { [PIN_ANNOTATION]: v1, [PIN_SOURCE_ANNOTATION]: v2 } } }, { namespace: 'default' });
    const pinned = await c.waitApp('r', (x) => x.status?.sync?.revision === v1 && x.status.sync.status === 'Synced');
    expect(pinned.status!.pinned).toMatchObject({ revision: v1, sourceRevision: v2 });
    expect((await c.admin.get<KubeObject & { spec: { replicas: number } }>(refs.deployments, 'r-web', 'default')).spec.replicas).toBe(1);
    const v3 = repo.commit('r v3', { 'r/deploy.yaml': deployment('r-web', 2) });
    await c.sync.pokeRepo(repo.bare);
    const lifted = await c.waitApp('r', (x) => x.status?.sync?.revision === v3 && x.status.sync.status === 'Synced');
    expect(lifted.status!.pinned).toBeUndefined();
    expect(lifted.metadata!.annotations?.[PIN_ANNOTATION]).toBeUndefined();
  });
});
