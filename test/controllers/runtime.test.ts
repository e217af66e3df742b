/**
 * The controller runtime on BullMQ with real redis: events that arrive while a key is being
 * reconciled are not lost, two managers on one Redis never reconcile one key at once, a reconciler's
 * requeueAfter is honoured, and 200 rapid updates to one Deployment end in its last state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import { objectKey } from '../../src/controlplane/client/informer.js';
import type { Deployment, ReplicaSet } from '../../src/controlplane/controllers/deployment-rollout.js';
import type { Controller } from '../../src/controlplane/controllers/runtime/controller.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { ADMIN_USER } from '../../src/policy/authn/tokens.js';
import { deploymentManifest, listPods, namespace, newPrefix, startManager, waitUntil } from './helpers.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

/**
 * A controller over ConfigMaps that records, per reconcile, the `data.v` its cache showed, and how
 * many reconciles of one key overlapped (shared by all instances, across managers). The first
 * reconcile of `hold` waits until `release` is called.
 */
function probe(shared: { seen: string[]; running: Map<string, number>; maxOverlap: number; requeues: number; release?: () => void; gate?: Promise<void> }): Controller {
  return {
    name: 'probe',
    setup(ctx) {
      const cms = ctx.informers.get(refs.configmaps);
      const enq = (o: KubeObject) => ctx.enqueue(objectKey(o));
      cms.on({ onAdd: enq, onUpdate: (_o, n) => enq(n) });
      return {
        async reconcile(key) {
          const n = (shared.running.get(key) ?? 0) + 1;
          shared.running.set(key, n);
          shared.maxOverlap = Math.max(shared.maxOverlap, n);
          try {
            const cm = cms.get(key);
            const v = (cm?.data as Record<string, string> | undefined)?.v ?? '';
            shared.seen.push(`${key}=${v}`);
            if (key.endsWith('/hold') && shared.gate) {
              const g = shared.gate;
              shared.gate = undefined;
              await g;
            }
            if (key.endsWith('/again') && v === 'requeue' && shared.requeues++ < 2) return { requeueAfterMs: 10 };
            return {};
          } finally {
            shared.running.set(key, (shared.running.get(key) ?? 1) - 1);
          }
        },
      };
    },
  };
}

describe('controller runtime', () => {
  it('reconciles a key again for updates made while it was being reconciled; two managers never overlap on a key', async () => {
    const admin = cluster.api.client(ADMIN_USER);
    const ns = await namespace(admin, 'rt');
    const shared = { seen: [] as string[], running: new Map<string, number>(), maxOverlap: 0, requeues: 0, release: undefined as (() => void) | undefined, gate: undefined as Promise<void> | undefined };
    shared.gate = new Promise<void>((r) => (shared.release = r));
    const prefix = newPrefix();
    const [a, b] = await Promise.all([startManager(cluster, prefix, [probe(shared)]), startManager(cluster, prefix, [probe(shared)])]);
    try {
      await admin.create(refs.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hold', namespace: ns }, data: { v: '0' } });
      await waitUntil(admin, refs.configmaps, ns, async () => shared.seen.includes(`${ns}/hold=0`), 'first reconcile');
      // the key is now held in a reconcile: 200 updates arrive meanwhile
      for (let i = 1; i <= 200; i++) await admin.patch(refs.configmaps, 'hold', 'merge', { data: { v: String(i) } }, { namespace: ns });
      shared.release!();
      await waitUntil(admin, refs.configmaps, ns, async () => shared.seen.includes(`${ns}/hold=200`), 'a reconcile that saw the last update');
      if (process.env.BERTH_TEST_LOG) console.log(shared.seen.join(' '));
      expect(shared.maxOverlap).toBe(1);
      // coalesced: far fewer reconciles than updates
      expect(shared.seen.filter((s) => s.startsWith(`${ns}/hold=`)).length).toBeLessThan(50);

      await admin.create(refs.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'again', namespace: ns }, data: { v: 'requeue' } });
      await waitUntil(admin, refs.configmaps, ns, async () => shared.seen.filter((s) => s === `${ns}/again=requeue`).length >= 3, 'requeued twice');
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('200 rapid updates to one Deployment end in the last one', async () => {
    const admin = cluster.api.client(ADMIN_USER);
    const ns = await namespace(admin, 'rapid');
    const manager = await startManager(cluster, newPrefix());
    try {
      await admin.create(refs.deployments, deploymentManifest('web', ns, 1));
      const sizes = Array.from({ length: 200 }, (_, i) => (i % 13) + 1);
      for (const replicas of sizes) await admin.patch(refs.deployments, 'web', 'merge', { spec: { replicas } }, { namespace: ns });
      const last = sizes.at(-1)!;
      await waitUntil(admin, refs.pods, ns, async () => {
        const d = await admin.get<Deployment>(refs.deployments, 'web', ns);
        const rss = (await admin.list<ReplicaSet>(refs.replicasets, { namespace: ns })).items;
        const pods = await listPods(admin, ns);
        return (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && d.status?.replicas === last && rss.length === 1 && rss[0].spec.replicas === last && pods.length === last;
      }, `${last} replicas`);
      const d = await admin.get<Deployment>(refs.deployments, 'web', ns);
      expect(d.spec.replicas).toBe(last);
    } finally {
      await manager.stop();
    }
  });
});
