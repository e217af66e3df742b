/**
 * The user's path end to end through the CLI: `berth repo create`, `berth app create --auto`,
 * `git push` (the post-receive hook pokes the webhook), `berth app wait`, `get -o json`, `history`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import type { Application } from '../../src/sync/app/types.js';
import { makeRepo, type TestRepo } from './git-repo.js';
import { berthCLI, deployment, gitPush as push, startSyncCluster, type SyncCluster } from './sync-harness.js';

let c: SyncCluster;
let work: TestRepo;
beforeAll(async () => {
  c = await startSyncCluster();
  work = makeRepo();
});
afterAll(async () => {
  await c?.stop();
  work?.remove();
});

const gitPush = (url: string) => push(work.work, url, 'main');
const berth = (...args: string[]) => berthCLI(c.cluster.kubeconfig, ...args);

describe('berth repo + berth app', () => {
  let pushURL: string;
  it('repo create prints the push URL last', async () => {
    const r = await berth('repo', 'create', 'demo', '--data-dir', c.dataDir);
    expect(r.code, r.stderr).toBe(0);
    pushURL = r.stdout.trim().split('\n').at(-1)!;
    expect(pushURL).toMatch(/repos\/demo\.git$/);
  });

  it('git push deploys; wait, get -o json and history show it', async () => {
    const r = await berth('app', 'create', 'demo', '--repo', pushURL, '--path', 'deploy', '--revision', 'main', '--dest-namespace', 'default', '--auto', '--prune', '--self-heal');
    expect(r.code, r.stderr).toBe(0);
    work.commit('demo v1', { 'deploy/web.yaml': deployment('demo-web', 2) });
    expect(await gitPush(pushURL)).toMatch(/berth: syncing default\/demo/);
    const w = await berth('app', 'wait', 'demo', '--synced', '--timeout', '20s');
    expect(w.code, w.stderr).toBe(0);
    expect((await c.admin.get<KubeObject & { spec: { replicas: number } }>(refs.deployments, 'demo-web', 'default')).spec.replicas).toBe(2);
    const sha = work.commit('demo v2', { 'deploy/web.yaml': deployment('demo-web', 3) });
    await gitPush(pushURL);
    await c.waitApp('demo', (a) => a.status?.sync?.revision === sha && a.status.sync.status === 'Synced');
    const got = JSON.parse((await berth('app', 'get', 'demo', '-o', 'json')).stdout) as Application;
    expect(got.status!.sync!.message).toBe('demo v2');
    const h = await berth('app', 'history', 'demo');
    expect(h.stdout).toMatch(/demo v1/);
    expect(h.stdout).toMatch(/demo v2/);
  }, 60_000);
});
