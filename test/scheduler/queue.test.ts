/**
 * The scheduling queue on a real Redis: pods come out highest priority first, a waiting pod is
 * queued once, and a retry keeps the pod's single place (delayed, then run again).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { queuePriority, SchedulingQueue, type Outcome } from '../../src/controlplane/scheduler/queue.js';
import { startRedis, type TestRedis } from '../harness/redis.js';
import { until } from './helpers.js';

let redis: TestRedis;
let conn: Redis;
let queue: SchedulingQueue;

beforeEach(async () => {
  redis = await startRedis();
  conn = new Redis(redis.url, { maxRetriesPerRequest: null });
  queue = new SchedulingQueue(conn, 'test');
});

afterEach(async () => {
  await queue.close();
  conn.disconnect();
  await redis.stop();
});

it('maps pod priorities onto BullMQ priorities in order', () => {
  const ps = [-2147483648, -1000000, -1, 0, 1, 999, 1000000000, 2000000000, 2000001000, 2147483647];
  const qs = ps.map(queuePriority);
  for (let i = 1; i < qs.length; i++) expect(qs[i]).toBeLessThan(qs[i - 1]);
  for (const q of qs) expect(q >= 1 && q <= 2_097_151).toBe(true);
});

it('runs the highest priority first, each pod once, and retries in place', async () => {
  await queue.add('ns/low', 0);
  await queue.add('ns/critical', 2000001000);
  await queue.add('ns/mid', 100);
  await queue.add('ns/mid', 100);
  await queue.add('ns/negative', -5);
  const order: string[] = [];
  let retried = false;
  queue.start(
    async (key): Promise<Outcome> => {
      order.push(key);
      if (key === 'ns/mid' && !retried) {
        retried = true;
        return { retryAfterMs: 10 };
      }
      return { done: true };
    },
    1,
    () => {},
  );
  await until('all processed', () => order.length === 5);
  // the retried mid comes back after its 10 ms delay: where it lands depends on the machine's speed
  expect(order.slice(0, 2)).toEqual(['ns/critical', 'ns/mid']);
  expect(order.slice(2).sort()).toEqual(['ns/low', 'ns/mid', 'ns/negative']);
  expect(order.indexOf('ns/low')).toBeLessThan(order.indexOf('ns/negative'));
});
