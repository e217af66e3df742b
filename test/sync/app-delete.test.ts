/**
 * Deleting an Application with its objects (`berth app delete NAME`, the resources finalizer) or
 * without them (`--cascade=false`): only objects still carrying the Application's instance label
 * go, and an object marked prune=false stays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { applicationsRef } from '../../src/sync/app/application-controller.js';
import { makeRepo, type TestRepo } from './git-repo.js';
import { berthCLI, configMap, startSyncCluster, type SyncCluster } from './sync-harness.js';

let c: SyncCluster;
let repo: TestRepo;
beforeAll(async () => {
  c = await startSyncCluster();
  repo = makeRepo();
}, 120_000);
afterAll(async () => {
  await c?.stop();
  repo?.remove();
});

const berth = (...args: string[]) => berthCLI(c.cluster.kubeconfig, ...args);
const cm = (name: string) => c.admin.find<KubeObject>(refs.configmaps, name, 'default');
async function gone(name: string): Promise<void> {
  for (let i = 0; i < 600 && (await c.admin.find(applicationsRef, name, 'default')); i++) await new Promise((r) => setTimeout(r, 100));
}

describe('berth app delete', () => {
  it('deletes what the Application applied, except objects another owner took or prune=false protects', async () => {
    repo.commit('two apps', {
      'one/a.yaml': configMap('one-a'),
      'one/b.yaml': configMap('one-b'),
      'one/kept.yaml': configMap('one-kept').replace('metadata:\n', 'metadata:\n  annotations: { app.berth.dev/prune: "false" }\n'),
      'two/c.yaml': configMap('two-c'),
    });
    await c.createApp('one', { source: { repoURL: repo.bare, targetRevision: 'main', path: 'one' }, destination: { namespace: 'default' }, syncPolicy: { automated: {} } });
    await c.createApp('two', { source: { repoURL: repo.bare, targetRevision: 'main', path: 'two' }, destination: { namespace: 'default' }, syncPolicy: { automated: {} } });
    await c.waitApp('one', (a) => a.status?.sync?.status === 'Synced');
    await c.waitApp('two', (a) => a.status?.sync?.status === 'Synced');
    // someone relabels one-b: it is no longer the Application's to delete
    await c.admin.patch(refs.configmaps, 'one-b', 'merge', { metadata: { labels: { 'app.berth.dev/instance': 'default.someone-else' } } }, { namespace: 'default' });

    const r = await berth('app', 'delete', 'one');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('application.berth.dev/one deleted (its objects are being deleted)');
    await gone('one');
    expect(await cm('one-a')).toBeUndefined();
    expect(await cm('one-b')).toBeDefined();
    expect(await cm('one-kept')).toBeDefined();
    expect(await cm('two-c')).toBeDefined();
  }, 120_000);

  it('--cascade=false leaves the objects', async () => {
    const r = await berth('app', 'delete', 'two', '--cascade=false');
    expect(r.code, r.stderr).toBe(0);
    await gone('two');
    expect(await cm('two-c')).toBeDefined();
  }, 120_000);
});
