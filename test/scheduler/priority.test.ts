/**
 * PriorityClass through the API with the Priority admission plugin registered (as `berth up` will):
 * pods get their class's priority, the globalDefault applies, unknown classes are refused, and a pod
 * of a higher class preempts.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startApiServer, type RunningApiServer } from '../../src/controlplane/apiserver.js';
import { refs } from '../../src/controlplane/client/refs.js';
import { Manager } from '../../src/controlplane/runtime/runnable.js';
import { priorityAdmission, priorityClassesFromClient, PriorityClassCache } from '../../src/controlplane/scheduler/priority-admission.js';
import { createScheduler, SCHEDULER_USER } from '../../src/controlplane/scheduler/scheduler.js';
import { ADMIN_USER, newToken, TokenAuthenticator } from '../../src/policy/authn/tokens.js';
import { startRedis, type TestRedis } from '../harness/redis.js';
import { boundNode, createNode, getPod, pod, until } from './helpers.js';

let redis: TestRedis;
let api: RunningApiServer;
let manager: Manager;

beforeEach(async () => {
  redis = await startRedis();
  api = await startApiServer({
    redisUrl: redis.url,
    authenticator: new TokenAuthenticator({ [newToken()]: ADMIN_USER }),
    admission: [priorityAdmission(priorityClassesFromClient(() => api.client()))],
  });
  manager = new Manager();
  await manager.add(createScheduler({ client: api.client(SCHEDULER_USER), redisUrl: redis.url, prefix: 'test' }));
});

afterEach(async () => {
  await manager.stop();
  await api.close();
  await redis.stop();
});

const priorityClass = (name: string, value: number, globalDefault = false) => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, globalDefault });

it('resolves priorityClassName, the globalDefault and the system classes; refuses unknown classes', async () => {
  const admin = api.client();
  await admin.create(refs.priorityclasses, priorityClass('high', 1000));
  const noDefault = (await admin.create(refs.pods, pod('plain'))) as Pod;
  expect(noDefault.spec).toMatchObject({ priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
  expect((await admin.create(refs.pods, pod('hi', { spec: { priorityClassName: 'high' } }))) as Pod).toMatchObject({ spec: { priority: 1000 } });
  expect((await admin.create(refs.pods, pod('crit', { spec: { priorityClassName: 'system-node-critical' } }))) as Pod).toMatchObject({ spec: { priority: 2000001000 } });
  await admin.create(refs.priorityclasses, priorityClass('everyone', 7, true));
  expect((await admin.create(refs.pods, pod('defaulted'))) as Pod).toMatchObject({ spec: { priorityClassName: 'everyone', priority: 7 } });
  await expect(admin.create(refs.priorityclasses, priorityClass('another-default', 9, true))).rejects.toThrow(/already marked as default/);
  await expect(admin.create(refs.pods, pod('bad', { spec: { priorityClassName: 'nope' } }))).rejects.toThrow(/no PriorityClass with name nope was found/);
});

it('a pod of a higher PriorityClass preempts one of a lower class', async () => {
  const admin = api.client();
  await admin.create(refs.priorityclasses, priorityClass('low', 10));
  await admin.create(refs.priorityclasses, priorityClass('high', 1000));
  await createNode(admin, 'n1', { cpu: '1' });
  await admin.create(refs.pods, pod('batch', { cpu: '1', spec: { priorityClassName: 'low' } }));
  await boundNode(admin, 'batch');
  await admin.create(refs.pods, pod('urgent', { cpu: '1', spec: { priorityClassName: 'high' } }));
  expect(await until('nominated', async () => (await getPod(admin, 'urgent')).status?.nominatedNodeName)).toBe('n1');
  expect((await getPod(admin, 'batch')).metadata?.deletionTimestamp).toBeDefined();
  await admin.delete(refs.pods, 'batch', { namespace: 'default', gracePeriodSeconds: 0 });
  expect(await boundNode(admin, 'urgent')).toBe('n1');
});

it('resolves classes from a list-watch cache once it has seen them', async () => {
  const admin = api.client();
  const cache = new PriorityClassCache(() => api.client());
  const ac = new AbortController();
  await cache.start(ac.signal);
  try {
    const plugin = priorityAdmission(cache);
    await admin.create(refs.priorityclasses, priorityClass('cached', 42, true));
    await until('the cache to see the class', async () => (await cache.get('cached'))?.value === 42);
    const attrs = { operation: 'CREATE', type: { group: '', resource: 'pods' }, name: 'p', object: { spec: {} } } as unknown as Parameters<NonNullable<typeof plugin.mutate>>[0];
    await plugin.mutate!(attrs);
    expect(attrs.object!.spec).toMatchObject({ priorityClassName: 'cached', priority: 42, preemptionPolicy: 'PreemptLowerPriority' });
  } finally {
    ac.abort();
    await cache.stopped();
  }
});
