/**
 * `berth app diff`: exit 0 and nothing when in sync; after `kubectl scale` the field path and a
 * unified YAML diff, exit 1; a new commit not synced yet shows what a sync would create and what a
 * prune would delete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from './git-repo.js';
import { berthCLI, configMap, deployment, startSyncCluster, type SyncCluster } from './sync-harness.js';

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

describe('berth app diff', () => {
  it('is silent with exit 0 when the Application is in sync', async () => {
    const sha = repo.commit('web', { 'web/deploy.yaml': deployment('web', 2), 'web/cm.yaml': configMap('web-config') });
    // synced by hand only: live changes and new commits stay until the next `berth app sync`
    await c.createApp('web', { source: { repoURL: repo.bare, targetRevision: 'main', path: 'web' }, destination: { namespace: 'default' } });
    const sync = await berth('app', 'sync', 'web');
    expect(sync.code, sync.stderr).toBe(0);
    await c.waitApp('web', (a) => a.status?.sync?.status === 'Synced' && a.status.sync.revision === sha);
    const r = await berth('app', 'diff', 'web');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`default/web is in sync with ${sha.slice(0, 7)}`);
  }, 60_000);

  it('shows the drifted field path and a unified diff, exit 1', async () => {
    const k = await c.cluster.kubectl(['scale', 'deployment/web', '--replicas=5', '-n', 'default']);
    expect(k.code, k.stderr).toBe(0);
    const r = await berth('app', 'diff', 'web');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('===== apps/Deployment default/web ======\nchanged: .spec.replicas\n--- live\n+++ desired\n');
    expect(r.stdout).toMatch(/^- {2}replicas: 5$/m);
    expect(r.stdout).toMatch(/^\+ {2}replicas: 2$/m);
    expect(r.stdout).not.toContain('ConfigMap');
  }, 60_000);

  it('shows what a sync of a new commit would create and what a prune would delete', async () => {
    repo.commit('swap the config map', { 'web/cm.yaml': undefined, 'web/cm2.yaml': configMap('web-config-2') });
    const r = await berth('app', 'diff', 'web');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('===== ConfigMap default/web-config-2 ======\nmissing: a sync would create it\n');
    expect(r.stdout).toContain('===== ConfigMap default/web-config ======\nextra: a prune would delete it\n');
  }, 60_000);
});
