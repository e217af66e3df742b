/**
 * A high-priority pod that fits nowhere evicts the lowest-priority pod that makes room, is
 * nominated to that node, and binds there once the victim is gone.
 */
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import { boundNode, createNode, getPod, pod, startSchedulerEnv, until, type SchedulerEnv } from './helpers.js';

let env: SchedulerEnv;

beforeEach(async () => {
  env = await startSchedulerEnv();
});

afterEach(async () => {
  await env.stop();
});

it('a high-priority pod preempts the lowest-priority victim', async () => {
  const { admin } = env;
  await createNode(admin, 'n1', { cpu: '2' });
  await createNode(admin, 'n2', { cpu: '2' });
  const placed: Record<string, [string, number]> = { low: ['n1', 1], mid: ['n1', 5], mid2: ['n2', 5], mid3: ['n2', 5] };
  // Fill the nodes in a known layout: each pod pinned by nodeSelector on hostname.
  for (const [name, [node, priority]] of Object.entries(placed)) {
    await admin.create(refs.pods, pod(name, { cpu: '1', priority, spec: { nodeSelector: { 'kubernetes.io/hostname': node } } }));
    await boundNode(admin, name);
  }
  await admin.create(refs.pods, pod('high', { cpu: '1', priority: 1000 }));

  const nominated = await until('nominatedNodeName', async () => (await getPod(admin, 'high')).status?.nominatedNodeName);
  expect(nominated).toBe('n1');
  const victim = await getPod(admin, 'low');
  expect(victim.metadata?.deletionTimestamp).toBeDefined();
  for (const other of ['mid', 'mid2', 'mid3']) expect((await getPod(admin, other)).metadata?.deletionTimestamp).toBeUndefined();
  await until('Preempted event', async () => (await admin.list<Event>(refs.events, { namespace: 'default' })).items.find((e) => e.reason === 'Preempted' && e.involvedObject.name === 'low'));
  expect((await getPod(admin, 'high')).spec?.nodeName).toBeUndefined();

  // The node agent finishes the victim's graceful deletion.
  await admin.delete(refs.pods, 'low', { namespace: 'default', gracePeriodSeconds: 0 });
  expect(await boundNode(admin, 'high')).toBe('n1');
  expect(env.scheduler.stats.preemptions).toBe(1);
  const pods = (await admin.list<Pod>(refs.pods, { namespace: 'default' })).items.map((p) => p.metadata?.name).sort();
  expect(pods).toEqual(['high', 'mid', 'mid2', 'mid3']);
});

it('a pod with preemptionPolicy Never waits instead', async () => {
  const { admin } = env;
  await createNode(admin, 'n1', { cpu: '1' });
  await admin.create(refs.pods, pod('low', { cpu: '1', priority: 1 }));
  await boundNode(admin, 'low');
  await admin.create(refs.pods, pod('polite', { cpu: '1', priority: 1000, spec: { preemptionPolicy: 'Never' } }));
  await until('Unschedulable', async () => (await getPod(admin, 'polite')).status?.conditions?.find((c) => c.reason === 'Unschedulable'));
  expect((await getPod(admin, 'low')).metadata?.deletionTimestamp).toBeUndefined();
  expect(env.scheduler.stats.preemptions).toBe(0);
});
