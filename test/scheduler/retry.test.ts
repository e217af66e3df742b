/**
 * Unschedulable pods wait out of the queue: they are retried when a change could make them fit,
 * after their backoff, and not at all on changes that cannot (no busy loop).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import { boundNode, createNode, getPod, pod, scheduledCondition, startSchedulerEnv, until, type SchedulerEnv } from './helpers.js';

let env: SchedulerEnv;

beforeEach(async () => {
  env = await startSchedulerEnv();
});

afterEach(async () => {
  await env.stop();
});

it('retries an unschedulable pod when a node is added, and not on heartbeats', async () => {
  const { admin, scheduler } = env;
  await createNode(admin, 'small', { cpu: '1' });
  await admin.create(refs.pods, pod('wants-2-cpus', { cpu: '2' }));
  await until('Unschedulable', async () => scheduledCondition(await getPod(admin, 'wants-2-cpus'))?.reason === 'Unschedulable');
  expect(scheduler.stats.attempts).toBe(1);

  // Heartbeat-like status writes on the node do not requeue the pod. A pod created afterwards and
  // bound proves the scheduler has processed them (watch events arrive in order).
  for (let i = 0; i < 5; i++) {
    await admin.patch(refs.nodes, 'small', 'strategic', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: `beat ${i}`, lastHeartbeatTime: new Date(Date.now() + i * 1000).toISOString().replace(/\.\d+Z$/, 'Z') }] } }, { subresource: 'status' });
  }
  await admin.create(refs.pods, pod('marker', { cpu: '100m' }));
  await boundNode(admin, 'marker');
  expect(scheduler.stats.requeued).toBe(0); // `marker` placed: only pods waiting on affinity or spreading would care
  expect(scheduler.stats.attempts).toBe(2); // wants-2-cpus once, marker once

  await createNode(admin, 'big', { cpu: '4' });
  expect(await boundNode(admin, 'wants-2-cpus')).toBe('big');
  expect(scheduler.stats.attempts).toBe(3);
  expect(scheduler.stats.requeued).toBeGreaterThanOrEqual(1);
  expect(scheduledCondition(await getPod(admin, 'wants-2-cpus'))?.status).toBe('True');
});

it('retries when a pod on the node is deleted and frees the room', async () => {
  const { admin, scheduler } = env;
  await createNode(admin, 'only', { cpu: '1' });
  await admin.create(refs.pods, pod('first', { cpu: '800m' }));
  await boundNode(admin, 'first');
  await admin.create(refs.pods, pod('second', { cpu: '800m' }));
  const msg = await until('Unschedulable', async () => scheduledCondition(await getPod(admin, 'second'))?.message);
  expect(msg).toBe('0/1 nodes are available: 1 Insufficient cpu.');
  // the node agent would finish the graceful deletion; here it is immediate
  await admin.delete(refs.pods, 'first', { namespace: 'default', gracePeriodSeconds: 0 });
  expect(await boundNode(admin, 'second')).toBe('only');
  expect(scheduler.stats.attempts).toBe(3);
});
