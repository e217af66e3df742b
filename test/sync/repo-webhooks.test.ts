/**
 * Each repository shows its last webhook (`berth repo get`): the commit, the Applications it matched
 * and how long until each was Synced — and, when a push concerned no Application, why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from './git-repo.js';
import { berthCLI, configMap, gitPush, startSyncCluster, type SyncCluster } from './sync-harness.js';

let c: SyncCluster;
let work: TestRepo;
beforeAll(async () => {
  c = await startSyncCluster();
  work = makeRepo();
}, 120_000);
afterAll(async () => {
  await c?.stop();
  work?.remove();
});

const berth = (...args: string[]) => berthCLI(c.cluster.kubeconfig, ...args);

describe('berth repo get', () => {
  let url: string;
  it('shows the matched Application and how long until it synced', async () => {
    const created = await berth('repo', 'create', 'hooks', '--data-dir', c.dataDir);
    expect(created.code, created.stderr).toBe(0);
    url = created.stdout.trim().split('\n').at(-1)!;
    const sha = work.commit('one config map', { 'app/cm.yaml': configMap('hooked') });
    await c.createApp('hooked', { source: { repoURL: url, targetRevision: 'main', path: 'app' }, destination: { namespace: 'default' }, syncPolicy: { automated: {} } });
    expect(await gitPush(work.work, url, 'main')).toMatch(/berth: syncing default\/hooked/);
    await c.waitApp('hooked', (a) => a.status?.sync?.status === 'Synced' && a.status.sync.revision === sha);
    let out = '';
    // the webhook record completes when the controller reports the Application Synced
    for (let i = 0; i < 100 && !out.includes('synced '); i++) {
      const r = await berth('repo', 'get', 'hooks', '--data-dir', c.dataDir);
      expect(r.code, r.stderr).toBe(0);
      out = r.stdout;
    }
    expect(out).toContain(`Repository:    ${url.replace(/\.git$/, '')}`);
    expect(out).toMatch(new RegExp(`Last webhook: .* refs/heads/main ${sha.slice(0, 7)}`));
    expect(out).toContain('Result:        matched: syncing default/hooked');
    expect(out).toMatch(/ {2}default\/hooked {2}synced \d+\.\d\ds after the webhook/);
  }, 120_000);

  it('says why nothing happened for a push no Application follows', async () => {
    work.commit('on a branch', { 'app/cm.yaml': configMap('hooked', { a: '2' }) }, 'feature');
    expect(await gitPush(work.work, url, 'feature')).toContain('follow other revisions');
    const r = await berth('repo', 'get', url, '--data-dir', c.dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Result:        nothing: the Applications tracking ${url.replace(/\.git$/, '')} follow other revisions than refs/heads/feature: default/hooked (main)`);
  }, 60_000);
});
