/**
 * A preview over its quota says why: on an API server with the policy engine (ResourceQuota
 * admission), a preview whose branch asks for more Services than its ResourceQuota allows (the sync
 * is refused) and one whose Deployment wants more pods than allowed (the ReplicaSet controller is
 * refused) each report reason OverQuota with the quota's message in the PreviewSet's status.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROLLER_MANAGER_USER, createControllerManager } from '../../src/controlplane/controllers/index.js';
import { ADMIN_USER } from '../../src/policy/authn/tokens.js';
import { previewSetsRef } from '../../src/sync/previews/preview-controller.js';
import type { PreviewSet } from '../../src/sync/previews/types.js';
import { createSync, SYNC_USER } from '../../src/sync/sync.js';
import { startPolicyCluster, type PolicyCluster } from '../policy/harness.js';
import { makeRepo, type TestRepo } from './git-repo.js';
import { deployment } from './sync-harness.js';

let cluster: PolicyCluster;
let repo: TestRepo;
let dataDir: string;
const ac = new AbortController();
const T = 60_000;
const running: { stopped(): Promise<void> }[] = [];

const service = (name: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: { app: web }
  ports: [{ port: 80 }]
`;

beforeAll(async () => {
  cluster = await startPolicyCluster({});
  dataDir = mkdtempSync(join(tmpdir(), 'berth-sync-'));
  const cm = createControllerManager({ client: (ua) => cluster.api.client(CONTROLLER_MANAGER_USER, ua), redisUrl: cluster.redisUrl, log: () => {} });
  await cm.start(ac.signal);
  running.push(cm);
  const sync = createSync({ client: (ua) => cluster.api.client(SYNC_USER, ua), redisUrl: cluster.redisUrl, dataDir, backoff: { baseMs: 200, maxMs: 2_000 } });
  await sync.start(ac.signal);
  running.push(sync);
  repo = makeRepo();
  repo.commit('main', { 'app/a.yaml': service('a') });
  repo.commit('two services', { 'app/b.yaml': service('b') }, 'pr/services');
  repo.git('checkout', '-q', 'main');
  repo.commit('three replicas', { 'app/web.yaml': deployment('web', 3) }, 'pr/pods');
}, T);
afterAll(async () => {
  ac.abort();
  await Promise.all(running.map((r) => r.stopped()));
  await cluster?.stop();
  repo?.remove();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('a preview over its ResourceQuota', () => {
  it('reports OverQuota with the quota message, for objects the sync applies and pods a controller creates', async () => {
    const admin = cluster.api.client(ADMIN_USER, 'test');
    await admin.create(previewSetsRef, {
      apiVersion: 'berth.dev/v1alpha1',
      kind: 'PreviewSet',
      metadata: { name: 'web', namespace: 'default' },
      spec: { source: { repoURL: repo.bare }, branches: ['pr/*'], template: { path: 'app' }, resourceQuota: { hard: { services: '1', pods: '1' } } },
    } as PreviewSet);
    const over = (s: PreviewSet, ref: string) => s.status?.previews?.find((p) => p.ref === ref)?.reason === 'OverQuota';
    let s: PreviewSet | undefined;
    for (const deadline = Date.now() + 50_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      s = await admin.get<PreviewSet>(previewSetsRef, 'web', 'default');
      if (over(s, 'refs/heads/pr/services') && over(s, 'refs/heads/pr/pods')) break;
    }
    const services = s!.status!.previews!.find((p) => p.ref === 'refs/heads/pr/services')!;
    const pods = s!.status!.previews!.find((p) => p.ref === 'refs/heads/pr/pods')!;
    expect(services).toMatchObject({ reason: 'OverQuota', message: expect.stringMatching(/services "[ab]" is forbidden: exceeded quota: preview-quota, requested: services=1, used: services=1, limited: services=1/) });
    expect(pods).toMatchObject({ reason: 'OverQuota', message: expect.stringMatching(/pods "web-[a-z0-9-]+" is forbidden: exceeded quota: preview-quota, requested: pods=1, used: pods=1, limited: pods=1/) });
    expect(s!.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'OverQuota', message: expect.stringMatching(/refs\/heads\/pr\/pods: .*exceeded quota/) });
  }, T);
});
