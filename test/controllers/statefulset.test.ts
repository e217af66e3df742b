/**
 * StatefulSet controller against a real API server and redis: OrderedReady creates web-0..2 one at a
 * time (each Ready before the next), a claim per pod that survives the pod's deletion, scale-down
 * from the highest ordinal, RollingUpdate from the highest ordinal down to the partition, and status
 * with revisions.
 */
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { isReady as ready } from '../../src/controlplane/resources/pod-state.js';
import { statefulSetController } from '../../src/controlplane/controllers/statefulset-controller.js';
import { autoReady, listPods, markReady, namespace, startEnv, waitUntil, type Env } from './helpers.js';

let env: Env;
beforeAll(async () => {
  env = await startEnv({ controllers: [statefulSetController()] });
});
afterAll(async () => {
  await env?.stop();
});

function web(ns: string, replicas: number, policy = 'OrderedReady'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: ns },
    spec: {
      replicas,
      serviceName: 'nginx',
      podManagementPolicy: policy,
      selector: { matchLabels: { app: 'web' } },
      // no volumeMounts of `www`: the API's StatefulSet validation does not yet count claim templates as volumes
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
}

async function livePods(ns: string): Promise<Pod[]> {
  return ((await listPods(env.admin, ns, 'app=web')) as Pod[]).filter((p) => !p.metadata?.deletionTimestamp).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

async function claims(ns: string): Promise<PersistentVolumeClaim[]> {
  return (await env.admin.list<PersistentVolumeClaim & KubeObject>(refs.persistentvolumeclaims, { namespace: ns })).items;
}

/** Names of the pods deleted in `ns` from now on, in order, until `stop`. */
async function deletions(ns: string): Promise<{ order: string[]; stop(): Promise<void> }> {
  const order: string[] = [];
  const ac = new AbortController();
  const list = await env.admin.list(refs.pods, { namespace: ns });
  const watching = (async () => {
    try {
      for await (const ev of env.admin.watch(refs.pods, { namespace: ns, resourceVersion: list.metadata.resourceVersion, signal: ac.signal })) {
        if (ev.type === 'DELETED') order.push(ev.object.metadata?.name ?? '');
      }
    } catch {
      // aborted
    }
  })();
  const stop = async () => {
    ac.abort();
    await watching;
  };
  return { order, stop };
}

describe('StatefulSet controller', () => {
  it('OrderedReady: web-0, web-1, web-2 in order, each Ready before the next; a claim per pod', async () => {
    const ns = await namespace(env.admin, 'sts-order');
    const sts = await env.admin.create<KubeObject>(refs.statefulsets, web(ns, 3));
    const seen: string[][] = [];
    await waitUntil(env.admin, refs.pods, ns, async () => {
      const pods = await livePods(ns);
      seen.push(pods.map((p) => `${p.metadata?.name}${ready(p) ? '+' : ''}`));
      // never a pod beyond the first one that is not Ready
      const firstUnready = pods.findIndex((p) => !ready(p));
      if (firstUnready >= 0) expect(pods.length).toBe(firstUnready + 1);
      if (pods.length === 3 && pods.every(ready)) return true;
      if (firstUnready >= 0) await markReady(env.admin, pods[firstUnready] as never);
      return undefined;
    }, 'web-0..2 Ready');
    expect(seen.map((s) => s.filter((n) => !n.endsWith('+')).join())).not.toContain('web-0,web-1');

    const pods = await livePods(ns);
    expect(pods.map((p) => p.metadata?.name)).toEqual(['web-0', 'web-1', 'web-2']);
    const p1 = pods[1];
    expect(p1.spec).toMatchObject({ hostname: 'web-1', subdomain: 'nginx', volumes: [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-1' } }] });
    expect(p1.metadata?.labels).toMatchObject({ app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-1', 'apps.kubernetes.io/pod-index': '1' });
    expect(p1.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: sts.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    expect((await claims(ns)).map((c) => c.metadata?.name).sort()).toEqual(['www-web-0', 'www-web-1', 'www-web-2']);
    expect((await claims(ns))[0].metadata?.labels).toMatchObject({ app: 'web' });

    const st = await waitUntil(env.admin, refs.statefulsets, ns, async () => {
      const s = (await env.admin.get<StatefulSet & KubeObject>(refs.statefulsets, 'web', ns)).status;
      return s?.readyReplicas === 3 && s.replicas === 3 && s.updatedReplicas === 3 ? s : undefined;
    }, 'status 3/3');
    expect(st.currentRevision).toBe(st.updateRevision);
    expect(p1.metadata?.labels?.['controller-revision-hash']).toBe(st.updateRevision);
  });

  it('a deleted pod comes back with the same name and the same claim', async () => {
    const ns = await namespace(env.admin, 'sts-keep');
    await env.admin.create(refs.statefulsets, web(ns, 2, 'Parallel'));
    const before = await waitUntil(env.admin, refs.pods, ns, async () => {
      const pods = await livePods(ns);
      return pods.length === 2 ? pods : undefined;
    }, '2 pods');
    const claimUid = (await claims(ns)).find((c) => c.metadata?.name === 'www-web-1')?.metadata?.uid;
    expect(claimUid).toBeTruthy();
    await env.admin.delete(refs.pods, 'web-1', { namespace: ns });
    const after = await waitUntil(env.admin, refs.pods, ns, async () => {
      const p = (await livePods(ns)).find((x) => x.metadata?.name === 'web-1');
      return p && p.metadata?.uid !== before[1].metadata?.uid ? p : undefined;
    }, 'web-1 recreated');
    expect(after.spec?.volumes).toEqual([{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-1' } }]);
    expect((await claims(ns)).find((c) => c.metadata?.name === 'www-web-1')?.metadata?.uid).toBe(claimUid);
  });

  it('scale down removes the highest ordinal first, one at a time, and keeps the claims', async () => {
    const ns = await namespace(env.admin, 'sts-down');
    await env.admin.create(refs.statefulsets, web(ns, 3));
    await waitUntil(env.admin, refs.pods, ns, async () => {
      const pods = await livePods(ns);
      const unready = pods.find((p) => !ready(p));
      if (unready) await markReady(env.admin, unready as never);
      return pods.length === 3 && pods.every(ready);
    }, '3 Ready pods');

    const { order, stop: stopWatch } = await deletions(ns);
    await env.admin.patch(refs.statefulsets, 'web', 'merge', { spec: { replicas: 1 } }, { namespace: ns });
    await waitUntil(env.admin, refs.pods, ns, async () => order.length === 2, 'two deletions');
    await stopWatch();
    expect(order).toEqual(['web-2', 'web-1']);
    expect((await livePods(ns)).map((p) => p.metadata?.name)).toEqual(['web-0']);
    expect((await claims(ns)).map((c) => c.metadata?.name).sort()).toEqual(['www-web-0', 'www-web-1', 'www-web-2']);
  });

  it('RollingUpdate replaces pods from the highest ordinal down to the partition, then all', async () => {
    const ns = await namespace(env.admin, 'sts-roll');
    const stop = autoReady(env.admin, ns);
    try {
      await env.admin.create(refs.statefulsets, web(ns, 3));
      const first = await waitUntil(env.admin, refs.statefulsets, ns, async () => {
        const s = (await env.admin.get<StatefulSet & KubeObject>(refs.statefulsets, 'web', ns)).status;
        return s?.readyReplicas === 3 && s.currentRevision ? s : undefined;
      }, '3 ready');
      const { order, stop: stopWatch } = await deletions(ns);
      await env.admin.patch(refs.statefulsets, 'web', 'merge', { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } }, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:2' }] } } } }, { namespace: ns });
      const partial = await waitUntil(env.admin, refs.statefulsets, ns, async () => {
        const s = (await env.admin.get<StatefulSet & KubeObject>(refs.statefulsets, 'web', ns)).status;
        return s?.updatedReplicas === 2 && s.readyReplicas === 3 ? s : undefined;
      }, 'web-1 and web-2 updated');
      expect(order).toEqual(['web-2', 'web-1']);
      expect(partial.currentRevision).toBe(first.currentRevision);
      const pods = await livePods(ns);
      expect(pods.map((p) => p.spec?.containers[0].image)).toEqual(['nginx', 'nginx:2', 'nginx:2']);

      await env.admin.patch(refs.statefulsets, 'web', 'merge', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } }, { namespace: ns });
      const done = await waitUntil(env.admin, refs.statefulsets, ns, async () => {
        const s = (await env.admin.get<StatefulSet & KubeObject>(refs.statefulsets, 'web', ns)).status;
        return s?.updatedReplicas === 3 && s.readyReplicas === 3 && s.currentRevision === s.updateRevision ? s : undefined;
      }, 'all updated');
      expect(done.currentRevision).not.toBe(first.currentRevision);
      await stopWatch();
      expect(order).toEqual(['web-2', 'web-1', 'web-0']);
    } finally {
      stop();
    }
  });
});
