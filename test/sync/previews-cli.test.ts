/**
 * Previews through the user's path: `berth repo create`, `berth preview create`, `git push` of a
 * preview branch (the post-receive hook pokes the webhook), `berth preview list|get`, `git push
 * --delete` removing the preview at the webhook, `berth preview delete`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { previewSetsRef } from '../../src/sync/previews/preview-controller.js';
import type { PreviewSet } from '../../src/sync/previews/types.js';
import { makeRepo, type TestRepo } from './git-repo.js';
import { berthCLI, configMap, gitPush as push, startSyncCluster, type SyncCluster } from './sync-harness.js';

let c: SyncCluster;
let work: TestRepo;
const T = 60_000;
beforeAll(async () => {
  c = await startSyncCluster();
  work = makeRepo();
});
afterAll(async () => {
  await c?.stop();
  work?.remove();
});

const gitPush = (...args: string[]) => push(work.work, ...args);
const berth = (...args: string[]) => berthCLI(c.cluster.kubeconfig, ...args);

const waitSet = async (pred: (s: PreviewSet) => boolean) => (await c.waitFor<PreviewSet>(previewSetsRef, 'shop', (s) => !!s && pred(s)))!;

describe('berth preview', () => {
  let pushURL: string;
  let namespace: string;
  it('create refuses a set without refs, then makes one', async () => {
    pushURL = (await berth('repo', 'create', 'shop', '--data-dir', c.dataDir)).stdout.trim().split('\n').at(-1)!;
    const bad = await berth('preview', 'create', 'shop', '--repo', pushURL, '--path', 'deploy');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--branches .* or --refs/);
    const r = await berth('preview', 'create', 'shop', '--repo', pushURL, '--path', 'deploy', '--branches', 'pr/*', '--quota', 'pods=4,count/configmaps=10', '--default-limits', 'memory=128Mi', '--ttl', '72h');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/previewset.berth.dev\/shop created/);
    const s = await c.admin.get<PreviewSet>(previewSetsRef, 'shop', 'default');
    expect(s.spec).toMatchObject({ branches: ['pr/*'], ttl: '72h', resourceQuota: { hard: { pods: '4', 'count/configmaps': '10' } }, limitRange: { limits: [{ type: 'Container', default: { memory: '128Mi' } }] } });
  }, T);

  it('a pushed pr/ branch becomes a preview that list and get show', async () => {
    work.commit('main', { 'deploy/cm.yaml': configMap('shop', { v: 'main' }) });
    await gitPush(pushURL, 'main');
    work.commit('try a change', { 'deploy/cm.yaml': configMap('shop', { v: 'pr' }) }, 'pr/cart');
    expect(await gitPush(pushURL, 'pr/cart')).toMatch(/berth: syncing .*PreviewSet default\/shop/);
    const s = await waitSet((x) => x.status?.previews?.[0]?.sync === 'Synced');
    namespace = s.status!.previews![0].namespace;
    expect((await c.admin.get<KubeObject & { data: Record<string, string> }>(refs.configmaps, 'shop', namespace)).data).toEqual({ v: 'pr' });
    const list = await berth('preview', 'list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^SET\s+REF\s+NAMESPACE\s+COMMIT\s+SYNC\s+HEALTH\s+EXPIRES\s+URL\s+MESSAGE/);
    expect(list.stdout).toMatch(new RegExp(`\\nshop\\s+pr/cart\\s+${namespace}\\s+[0-9a-f]{7}\\s+Synced\\s+Healthy\\s+in (2d23h|3d)`));
    const get = await berth('preview', 'get', 'shop');
    expect(get.stdout).toMatch(/Refs:\s+branches pr\/\*/);
    expect(get.stdout).toMatch(/\nREF\s+NAMESPACE/);
    const json = JSON.parse((await berth('preview', 'get', 'shop', '-o', 'json')).stdout) as PreviewSet;
    expect(json.status!.previews![0]).toMatchObject({ ref: 'refs/heads/pr/cart', namespace, phase: 'Active' });
  }, T);

  it('delete --ref deletes one preview until its branch gets a new commit', async () => {
    const r = await berth('preview', 'delete', 'shop', '--ref', 'pr/cart');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`preview pr/cart of previewset.berth.dev/shop deleted \\(namespace ${namespace}\\)`));
    const s = await waitSet((x) => x.status?.previews?.[0]?.phase === 'Deleted');
    expect(s.status!.previews![0]).toMatchObject({ reason: 'Deleted', message: expect.stringMatching(/new commit brings it back/) });
    await c.waitFor<KubeObject>(refs.namespaces, namespace, (n) => !n || !!n.metadata?.deletionTimestamp);
    expect((await berth('preview', 'list')).stdout).toMatch(/\nshop\s+pr\/cart\s+<deleted>\s+[0-9a-f]{7}\s+.*deleted\s+Deleted: /);
    await c.waitFor<KubeObject>(refs.namespaces, namespace, (n) => !n);
    const sha = work.commit('another change', { 'deploy/cm.yaml': configMap('shop', { v: 'pr2' }) }, 'pr/cart');
    await gitPush(pushURL, 'pr/cart');
    await waitSet((x) => x.status?.previews?.[0]?.commit === sha && x.status.previews[0].phase === 'Active' && x.status.previews[0].sync === 'Synced');
    expect((await c.admin.get<KubeObject & { data: Record<string, string> }>(refs.configmaps, 'shop', namespace)).data).toEqual({ v: 'pr2' });
  }, T);

  it('git push --delete of the branch removes its preview at the webhook', async () => {
    await gitPush(pushURL, '--delete', 'pr/cart');
    await waitSet((x) => x.status?.previews?.length === 0);
    await c.waitFor<KubeObject>(refs.namespaces, namespace, (n) => !n || !!n.metadata?.deletionTimestamp);
    expect((await berth('preview', 'list')).stdout).toMatch(/No previews found in default namespace/);
  }, T);

  it('delete removes the PreviewSet', async () => {
    const r = await berth('preview', 'delete', 'shop');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/previewset.berth.dev\/shop deleted/);
    await c.waitFor(previewSetsRef, 'shop', (s) => !s);
  }, T);
});
