/**
 * ReplicaSet and ReplicationController against a real API server and redis: replicas kept, pods
 * released and adopted by selector, scale down removes the least valuable pods.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { controllerOf, type PodObject as Pod } from '../../src/controlplane/resources/pod-state.js';
import { listPods, markReady, rsManifest, startEnv, waitUntil, type Env } from './helpers.js';

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await env?.stop();
});

const active = (pods: Pod[]) => pods.filter((p) => !p.metadata?.deletionTimestamp);

async function podsOf(name: string, n: number): Promise<Pod[]> {
  return waitUntil(env.admin, refs.pods, 'default', async () => {
    const pods = active(await listPods(env.admin, 'default', `app=${name}`)).filter((p) => controllerOf(p)?.name === name);
    return pods.length === n ? pods : undefined;
  }, `${n} pods of ${name}`);
}

describe('ReplicaSet controller', () => {
  it('creates replicas, replaces a deleted pod and reports status', async () => {
    const rs = await env.admin.create<KubeObject>(refs.replicasets, rsManifest('keep', 3));
    const pods = await podsOf('keep', 3);
    for (const p of pods) {
      expect(controllerOf(p)).toMatchObject({ kind: 'ReplicaSet', name: 'keep', uid: rs.metadata?.uid, controller: true, blockOwnerDeletion: true });
      expect(p.metadata?.name).toMatch(/^keep-[a-z0-9]{5}$/);
    }
    await env.admin.delete(refs.pods, pods[0].metadata!.name!, { namespace: 'default' });
    const after = await podsOf('keep', 3);
    expect(after.map((p) => p.metadata?.name)).not.toContain(pods[0].metadata?.name);
    await Promise.all(after.map((p) => markReady(env.admin, p)));
    await waitUntil(env.admin, refs.replicasets, 'default', async () => {
      const cur = await env.admin.get<{ status?: Record<string, number> }>(refs.replicasets, 'keep', 'default');
      const s = cur.status ?? {};
      return s.replicas === 3 && s.readyReplicas === 3 && s.availableReplicas === 3 && s.fullyLabeledReplicas === 3 && s.observedGeneration === 1;
    }, 'status of keep');
  });

  it('releases a relabelled pod and replaces it', async () => {
    await env.admin.create(refs.replicasets, rsManifest('rel', 2));
    const pods = await podsOf('rel', 2);
    const victim = pods[0].metadata!.name!;
    await env.admin.patch(refs.pods, victim, 'merge', { metadata: { labels: { app: 'elsewhere' } } }, { namespace: 'default' });
    await podsOf('rel', 2);
    const released = await waitUntil(env.admin, refs.pods, 'default', async () => {
      const p = await env.admin.get<Pod>(refs.pods, victim, 'default');
      return controllerOf(p) ? undefined : p;
    }, 'release');
    expect(released.metadata?.ownerReferences ?? []).toEqual([]);
  });

  it('adopts a matching orphan instead of creating one', async () => {
    await env.admin.create(refs.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan-1', namespace: 'default', labels: { app: 'adopt' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const rs = await env.admin.create<KubeObject>(refs.replicasets, rsManifest('adopt', 2));
    const pods = await podsOf('adopt', 2);
    expect(pods.map((p) => p.metadata?.name)).toContain('orphan-1');
    expect(controllerOf(pods.find((p) => p.metadata?.name === 'orphan-1')!)?.uid).toBe(rs.metadata?.uid);
  });

  it('scales down removing unready pods first', async () => {
    await env.admin.create(refs.replicasets, rsManifest('down', 4));
    const pods = await podsOf('down', 4);
    const ready = pods.slice(0, 2);
    await Promise.all(ready.map((p) => markReady(env.admin, p)));
    await env.admin.patch(refs.replicasets, 'down', 'merge', { spec: { replicas: 2 } }, { namespace: 'default' });
    const left = await podsOf('down', 2);
    expect(left.map((p) => p.metadata?.name).sort()).toEqual(ready.map((p) => p.metadata?.name).sort());
  });

  it('selects with matchExpressions (In, NotIn, Exists, DoesNotExist)', async () => {
    const m = rsManifest('expr', 2, { app: 'expr', tier: 'web' });
    m.spec.selector = {
      matchLabels: {},
      matchExpressions: [
        { key: 'app', operator: 'In', values: ['expr'] },
        { key: 'tier', operator: 'NotIn', values: ['db'] },
        { key: 'tier', operator: 'Exists' },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    } as never;
    await env.admin.create(refs.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'expr-canary', namespace: 'default', labels: { app: 'expr', tier: 'web', canary: 'yes' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    await env.admin.create(refs.replicasets, m);
    const pods = await podsOf('expr', 2);
    expect(pods.map((p) => p.metadata?.name)).not.toContain('expr-canary');
    expect(controllerOf(await env.admin.get<Pod>(refs.pods, 'expr-canary', 'default'))).toBeUndefined();
  });

  it('reports pods available once minReadySeconds have passed (a requeue, no event needed)', async () => {
    const m = rsManifest('minready', 2);
    (m.spec as { minReadySeconds?: number }).minReadySeconds = 1;
    await env.admin.create(refs.replicasets, m);
    const pods = await podsOf('minready', 2);
    await Promise.all(pods.map((p) => markReady(env.admin, p)));
    const rs = await waitUntil(env.admin, refs.replicasets, 'default', async () => {
      const cur = await env.admin.get<{ status?: Record<string, number> }>(refs.replicasets, 'minready', 'default');
      return cur.status?.availableReplicas === 2 ? cur : undefined;
    }, 'available after minReadySeconds');
    expect(rs.status?.readyReplicas).toBe(2);
  });
});

describe('ReplicationController controller', () => {
  it('keeps replicas with an equality selector', async () => {
    await env.admin.create(refs.replicationcontrollers, {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'rc', namespace: 'default' },
      spec: { replicas: 2, selector: { app: 'rc' }, template: { metadata: { labels: { app: 'rc' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    const pods = await podsOf('rc', 2);
    expect(controllerOf(pods[0])?.kind).toBe('ReplicationController');
  });
});
