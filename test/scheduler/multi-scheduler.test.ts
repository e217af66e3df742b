/**
 * Two scheduler instances on one API and one Redis, each with its own cache, racing over the same
 * pending pods: no node ends up with more cpu requested than it has, and every pod that can fit binds.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import { cpuByNode, createNode, pod, scheduledCondition, startSchedulerEnv, until, type SchedulerEnv } from './helpers.js';

let env: SchedulerEnv;

beforeEach(async () => {
  env = await startSchedulerEnv();
});

afterEach(async () => {
  await env.stop();
});

it('two schedulers never overcommit a node', async () => {
  const { admin } = env;
  const second = await env.another();
  const nodes = ['n1', 'n2', 'n3', 'n4'];
  for (const n of nodes) await createNode(admin, n, { cpu: '2' });
  // 6 pods of 300m fit on each 2-cpu node: 24 of 100.
  await Promise.all(Array.from({ length: 100 }, (_, i) => admin.create(refs.pods, pod(`p-${i}`, { cpu: '300m' }))));
  const pods = await until(
    'every pod bound or Unschedulable',
    async () => {
      const items = (await admin.list<Pod>(refs.pods, { namespace: 'default' })).items;
      return items.every((p) => p.spec?.nodeName || scheduledCondition(p)?.reason === 'Unschedulable') ? items : undefined;
    },
    60_000,
  );
  const usage = await cpuByNode(admin);
  for (const n of nodes) expect(usage[n]?.milliCPU ?? 0).toBeLessThanOrEqual(2000);
  expect(pods.filter((p) => p.spec?.nodeName).length).toBe(24);
  // both took part
  expect(env.scheduler.stats.bound).toBeGreaterThan(0);
  expect(second.stats.bound).toBeGreaterThan(0);
  expect(env.scheduler.stats.bound + second.stats.bound).toBe(24);
});
