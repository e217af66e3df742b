/**
 * Health follows the live objects without a new sync: when only the status of an object an
 * Application applied changes (its pod is lost and the replacement is slow to start, so the
 * Deployment becomes unavailable, then exceeds its progress deadline, then recovers), the
 * Application's health goes Progressing, Degraded and back to Healthy, while its sync status,
 * history and operation stay as they were, nothing is compared again and nothing is applied.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import type { Application, HealthStatus } from '../../src/sync/app/types.js';
import { makeRepo, type TestRepo } from './git-repo.js';
import { startSyncCluster, type SyncCluster } from './sync-harness.js';

let c: SyncCluster;
let repo: TestRepo;
beforeAll(async () => {
  c = await startSyncCluster({ simNode: {} });
  repo = makeRepo();
}, 120_000);
afterAll(async () => {
  await c?.stop();
  repo?.remove();
});

// a pod of web is Running 4 s after it is created; 1 s without progress is past the deadline
const web = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  progressDeadlineSeconds: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata:
      labels: { app: web }
      annotations: { sim.berth.dev/running-after: 4s }
    spec:
      containers: [{ name: main, image: busybox }]
`;

const ready = (a: Application) => a.status?.conditions?.find((x) => x.type === 'Ready');

describe('health of an Application whose objects only change status', () => {
  it('goes Degraded when its Deployment loses its pod and back to Healthy when the new one runs, without a sync', async () => {
    const sha = repo.commit('web', { 'app/web.yaml': web });
    await c.createApp('web', { source: { repoURL: repo.bare, targetRevision: 'main', path: 'app' }, destination: { namespace: 'default' }, syncPolicy: { automated: { prune: true, selfHeal: true } } });
    const synced = await c.waitApp('web', (a) => a.status?.sync?.revision === sha && a.status.sync.status === 'Synced' && a.status.health?.status === 'Healthy');
    const generation = (await c.admin.get<KubeObject>(refs.deployments, 'web', 'default')).metadata?.generation;

    const pods = await c.admin.list(refs.pods, { namespace: 'default', labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(1);
    await c.admin.delete(refs.pods, pods.items[0].metadata!.name!, { namespace: 'default', gracePeriodSeconds: 0 });

    const seen: HealthStatus[] = [];
    const recovered = await c.waitApp('web', (a) => {
      const h = a.status?.health?.status;
      if (h && h !== seen.at(-1)) seen.push(h);
      return seen.includes('Degraded') && h === 'Healthy';
    });
    expect(seen[0]).toBe('Healthy');
    expect(seen.at(-1)).toBe('Healthy');
    expect(seen.slice(1, -1)).toContain('Degraded');
    expect(seen.slice(1, -1).every((h) => h === 'Progressing' || h === 'Degraded')).toBe(true);

    // no sync happened, nor a compare (no render, no dry run): the sync status is the one of the last
    // sync, comparedAt included; same Ready condition, history and operation; nothing applied
    expect(recovered.status!.sync).toEqual(synced.status!.sync);
    expect(ready(recovered)).toEqual(ready(synced));
    expect(recovered.status!.history).toEqual(synced.status!.history);
    expect(recovered.status!.operationState).toEqual(synced.status!.operationState);
    expect(recovered.status!.resources).toEqual(synced.status!.resources);
    expect((await c.admin.get<KubeObject>(refs.deployments, 'web', 'default')).metadata?.generation).toBe(generation);
  }, 120_000);
});
