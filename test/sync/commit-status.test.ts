/**
 * Commit statuses from syncs, received by a real local HTTP server: an annotated Application posts
 * pending then success with the commit's sha (generic payload, token from a Secret), a bad commit
 * posts failure in the GitHub shape, and a webhook that never answers holds up no sync.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { applicationsRef } from '../../src/sync/app/application-controller.js';
import type { Application } from '../../src/sync/app/types.js';
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest } from '../harness/http-receiver.js';
import { makeRepo, type TestRepo } from './git-repo.js';
import { configMap, startSyncCluster, type SyncCluster } from './sync-harness.js';

let c: SyncCluster;
let repo: TestRepo;
let rx: HttpReceiver;
let hang: HttpReceiver;
beforeAll(async () => {
  [c, rx, hang] = await Promise.all([startSyncCluster(), startHttpReceiver(), startHttpReceiver(() => 'hang')]);
  repo = makeRepo();
});
afterAll(async () => {
  await c?.stop();
  await rx?.close();
  await hang?.close();
  repo?.remove();
});

const body = (r: ReceivedRequest) => JSON.parse(r.body) as Record<string, string>;
const app = (name: string, path: string, annotations: Record<string, string>): Application =>
  ({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'default', annotations },
    spec: { source: { repoURL: repo.bare, targetRevision: 'main', path }, destination: { namespace: 'default' }, syncPolicy: { automated: { prune: true } } },
  }) as Application;

describe('commit statuses after a sync', () => {
  it('posts pending, then success with the sha, to the generic webhook with the Secret token', async () => {
    await c.admin.create(refs.secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hook-token', namespace: 'default' }, data: { token: Buffer.from('s3cret').toString('base64') } } as KubeObject);
    const sha = repo.commit('a config map', { 'ok/cm.yaml': configMap('ok-config') });
    await c.admin.create(applicationsRef, app('ok', 'ok', { 'notify.berth.dev/url': `${rx.url}/hook`, 'notify.berth.dev/token-secret': 'hook-token', 'notify.berth.dev/target-url': 'https://berth.example/apps/ok' }));
    await c.waitApp('ok', (a) => a.status?.sync?.status === 'Synced' && a.status.sync.revision === sha, 'default');
    const got = await rx.waitFor((rs) => rs.filter((r) => r.url === '/hook').length >= 2);
    const hooks = got.filter((r) => r.url === '/hook');
    expect(hooks.map((r) => [body(r).state, body(r).sha])).toEqual([
      ['pending', sha],
      ['success', sha],
    ]);
    expect(body(hooks[0])).toMatchObject({ context: 'berth/sync/default/ok', kind: 'sync', repoURL: repo.bare, targetUrl: 'https://berth.example/apps/ok', description: `syncing ${sha.slice(0, 7)} into namespace default` });
    expect(body(hooks[1]).description).toMatch(new RegExp(`^applied revision ${sha.slice(0, 7)}; health \\w+$`));
    for (const h of hooks) expect(h.headers.authorization).toBe('Bearer s3cret');
  });

  it('posts failure for a commit that does not render, in the GitHub shape', async () => {
    const good = repo.commit('gh app', { 'gh/cm.yaml': configMap('gh-config') });
    await c.admin.create(applicationsRef, app('gh', 'gh', { 'notify.berth.dev/url': rx.url, 'notify.berth.dev/format': 'github', 'notify.berth.dev/repository': 'acme/shop' }));
    await rx.waitFor((rs) => rs.some((r) => r.url === `/repos/acme/shop/statuses/${good}` && body(r).state === 'success'));
    const bad = repo.commit('broken', { 'gh/cm.yaml': 'kind: ConfigMap\nmetadata: {name: [\n' });
    await c.sync.pokeRepo(repo.bare);
    const [failure] = (await rx.waitFor((rs) => rs.some((r) => r.url === `/repos/acme/shop/statuses/${bad}`))).filter((r) => r.url === `/repos/acme/shop/statuses/${bad}`);
    expect(body(failure)).toMatchObject({ state: 'failure', context: 'berth/sync/default/gh' });
    expect(body(failure).description).toMatch(/^RenderFailed: .*gh\/cm\.yaml:\d+/);
    expect(body(failure).description.length).toBeLessThanOrEqual(140);
    expect(Object.keys(body(failure)).sort()).toEqual(['context', 'description', 'state']);
  });

  it('a webhook that never answers holds up no sync, and the undelivered status becomes a Warning event', async () => {
    const sha = repo.commit('slow hook', { 'slow/cm.yaml': configMap('slow-config') });
    await c.admin.create(applicationsRef, app('slow', 'slow', { 'notify.berth.dev/url': hang.url }));
    await c.waitApp('slow', (a) => a.status?.sync?.status === 'Synced' && a.status.sync.revision === sha, 'default');
    expect(await c.admin.find(refs.configmaps, 'slow-config', 'default')).toBeDefined();
    // 3 attempts of 5 s each, then the event
    for (const deadline = Date.now() + 60_000; ; ) {
      const events = await c.admin.list<KubeObject & { reason?: string; message?: string; involvedObject?: { name?: string } }>(refs.events, { namespace: 'default' });
      const e = events.items.find((x) => x.reason === 'CommitStatusFailed' && x.involvedObject?.name === 'slow');
      if (e) {
        expect(e.message).toMatch(/not delivered after 3 attempts: .*no answer within 5000 ms/);
        break;
      }
      expect(Date.now(), 'no CommitStatusFailed event').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }, 90_000);
});
