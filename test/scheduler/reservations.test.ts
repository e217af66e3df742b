/**
 * Node reservations on a real Redis: what one scheduler reserved counts against another until the
 * other's cache shows the pod, a refusal names the foreign reservations, and reservations expire.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { addPod, nodeInfo } from '../../src/controlplane/scheduler/node-info.js';
import { podInfo } from '../../src/controlplane/scheduler/pod-info.js';
import { Reservations } from '../../src/controlplane/scheduler/reservations.js';
import { makeNode, makePod } from '../../src/controlplane/scheduler/testing.js';
import { startRedis, type TestRedis } from '../harness/redis.js';

let redis: TestRedis;
let conn: Redis;

beforeEach(async () => {
  redis = await startRedis();
  conn = new Redis(redis.url);
});

afterEach(async () => {
  conn.disconnect();
  await redis.stop();
});

const node = makeNode({ name: 'n', cpu: '2' });
const p1 = podInfo(makePod({ name: 'one', cpu: '1500m' }));
const p2 = podInfo(makePod({ name: 'two', cpu: '1' }));

it('refuses a pod that no longer fits beside another scheduler’s reservation, and names it', async () => {
  const a = new Reservations(conn, 't');
  const b = new Reservations(conn, 't');
  expect(await a.reserve(p1, nodeInfo(node))).toEqual({ ok: true });
  const refused = await b.reserve(p2, nodeInfo(node));
  expect(refused).toEqual({ ok: false, foreign: [{ uid: p1.uid, requests: { milliCPU: 1500, memory: 0, ephemeralStorage: 0, pods: 1 } }] });
  // once b's cache shows `one` on the node, b counts it there and the reservation is not counted twice
  const seen = nodeInfo(node, [p1]);
  expect(await b.reserve(podInfo(makePod({ name: 'small', cpu: '500m' })), seen)).toEqual({ ok: true });
});

it('a released reservation frees the room; the caller’s own assumed pod is not counted twice', async () => {
  const a = new Reservations(conn, 't');
  await a.reserve(p1, nodeInfo(node));
  await a.release('n', p1.uid);
  const view = nodeInfo(node);
  addPod(view, p2); // assumed before reserving
  expect(await a.reserve(p2, view)).toEqual({ ok: true });
});

it('reservations expire after their TTL', async () => {
  const short = new Reservations(conn, 't', 1);
  await short.reserve(p1, nodeInfo(node));
  await new Promise((r) => setTimeout(r, 5));
  expect(await new Reservations(conn, 't').reserve(p2, nodeInfo(node))).toEqual({ ok: true });
});

it('reservations asked for together are decided in order, each seeing the ones before it', async () => {
  const a = new Reservations(conn, 't');
  const other = makeNode({ name: 'm', cpu: '2' });
  // two views of `n` that do not know each other's pod (as two schedulers' caches), and one of `m`
  const results = await Promise.all([a.reserve(p1, nodeInfo(node)), a.reserve(p2, nodeInfo(node)), a.reserve(p2, nodeInfo(other))]);
  expect(results).toEqual([{ ok: true }, { ok: false, foreign: [{ uid: p1.uid, requests: { milliCPU: 1500, memory: 0, ephemeralStorage: 0, pods: 1 } }] }, { ok: true }]);
});
