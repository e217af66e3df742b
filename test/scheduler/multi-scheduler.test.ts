/**
 * Two scheduler instances on one API and one Redis, each with its own cache, racing over the same
 * pending pods: no node ends up with more cpu requested than it has, and every pod that can fit binds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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

/** Creates 4 nodes of 2 cpus and 100 pods of 300m (24 fit); waits until each is bound or Unschedulable. */
async function race(): Promise<Pod[]> {
  const { admin } = env;
  for (const n of NODES) await createNode(admin, n, { cpu: '2' });
  await Promise.all(Array.from({ length: 100 }, (_, i) => admin.create(refs.pods, pod(`p-${i}`, { cpu: '300m' }))));
  return until(
    'every pod bound or Unschedulable',
    async () => {
      const items = (await admin.list<Pod>(refs.pods, { namespace: 'default' })).items;
      return items.every((p) => p.spec?.nodeName || scheduledCondition(p)?.reason === 'Unschedulable') ? items : undefined;
    },
    60_000,
  );
}

const NODES = ['n1', 'n2', 'n3', 'n4'];

it('two schedulers in one process never overcommit a node', async () => {
  const second = await env.another();
  const pods = await race();
  const usage = await cpuByNode(env.admin);
  for (const n of NODES) expect(usage[n]?.milliCPU ?? 0).toBeLessThanOrEqual(2000);
  expect(pods.filter((p) => p.spec?.nodeName).length).toBe(24);
  // both took part
  expect(env.scheduler.stats.bound).toBeGreaterThan(0);
  expect(second.stats.bound).toBeGreaterThan(0);
  expect(env.scheduler.stats.bound + second.stats.bound).toBe(24);
});

it('a scheduler in a child process (berth scheduler) and one in-process never overcommit a node', async () => {
  const { cluster } = env;
  const child: ChildProcess = spawn(process.execPath, ['bin/berth.js', 'scheduler', '--server', cluster.api.url, '--token', cluster.token, '--redis-url', cluster.redis.url, '--prefix', 'test'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await until('child scheduler started', () => out.includes('scheduler started'), 30_000);
    const pods = await race();
    const usage = await cpuByNode(env.admin);
    for (const n of NODES) expect(usage[n]?.milliCPU ?? 0).toBeLessThanOrEqual(2000);
    expect(pods.filter((p) => p.spec?.nodeName).length).toBe(24);
    // How many the child binds depends on how fast it runs next to this process; it must not fail.
    expect(out).not.toMatch(/error|failed/i);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});
