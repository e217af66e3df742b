/**
 * podgc's reconciler against a real API server, with informers the test holds (so their view can be
 * stale, as a cache may be): marking an orphaned pod Failed keeps a condition another writer added
 * after the cache's copy; and a missing Node's quarantine is forgotten once its pods are gone, so a
 * pod bound to that name later gets a quarantine of its own.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../src/controlplane/client/client.js';
import type { InformerHandlers } from '../../src/controlplane/client/informer.js';
import { refs } from '../../src/controlplane/client/refs.js';
import { podGCController } from '../../src/controlplane/controllers/podgc.js';
import type { ControllerContext } from '../../src/controlplane/controllers/runtime/controller.js';
import type { Reconciler } from '../../src/controlplane/controllers/runtime/reconciler.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { ADMIN_USER } from '../../src/policy/authn/tokens.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';

type PodObject = Pod & KubeObject;

let cluster: TestCluster;
let admin: Client;
beforeAll(async () => {
  cluster = await startCluster();
  admin = cluster.api.client(ADMIN_USER, 'test');
});
afterAll(async () => {
  await cluster?.stop();
});

/** podgc set up on informers whose pods are `cached` (by key) and with no Nodes; `now` is the test's clock. */
function setUp(cached: Map<string, PodObject>, now: () => number, quarantineMs: number) {
  const podHandlers: InformerHandlers<PodObject>[] = [];
  const fake = (objects: Map<string, KubeObject>, handlers: InformerHandlers<never>[]) => ({
    get: (key: string) => objects.get(key),
    list: (filter?: (o: KubeObject) => boolean) => [...objects.values()].filter(filter ?? (() => true)),
    on: (h: InformerHandlers<never>) => handlers.push(h),
  });
  const ctx = {
    client: admin,
    informers: { get: (ref: { resource: string }) => (ref.resource === 'pods' ? fake(cached, podHandlers as never) : fake(new Map(), [])) },
    enqueue: () => {},
    log: () => {},
  } as unknown as ControllerContext;
  const reconciler: Reconciler = podGCController({ quarantineMs, now }).setup(ctx);
  return { reconciler, podDeleted: (p: PodObject) => podHandlers.forEach((h) => h.onDelete?.(p)) };
}

async function orphan(name: string, node: string): Promise<PodObject> {
  await admin.create(refs.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', finalizers: ['test.berth.dev/hold'] }, spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }] } } as PodObject);
  return admin.patch<PodObject>(refs.pods, name, 'merge', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, { namespace: 'default', subresource: 'status' });
}

async function release(name: string): Promise<void> {
  await admin.patch(refs.pods, name, 'merge', { metadata: { finalizers: null } }, { namespace: 'default' });
}

describe('podgc', () => {
  it('marks an orphaned pod Failed without dropping a condition written after its cached copy', async () => {
    const stale = await orphan('kept-conditions', 'gone-1');
    await admin.patch(refs.pods, 'kept-conditions', 'strategic', { status: { conditions: [{ type: 'example.com/Custom', status: 'True' }] } }, { namespace: 'default', subresource: 'status' });
    const { reconciler } = setUp(new Map([['default/kept-conditions', stale]]), Date.now, 0);
    expect(await reconciler.reconcile('default/kept-conditions')).toEqual({});
    const pod = await admin.get<PodObject>(refs.pods, 'kept-conditions', 'default');
    expect(pod.metadata?.deletionTimestamp).toBeDefined();
    expect(pod.status?.phase).toBe('Failed');
    expect(pod.status?.conditions?.map((c) => `${c.type}=${c.status}`).sort()).toEqual(['DisruptionTarget=True', 'Ready=True', 'example.com/Custom=True']);
    expect(pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason).toBe('DeletionByPodGC');
    await release('kept-conditions');
  });

  it("forgets a missing Node's quarantine once its pods are gone", async () => {
    let t = 1_000_000;
    const cached = new Map<string, PodObject>();
    const { reconciler, podDeleted } = setUp(cached, () => t, 10_000);
    const first = await orphan('first', 'gone-2');
    cached.set('default/first', first);
    expect(await reconciler.reconcile('default/first')).toEqual({ requeueAfterMs: 10_000 });
    cached.delete('default/first');
    podDeleted(first);
    await release('first');
    await admin.delete(refs.pods, 'first', { namespace: 'default', gracePeriodSeconds: 0 });

    t += 60_000;
    const second = await orphan('second', 'gone-2');
    cached.set('default/second', second);
    // a quarantine of its own, not the one that started with the first pod
    expect(await reconciler.reconcile('default/second')).toEqual({ requeueAfterMs: 10_000 });
    expect((await admin.get<PodObject>(refs.pods, 'second', 'default')).status?.phase).toBe('Running');
    await release('second');
    await admin.delete(refs.pods, 'second', { namespace: 'default', gracePeriodSeconds: 0 });
  });
});
