/**
 * Pull-request previews against a real cluster and real Git: a repository with main and three
 * preview branches gets three namespaces, isolated from each other and from main's Application,
 * each carrying its branch's change; a deleted branch's preview goes at the webhook (or the next
 * poll); refs that sanitise alike do not collide; raw pull-request refs (local and over http with
 * credentials), expiry, errors and commit statuses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ref, refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { createServiceProxy } from '../../src/agent/proxy/service-proxy.js';
import { applicationsRef } from '../../src/sync/app/application-controller.js';
import type { Application } from '../../src/sync/app/types.js';
import { previewSetsRef } from '../../src/sync/previews/preview-controller.js';
import type { PreviewSet, PreviewSetSpec, PreviewStatus } from '../../src/sync/previews/types.js';
import { startHttpReceiver } from '../harness/http-receiver.js';
import { startGitHttp } from './git-http.js';
import { makeRepo, type TestRepo } from './git-repo.js';
import { configMap, deployment, startSyncCluster, type SyncCluster } from './sync-harness.js';

let c: SyncCluster;
let repo: TestRepo;
const proxyAc = new AbortController();
/** generous: the machine is shared and loaded */
const T = 60_000;

type ConfigMap = KubeObject & { data?: Record<string, string> };
type Deployment = KubeObject & { spec: { replicas: number } };

const SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`;
// a Namespace and a namespace in the manifests: previews must stay in their own namespaces anyway
const NAMESPACE = `apiVersion: v1
kind: Namespace
metadata:
  name: web-main
`;
const files = (branch: string, replicas: number) => ({
  'app/ns.yaml': NAMESPACE,
  'app/cm.yaml': configMap('settings', { branch }).replace('name: settings', 'name: settings\n  namespace: web-main'),
  'app/deploy.yaml': deployment('web', replicas),
  'app/svc.yaml': SERVICE,
});

beforeAll(async () => {
  c = await startSyncCluster();
  repo = makeRepo();
  const proxy = createServiceProxy({ client: c.admin });
  await proxy.start(proxyAc.signal);
  repo.commit('main', files('main', 1));
  for (const [i, b] of ['pr/one', 'pr/two', 'pr/three'].entries()) {
    repo.git('checkout', '-q', 'main');
    repo.commit(`change on ${b}`, files(b, i + 2), b);
  }
});
afterAll(async () => {
  proxyAc.abort();
  await c?.stop();
  repo?.remove();
});

async function createSet(name: string, spec: Partial<PreviewSetSpec>): Promise<void> {
  await c.admin.create(previewSetsRef, { apiVersion: 'berth.dev/v1alpha1', kind: 'PreviewSet', metadata: { name, namespace: 'default' }, spec: { source: { repoURL: repo.bare }, template: { path: 'app' }, ...spec } } as PreviewSet);
}

/** The PreviewSet once `pred` holds; after 45 s fails with its status and its previews' Application statuses. */
async function waitSet(name: string, pred: (s: PreviewSet) => boolean): Promise<PreviewSet> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(async () => {
      const s = await c.admin.find<PreviewSet>(previewSetsRef, name, 'default');
      const apps = await Promise.all((s?.status?.previews ?? []).map((p) => c.admin.find<Application>(applicationsRef, p.application, 'default')));
      reject(new Error(`PreviewSet ${name} did not get there in 45 s: ${JSON.stringify(s?.status)}; its Applications: ${JSON.stringify(apps.map((a) => a?.status?.conditions))}`));
    }, 45_000);
  });
  try {
    return (await Promise.race([c.waitFor<PreviewSet>(previewSetsRef, name, (s) => !!s && pred(s)), timeout]))!;
  } finally {
    clearTimeout(timer);
  }
}
const preview = (s: PreviewSet, r: string) => s.status?.previews?.find((p) => p.ref === r);
const synced = (p?: PreviewStatus) => p?.phase === 'Active' && p.sync === 'Synced';
async function until(pred: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 30_000; !pred(); await new Promise((r) => setTimeout(r, 100))) if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}
const gone = (ns: string) => c.waitFor<KubeObject>(refs.namespaces, ns, (n) => !n || !!n.metadata?.deletionTimestamp);

describe('a PreviewSet over pr/* branches', () => {
  let set: PreviewSet;
  it("main's own Application syncs main", async () => {
    await c.createApp('main', { source: { repoURL: repo.bare, targetRevision: 'main', path: 'app' }, destination: { namespace: 'web-main' }, syncPolicy: { automated: { prune: true, selfHeal: true } } });
    await c.waitApp('main', (a) => a.status?.sync?.status === 'Synced');
    expect((await c.admin.get<ConfigMap>(refs.configmaps, 'settings', 'web-main')).data).toEqual({ branch: 'main' });
  }, T);

  it('three branches: three namespaces, each with its branch, quota and limits', async () => {
    await createSet('web', {
      branches: ['pr/*'],
      resourceQuota: { hard: { 'count/configmaps': '10' } },
      limitRange: { limits: [{ type: 'Container', default: { memory: '128Mi' } }] },
      ttl: '24h',
      pollInterval: '1h',
    });
    set = await waitSet('web', (s) => s.status?.previews?.length === 3 && s.status.previews.every(synced));
    const names = new Set(set.status!.previews!.map((p) => p.namespace));
    expect(names.size).toBe(3);
    for (const [i, b] of ['pr/one', 'pr/two', 'pr/three'].entries()) {
      const p = preview(set, `refs/heads/${b}`)!;
      expect(p.namespace).toMatch(/^web-pr-(one|two|three)-[0-9a-f]{8}$/);
      expect(p.commit).toBe(repo.git('rev-parse', b));
      expect(p.expiresAt).toBeDefined();
      expect((await c.admin.get<ConfigMap>(refs.configmaps, 'settings', p.namespace)).data).toEqual({ branch: b });
      expect((await c.admin.get<Deployment>(refs.deployments, 'web', p.namespace)).spec.replicas).toBe(i + 2);
      const ns = await c.admin.get<KubeObject>(refs.namespaces, p.namespace);
      expect(ns.metadata!.labels).toMatchObject({ 'preview.berth.dev/ref': b.replace('/', '-'), 'preview.berth.dev/commit': p.commit, 'preview.berth.dev/set': 'web' });
      expect(ns.metadata!.annotations!['preview.berth.dev/ref']).toBe(`refs/heads/${b}`);
      expect(await c.admin.find(ref('v1', 'ResourceQuota'), 'preview-quota', p.namespace)).toBeDefined();
      expect(await c.admin.find(ref('v1', 'LimitRange'), 'preview-limits', p.namespace)).toBeDefined();
      const app = await c.admin.get<Application>(applicationsRef, p.application, 'default');
      expect(app.metadata!.ownerReferences).toEqual([expect.objectContaining({ kind: 'PreviewSet', name: 'web', uid: set.metadata!.uid })]);
    }
    // main is untouched by three previews whose manifests name its namespace
    expect((await c.admin.get<ConfigMap>(refs.configmaps, 'settings', 'web-main')).data).toEqual({ branch: 'main' });
    expect((await c.admin.get<Deployment>(refs.deployments, 'web', 'web-main')).spec.replicas).toBe(1);
    expect(set.status!.conditions!.find((x) => x.type === 'Ready')).toMatchObject({ status: 'True' });
  }, T);

  it('lists the URLs of its Services on this machine', async () => {
    set = await waitSet('web', (s) => s.status?.previews?.every((p) => p.urls?.length === 1) ?? false);
    for (const p of set.status!.previews!) expect(p.urls![0]).toMatchObject({ service: 'web', port: '80/TCP', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(new Set(set.status!.previews!.map((p) => p.urls![0].url)).size).toBe(3);
  }, T);

  it("a prune in one preview touches no other preview's objects, nor main's", async () => {
    const one = preview(set, 'refs/heads/pr/one')!;
    repo.git('checkout', '-q', 'pr/one');
    const sha = repo.commit('drop the deployment', { 'app/deploy.yaml': undefined }, 'pr/one');
    await c.sync.pokeRepo(repo.bare, 'refs/heads/pr/one');
    await waitSet('web', (s) => preview(s, 'refs/heads/pr/one')?.commit === sha && synced(preview(s, 'refs/heads/pr/one')));
    await c.waitApp(one.application, (a) => a.status?.sync?.revision === sha && a.status.sync.status === 'Synced');
    expect(await c.admin.find(refs.deployments, 'web', one.namespace)).toBeUndefined();
    expect(await c.admin.find(refs.deployments, 'web', preview(set, 'refs/heads/pr/two')!.namespace)).toBeDefined();
    expect(await c.admin.find(refs.deployments, 'web', 'web-main')).toBeDefined();
    const ns = await c.admin.get<KubeObject>(refs.namespaces, one.namespace);
    expect(ns.metadata!.labels!['preview.berth.dev/commit']).toBe(sha);
  }, T);

  it('a deleted branch loses its preview at the push webhook', async () => {
    const two = preview(set, 'refs/heads/pr/two')!;
    // every object deleted meanwhile, to show none outside pr/two's namespace is
    const wac = new AbortController();
    const deleted: string[] = [];
    const resourceVersion = (await c.admin.list(refs.configmaps)).metadata.resourceVersion;
    for (const r of [refs.deployments, refs.configmaps]) {
      void (async () => {
        for await (const ev of c.admin.watch<KubeObject>(r, { signal: wac.signal, resourceVersion, timeoutSeconds: 60 })) if (ev.type === 'DELETED') deleted.push(`${r.resource}/${ev.object.metadata?.namespace}/${ev.object.metadata?.name}`);
      })().catch(() => {});
    }
    repo.git('push', '-q', 'origin', '--delete', 'pr/two');
    expect(await c.sync.pokeRepo(repo.bare, 'refs/heads/pr/two')).toContain('PreviewSet default/web');
    await waitSet('web', (s) => s.status?.previews?.length === 2 && !preview(s, 'refs/heads/pr/two'));
    await gone(two.namespace);
    expect(await c.admin.find(applicationsRef, two.application, 'default')).toBeUndefined();
    const three = preview(set, 'refs/heads/pr/three')!.namespace;
    await until(() => deleted.length >= 2, 'the namespace controller to empty the deleted preview');
    wac.abort();
    const outside = deleted.filter((d) => !d.includes(`/${two.namespace}/`));
    expect(outside, `deleted outside ${two.namespace}: ${outside.join(', ')}`).toEqual([]);
    expect(await c.admin.find(refs.deployments, 'web', three)).toBeDefined();
  }, T);

  it('two branches whose names sanitise alike get two previews', async () => {
    repo.git('checkout', '-q', 'main');
    repo.commit('Foo_Bar', files('pr/Foo_Bar', 1), 'pr/Foo_Bar');
    repo.git('checkout', '-q', 'main');
    repo.commit('foo-bar', files('pr/foo-bar', 1), 'pr/foo-bar');
    await c.sync.pokeRepo(repo.bare, 'refs/heads/pr/foo-bar');
    set = await waitSet('web', (s) => synced(preview(s, 'refs/heads/pr/Foo_Bar')) && synced(preview(s, 'refs/heads/pr/foo-bar')));
    const a = preview(set, 'refs/heads/pr/Foo_Bar')!;
    const b = preview(set, 'refs/heads/pr/foo-bar')!;
    expect(a.namespace).not.toBe(b.namespace);
    expect((await c.admin.get<ConfigMap>(refs.configmaps, 'settings', a.namespace)).data).toEqual({ branch: 'pr/Foo_Bar' });
    expect((await c.admin.get<ConfigMap>(refs.configmaps, 'settings', b.namespace)).data).toEqual({ branch: 'pr/foo-bar' });
  }, T);

  it('kubectl get previewsets prints each set with its previews', async () => {
    const r = await c.cluster.kubectl(['get', 'previewsets', '-n', 'default']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+REPO\s+PREVIEWS\s+READY\s+AGE/);
    expect(r.stdout).toMatch(/\nweb\s+\S+origin\.git\s+4\s+True\s+/);
  }, T);

  it('deleting the PreviewSet deletes every preview namespace', async () => {
    const namespaces = set.status!.previews!.map((p) => p.namespace);
    await c.admin.delete(previewSetsRef, 'web', { namespace: 'default' });
    await c.waitFor(previewSetsRef, 'web', (s) => !s);
    for (const ns of namespaces) await gone(ns);
    expect((await c.admin.get<ConfigMap>(refs.configmaps, 'settings', 'web-main')).data).toEqual({ branch: 'main' });
  }, T);
});

describe('a PreviewSet over pull-request refs, polled, with a TTL', () => {
  it('a pushed refs/pull/N/head gets a preview; a removed one goes at the next poll', async () => {
    repo.git('push', '-q', 'origin', 'pr/three:refs/pull/7/head');
    await createSet('pulls', { refs: ['refs/pull/*/head'], pollInterval: '1s' });
    let s = await waitSet('pulls', (x) => synced(preview(x, 'refs/pull/7/head')));
    const p = preview(s, 'refs/pull/7/head')!;
    expect(p.namespace).toMatch(/^pulls-pull-7-head-[0-9a-f]{8}$/);
    expect((await c.admin.get<ConfigMap>(refs.configmaps, 'settings', p.namespace)).data).toEqual({ branch: 'pr/three' });
    repo.git('push', '-q', 'origin', '--delete', 'refs/pull/7/head');
    s = await waitSet('pulls', (x) => !preview(x, 'refs/pull/7/head'));
    await gone(p.namespace);
  }, T);

  it('an expired preview is deleted and listed as Expired until a new commit', async () => {
    repo.git('push', '-q', 'origin', 'pr/three:refs/pull/8/head');
    await c.admin.patch(previewSetsRef, 'pulls', 'merge', { spec: { ttl: '4s' } }, { namespace: 'default' });
    const s = await waitSet('pulls', (x) => preview(x, 'refs/pull/8/head')?.phase === 'Expired');
    const p = preview(s, 'refs/pull/8/head')!;
    expect(p).toMatchObject({ reason: 'Expired', message: expect.stringMatching(/spec\.ttl 4s/) });
    await gone(p.namespace);
    expect(await c.admin.find(applicationsRef, p.application, 'default')).toBeUndefined();
  }, T);

  it('a new commit brings an expired preview back; with idleTimeout it expires when no newer one comes', async () => {
    await c.admin.patch(previewSetsRef, 'pulls', 'merge', { spec: { ttl: null, idleTimeout: '6s' } }, { namespace: 'default' });
    repo.git('checkout', '-q', 'pr/three');
    const sha = repo.commit('one more', { 'app/extra.yaml': configMap('extra') }, 'pr/three');
    repo.git('push', '-q', 'origin', 'pr/three:refs/pull/8/head');
    const back = await waitSet('pulls', (x) => preview(x, 'refs/pull/8/head')?.commit === sha && synced(preview(x, 'refs/pull/8/head')));
    const p = preview(back, 'refs/pull/8/head')!;
    expect(await c.admin.find(refs.configmaps, 'extra', p.namespace)).toBeDefined();
    expect(Date.parse(p.expiresAt!) - Date.parse(p.commitSeenAt)).toBe(6_000);
    const idle = await waitSet('pulls', (x) => preview(x, 'refs/pull/8/head')?.phase === 'Expired');
    expect(preview(idle, 'refs/pull/8/head')).toMatchObject({ commit: sha, reason: 'Expired', message: expect.stringMatching(/no new commit for spec\.idleTimeout 6s/) });
    await gone(p.namespace);
  }, T);
});

describe('what a PreviewSet reports when it cannot do its work', () => {
  it('an unreadable repository: Ready False Unreachable, nothing deleted', async () => {
    await c.admin.create(previewSetsRef, { apiVersion: 'berth.dev/v1alpha1', kind: 'PreviewSet', metadata: { name: 'nowhere', namespace: 'default' }, spec: { source: { repoURL: `${repo.bare}-missing` }, branches: ['pr/*'] } } as PreviewSet);
    const s = await waitSet('nowhere', (x) => x.status?.conditions?.some((k) => k.type === 'Ready') ?? false);
    expect(s.status!.conditions!.find((k) => k.type === 'Ready')).toMatchObject({ status: 'False', reason: 'Unreachable', message: expect.stringMatching(/no git repository at .*origin\.git-missing/) });
  }, T);

  it('a bad duration is InvalidSpec, naming the field, until the spec is fixed', async () => {
    await createSet('typo', { branches: ['nothing/*'], ttl: 'soon' });
    const bad = await waitSet('typo', (x) => x.status?.conditions?.some((k) => k.type === 'Ready') ?? false);
    expect(bad.status!.conditions!.find((k) => k.type === 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec', message: 'spec.ttl: "soon" is not a duration (write e.g. 72h, 1h30m, 7d)' });
    await c.admin.patch(previewSetsRef, 'typo', 'merge', { spec: { ttl: '72h' } }, { namespace: 'default' });
    await waitSet('typo', (x) => x.status?.conditions?.some((k) => k.type === 'Ready' && k.status === 'True') ?? false);
  }, T);

  it('a cluster-scoped object in a preview branch fails its render, naming the object', async () => {
    repo.git('checkout', '-q', 'main');
    repo.commit('a cluster role', { 'app/role.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n' }, 'cluster/role');
    await createSet('cluster', { branches: ['cluster/*'] });
    const s = await waitSet('cluster', (x) => preview(x, 'refs/heads/cluster/role')?.reason === 'RenderFailed');
    expect(preview(s, 'refs/heads/cluster/role')!.message).toMatch(/ClusterRole\/reader: cluster-scoped, but this Application keeps to namespace cluster-cluster-role-[0-9a-f]{8}/);
    expect(await c.admin.find(ref('rbac.authorization.k8s.io/v1', 'ClusterRole'), 'reader')).toBeUndefined();
  }, T);
});

describe('commit statuses of previews', () => {
  it("a PreviewSet's notify annotations make each preview post its commit's status under the set's context", async () => {
    const rx = await startHttpReceiver();
    try {
      repo.git('checkout', '-q', 'main');
      const sha = repo.commit('notify me', files('notify/one', 1), 'notify/one');
      await c.admin.create(previewSetsRef, { apiVersion: 'berth.dev/v1alpha1', kind: 'PreviewSet', metadata: { name: 'notified', namespace: 'default', annotations: { 'notify.berth.dev/url': `${rx.url}/hook` } }, spec: { source: { repoURL: repo.bare }, branches: ['notify/*'], template: { path: 'app' } } } as PreviewSet);
      const got = await rx.waitFor((rs) => rs.some((r) => (JSON.parse(r.body) as { state: string }).state === 'success'), T);
      const posts = got.map((r) => JSON.parse(r.body) as Record<string, string>);
      expect(posts.map((p) => [p.state, p.sha])).toEqual([
        ['pending', sha],
        ['success', sha],
      ]);
      expect(posts[1]).toMatchObject({ context: 'berth/preview/default/notified', repoURL: repo.bare });
    } finally {
      await rx.close();
    }
  }, T);
});

describe('a PreviewSet over http with credentials', () => {
  it('lists the server refs with the Secret and syncs a pull-request ref, which the Application fetches by name', async () => {
    const server = await startGitHttp(repo.bare, 'ada', 's3cret');
    try {
      repo.git('push', '-q', 'origin', 'pr/three:refs/pull/21/head');
      const secret = { username: Buffer.from('ada').toString('base64'), password: Buffer.from('s3cret').toString('base64') };
      await c.admin.create(refs.secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'git-creds', namespace: 'default' }, data: secret } as KubeObject);
      await c.admin.create(previewSetsRef, { apiVersion: 'berth.dev/v1alpha1', kind: 'PreviewSet', metadata: { name: 'remote', namespace: 'default' }, spec: { source: { repoURL: server.url, credentialsSecret: 'git-creds' }, refs: ['refs/pull/21/head'], template: { path: 'app' } } } as PreviewSet);
      const s = await waitSet('remote', (x) => synced(preview(x, 'refs/pull/21/head')));
      const p = preview(s, 'refs/pull/21/head')!;
      expect(p.commit).toBe(repo.git('rev-parse', 'pr/three'));
      expect((await c.admin.get<ConfigMap>(refs.configmaps, 'settings', p.namespace)).data).toEqual({ branch: 'pr/three' });
      await c.admin.create(previewSetsRef, { apiVersion: 'berth.dev/v1alpha1', kind: 'PreviewSet', metadata: { name: 'anonymous', namespace: 'default' }, spec: { source: { repoURL: server.url }, refs: ['refs/pull/*/head'] } } as PreviewSet);
      const anon = await waitSet('anonymous', (x) => x.status?.conditions?.some((k) => k.type === 'Ready') ?? false);
      expect(anon.status!.conditions!.find((k) => k.type === 'Ready')).toMatchObject({ status: 'False', reason: 'AuthFailed' });
    } finally {
      await server.close();
    }
  }, T);
});
