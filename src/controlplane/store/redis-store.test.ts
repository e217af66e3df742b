/** RedisStore against a real redis-server (test/harness/redis.ts): CAS, lists, watches, retention, AOF. */
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../test/harness/redis.js';
import { StatusError } from '../api/errors.js';
import { RedisStore } from './redis-store.js';
import type { ResourceKey, StoreEvent, WatchSubscription } from './types.js';

const pods: ResourceKey = { group: '', resource: 'pods' };
const deploys: ResourceKey = { group: 'apps', resource: 'deployments' };

let redis: TestRedis;
let n = 0;
const stores: RedisStore[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await redis.stop();
});

/** A store on a fresh key prefix, so tests share the server but not data. */
function newStore(opts: { streamMaxLen?: number } = {}): RedisStore {
  const s = new RedisStore({ redis: redis.client(), prefix: `t${++n}`, ...opts });
  stores.push(s);
  return s;
}

function pod(name: string, ns = 'default', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { containers: [{ name: 'c', image: 'x' }] }, ...extra };
}

async function rejection(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    return e as StatusError;
  }
  throw new Error('expected a rejection');
}

/** Collects events; `until(rv)` resolves once an event with that rv (or later) has arrived. */
function collector() {
  const events: StoreEvent[] = [];
  const errors: Error[] = [];
  let waiter: { rv: number; resolve: () => void } | undefined;
  return {
    events,
    errors,
    handlers: {
      onEvent(e: StoreEvent) {
        events.push(e);
        if (waiter && Number(e.rv) >= waiter.rv) waiter.resolve();
      },
      onError(e: Error) {
        errors.push(e);
      },
    },
    until(rv: string | number, ms = 5000): Promise<void> {
      if (events.some((e) => Number(e.rv) >= Number(rv))) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no event with rv ${rv} within ${ms} ms (got ${events.map((e) => e.rv)})`)), ms);
        waiter = { rv: Number(rv), resolve: () => (clearTimeout(t), resolve()) };
      });
    },
  };
}

describe('RedisStore CRUD', () => {
  it('creates, gets, updates and deletes with increasing resourceVersions', async () => {
    const s = newStore();
    expect(await s.currentResourceVersion()).toBe('0');
    const created = await s.create(pods, 'default', 'p1', pod('p1'));
    expect(created.rv).toBe('1');
    expect(JSON.parse(created.json).metadata.resourceVersion).toBe('1');
    expect(await s.get(pods, 'default', 'p1')).toEqual(created);
    expect(await s.get(pods, 'other', 'p1')).toBeNull();

    const updated = await s.update(pods, 'default', 'p1', { ...pod('p1'), status: { phase: 'Running' } }, created.rv);
    expect(updated.rv).toBe('2');
    expect(JSON.parse(updated.json)).toMatchObject({ status: { phase: 'Running' }, metadata: { resourceVersion: '2' } });
    expect(await s.get(pods, 'default', 'p1')).toEqual(updated);

    const last = { ...pod('p1'), metadata: { name: 'p1', namespace: 'default', deletionTimestamp: 'now', resourceVersion: '2' } };
    const deleted = await s.delete(pods, 'default', 'p1', updated.rv, last);
    expect(deleted.rv).toBe('3');
    expect(JSON.parse(deleted.json).metadata).toEqual({ name: 'p1', namespace: 'default', deletionTimestamp: 'now', resourceVersion: '3' });
    expect(await s.get(pods, 'default', 'p1')).toBeNull();
    expect(await s.currentResourceVersion()).toBe('3');
    expect((await s.list(pods)).items).toEqual([]);
  });

  it('answers AlreadyExists, NotFound and Conflict with the Kubernetes reasons and messages', async () => {
    const s = newStore();
    const a = await s.create(deploys, 'ns', 'web', { metadata: { name: 'web' } });

    const exists = await rejection(s.create(deploys, 'ns', 'web', { metadata: { name: 'web' } }));
    expect([exists.reason, exists.code, exists.message]).toEqual(['AlreadyExists', 409, 'deployments.apps "web" already exists']);

    const stale = await rejection(s.update(deploys, 'ns', 'web', { metadata: { name: 'web' } }, '999'));
    expect([stale.reason, stale.code]).toEqual(['Conflict', 409]);
    expect(stale.message).toBe(
      'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    );
    const staleDelete = await rejection(s.delete(deploys, 'ns', 'web', '999', {}));
    expect(staleDelete.reason).toBe('Conflict');

    const missing = await rejection(s.update(pods, 'ns', 'nope', {}, '1'));
    expect([missing.reason, missing.code, missing.message]).toEqual(['NotFound', 404, 'pods "nope" not found']);
    expect((await rejection(s.delete(pods, 'ns', 'nope', '1', {}))).reason).toBe('NotFound');

    // the failed writes changed nothing, not even the counter
    expect(await s.get(deploys, 'ns', 'web')).toEqual(a);
    expect(await s.currentResourceVersion()).toBe(a.rv);
  });

  it('lets exactly one of 50 concurrent updates with the same rv win', async () => {
    const s = newStore();
    const { rv } = await s.create(pods, 'default', 'race', pod('race'));
    // each writer on its own connection, so the requests really interleave at the server
    const writers = Array.from({ length: 50 }, () => new RedisStore({ redis: redis.client(), prefix: `t${n}` }));
    stores.push(...writers);
    const results = await Promise.allSettled(writers.map((w, i) => w.update(pods, 'default', 'race', pod('race', 'default', { i }), rv)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const conflicts = results.filter((r) => r.status === 'rejected' && (r.reason as StatusError).reason === 'Conflict');
    expect(ok.length).toBe(1);
    expect(conflicts.length).toBe(49);
    const winner = (ok[0] as PromiseFulfilledResult<{ rv: string; json: string }>).value;
    expect(await s.get(pods, 'default', 'race')).toEqual(winner);
    expect(await s.currentResourceVersion()).toBe(String(Number(rv) + 1));
  });

  it('keeps every key under one hash tag', async () => {
    const s = newStore();
    await s.create(pods, 'default', 'p', pod('p'));
    await s.create({ group: 'berth.dev', resource: 'apps' }, '', 'x', { metadata: { name: 'x' } });
    const c = redis.client();
    const keys = await c.keys(`*${s.keys.tag}*`);
    expect(keys.sort()).toEqual(
      [
        `${s.keys.tag}/rv`,
        `${s.keys.tag}/events`,
        `${s.keys.tag}/o/core/pods/default/p`,
        `${s.keys.tag}/i/core/pods`,
        `${s.keys.tag}/o/berth.dev/apps//x`,
        `${s.keys.tag}/i/berth.dev/apps`,
      ].sort(),
    );
    expect(keys.every((k) => k.startsWith(`{t${n}}/`))).toBe(true);
  });
});

describe('RedisStore JSON fidelity', () => {
  it('round-trips arrays, empty objects, unicode and large numbers byte for byte except the rv', async () => {
    const s = newStore();
    const obj = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace: 'default', labels: {}, resourceVersion: 'client-sent', annotations: { a: '' } },
      data: { emoji: '🚢 ⚓ — ü ß 漢字', escapes: 'q"uote\\back\nnl\ttab\u0001', empty: [], obj: {} },
      nums: [0, -0, 1.5e-7, 0.1, 1e21, 12345678901234567000, Number.MAX_SAFE_INTEGER, -42.125],
      nested: [[], [{}], [[1, [2, []]]]],
      nil: null,
      bools: [true, false],
    };
    const expected = (rv: string) => JSON.stringify({ ...obj, metadata: { ...obj.metadata, resourceVersion: rv } });
    const w = collector();
    await s.watch({ key: { group: '', resource: 'configmaps' } }, w.handlers);
    const created = await s.create({ group: '', resource: 'configmaps' }, 'default', 'cm', obj);
    expect(created.json).toBe(expected(created.rv));
    expect((await s.get({ group: '', resource: 'configmaps' }, 'default', 'cm'))!.json).toBe(expected(created.rv));
    expect((await s.list({ group: '', resource: 'configmaps' })).items[0].json).toBe(expected(created.rv));
    // the raw bytes in Redis, as another process would read them
    expect(await redis.client().hget(`${s.keys.tag}/o/core/configmaps/default/cm`, 'json')).toBe(expected(created.rv));
    await w.until(created.rv);
    expect(w.events[0].json).toBe(expected(created.rv));
  });

  it('adds metadata.resourceVersion when absent and refuses the reserved placeholder text', async () => {
    const s = newStore();
    const created = await s.create(pods, '', 'bare', { kind: 'X' });
    expect(created.json).toBe(`{"kind":"X","metadata":{"resourceVersion":"${created.rv}"}}`);
    const err = await rejection(s.create(pods, '', 'evil', { metadata: { annotations: { a: '@@BERTH-RV@@' } } }));
    expect(err.reason).toBe('BadRequest');
    expect(await s.get(pods, '', 'evil')).toBeNull();
  });
});

describe('RedisStore list', () => {
  async function seed(s: RedisStore) {
    // namespace "a" is a prefix of "ab": the namespace filter must not mix them
    for (const ns of ['a', 'ab', 'b']) for (let i = 0; i < 5; i++) await s.create(pods, ns, `p${i}`, pod(`p${i}`, ns));
  }
  const names = (items: { json: string }[]) => items.map((i) => `${JSON.parse(i.json).metadata.namespace}/${JSON.parse(i.json).metadata.name}`);

  it('lists all namespaces or one, in order, with the store resourceVersion', async () => {
    const s = newStore();
    await seed(s);
    await s.create(deploys, 'a', 'other', { metadata: { name: 'other', namespace: 'a' } });
    const all = await s.list(pods);
    expect(names(all.items)).toEqual(['a', 'ab', 'b'].flatMap((ns) => [0, 1, 2, 3, 4].map((i) => `${ns}/p${i}`)));
    expect(all.resourceVersion).toBe('16');
    expect(all.continue).toBeUndefined();
    expect(all.items.every((i) => JSON.parse(i.json).metadata.resourceVersion === i.rv)).toBe(true);
    expect(names((await s.list(pods, { namespace: 'a' })).items)).toEqual(['a/p0', 'a/p1', 'a/p2', 'a/p3', 'a/p4']);
    expect(names((await s.list(pods, { namespace: 'ab' })).items)).toHaveLength(5);
    expect((await s.list(pods, { namespace: 'c' })).items).toEqual([]);
    expect((await s.list(deploys)).items).toHaveLength(1);
  });

  it('pages with limit and continue, keeping the first page resourceVersion', async () => {
    const s = newStore();
    await seed(s);
    const pages = [];
    let token: string | undefined;
    do {
      const page = await s.list(pods, { limit: 4, continue: token });
      pages.push(page);
      token = page.continue;
      // a write behind the cursor between pages neither shows up nor shifts the pages
      await s.create(pods, 'a', `late${pages.length}`, pod('late', 'a'));
    } while (token);
    expect(pages.map((p) => p.items.length)).toEqual([4, 4, 4, 3]);
    expect(pages.map((p) => p.remainingItemCount)).toEqual([11, 7, 3, undefined]);
    expect(pages.map((p) => p.resourceVersion)).toEqual(['15', '15', '15', '15']);
    expect(pages.flatMap((p) => names(p.items))).toEqual(['a', 'ab', 'b'].flatMap((ns) => [0, 1, 2, 3, 4].map((i) => `${ns}/p${i}`)));

    const nsPage = await s.list(pods, { namespace: 'ab', limit: 3 });
    expect(names(nsPage.items)).toEqual(['ab/p0', 'ab/p1', 'ab/p2']);
    expect(nsPage.remainingItemCount).toBe(2);
    const nsRest = await s.list(pods, { namespace: 'ab', limit: 3, continue: nsPage.continue });
    expect(names(nsRest.items)).toEqual(['ab/p3', 'ab/p4']);
    expect(nsRest.continue).toBeUndefined();
  });

  it('refuses a malformed or foreign continue token with BadRequest', async () => {
    const s = newStore();
    await seed(s);
    for (const bad of ['nope', Buffer.from('{"rv":"1"}').toString('base64url'), '']) {
      if (!bad) continue;
      expect((await rejection(s.list(pods, { continue: bad }))).code).toBe(400);
    }
    const page = await s.list(pods, { namespace: 'a', limit: 2 });
    expect((await rejection(s.list(pods, { namespace: 'b', continue: page.continue }))).reason).toBe('BadRequest');
  });

  it('expires a continue token whose resourceVersion left the change stream', async () => {
    const s = newStore({ streamMaxLen: 10 });
    await seed(s);
    const page = await s.list(pods, { limit: 2 });
    for (let i = 0; i < 250; i++) await s.update(pods, 'b', 'p4', pod('p4', 'b', { i }), String(15 + i));
    const err = await rejection(s.list(pods, { limit: 2, continue: page.continue }));
    expect([err.reason, err.code]).toEqual(['Expired', 410]);
  });
});

describe('RedisStore watch', () => {
  it('delivers live ADDED, MODIFIED and DELETED events of one resource and namespace', async () => {
    const s = newStore();
    const all = collector();
    const nsA = collector();
    const dep = collector();
    await s.watch({ key: pods }, all.handlers);
    await s.watch({ key: pods, namespace: 'a' }, nsA.handlers);
    await s.watch({ key: deploys }, dep.handlers);
    const c = await s.create(pods, 'a', 'p', pod('p', 'a'));
    const other = await s.create(pods, 'b', 'q', pod('q', 'b'));
    const u = await s.update(pods, 'a', 'p', pod('p', 'a', { x: 1 }), c.rv);
    const d = await s.delete(pods, 'a', 'p', u.rv, pod('p', 'a'));
    await all.until(d.rv);
    await nsA.until(d.rv);
    expect(all.events.map((e) => [e.type, e.rv, e.namespace, e.name])).toEqual([
      ['ADDED', c.rv, 'a', 'p'],
      ['ADDED', other.rv, 'b', 'q'],
      ['MODIFIED', u.rv, 'a', 'p'],
      ['DELETED', d.rv, 'a', 'p'],
    ]);
    expect(all.events.map((e) => e.json)).toEqual([c.json, other.json, u.json, d.json]);
    expect(all.events[0]).toMatchObject({ group: '', resource: 'pods' });
    expect(nsA.events.map((e) => e.rv)).toEqual([c.rv, u.rv, d.rv]);
    expect(dep.events).toEqual([]);
    // one event object shared by every watcher: encoded once by the API layer
    expect(nsA.events[0]).toBe(all.events[0]);
  });

  it('starts after the current rv when no fromRv is given', async () => {
    const s = newStore();
    await s.create(pods, 'a', 'before', pod('before', 'a'));
    const w = collector();
    await s.watch({ key: pods }, w.handlers);
    const after = await s.create(pods, 'a', 'after', pod('after', 'a'));
    await w.until(after.rv);
    expect(w.events.map((e) => e.name)).toEqual(['after']);

    // an rv ahead of the store: events up to it are skipped, later ones delivered
    const ahead = collector();
    await s.watch({ key: pods, fromRv: String(Number(after.rv) + 2) }, ahead.handlers);
    for (const name of ['x1', 'x2', 'x3']) await s.create(pods, 'a', name, pod(name, 'a'));
    await ahead.until(Number(after.rv) + 3);
    expect(ahead.events.map((e) => e.name)).toEqual(['x3']);
  });

  it('resumes from an old rv without gap or duplicate while writes continue', async () => {
    const s = newStore();
    // a live watch first, so the reader runs ahead of the resumes below (exercising the backfill)
    const live = collector();
    await s.watch({ key: pods }, live.handlers);
    const written: { rv: string; pod: boolean }[] = [];
    let last: string | undefined;
    const writer = (async () => {
      for (let i = 0; i < 400; i++) {
        const isPod = i % 3 !== 0;
        const r = await s.create(isPod ? pods : deploys, 'ns', `o${i}`, { metadata: { name: `o${i}` } });
        written.push({ rv: r.rv, pod: isPod });
        last = r.rv;
      }
    })();
    const resumes: { from: string; c: ReturnType<typeof collector> }[] = [];
    while (written.length < 300) {
      await new Promise((r) => setTimeout(r, 3));
      if (written.length > 20 * (resumes.length + 1)) {
        const from = written[Math.max(0, written.length - 15)].rv;
        const c = collector();
        await s.watch({ key: pods, fromRv: from }, c.handlers);
        resumes.push({ from, c });
      }
    }
    await writer;
    const podRvs = written.filter((w) => w.pod).map((w) => w.rv);
    const lastPod = podRvs[podRvs.length - 1];
    expect(resumes.length).toBeGreaterThan(5);
    for (const { from, c } of resumes) {
      await c.until(lastPod);
      expect(c.events.map((e) => e.rv)).toEqual(podRvs.filter((rv) => Number(rv) > Number(from)));
      expect(c.errors).toEqual([]);
    }
    await live.until(lastPod);
    expect(live.events.map((e) => e.rv)).toEqual(podRvs);
    expect(last).toBe('400');
  });

  it('answers 410 Expired for an rv trimmed from the stream, and resumes from a retained one', async () => {
    const s = newStore({ streamMaxLen: 10 });
    await s.create(pods, 'a', 'p', pod('p', 'a'));
    let rv = '1';
    for (let i = 0; i < 250; i++) rv = (await s.update(pods, 'a', 'p', pod('p', 'a', { i }), rv)).rv;
    const len = await redis.client().xlen(s.keys.stream);
    expect(len).toBeLessThan(250);
    const oldest = (await redis.client().xrange(s.keys.stream, '-', '+', 'COUNT', 1))[0][0].split('-')[0];
    const err = await rejection(s.watch({ key: pods, fromRv: '1' }, collector().handlers));
    expect([err.reason, err.code, err.message]).toEqual(['Expired', 410, `too old resource version: 1 (${oldest})`]);

    const w = collector();
    const from = String(Number(rv) - 3);
    await s.watch({ key: pods, fromRv: from }, w.handlers);
    const next = await s.update(pods, 'a', 'p', pod('p', 'a'), rv);
    await w.until(next.rv);
    expect(w.events.map((e) => Number(e.rv))).toEqual([Number(rv) - 2, Number(rv) - 1, Number(rv), Number(next.rv)]);
  });

  it('refuses a malformed fromRv with BadRequest', async () => {
    const s = newStore();
    expect((await rejection(s.watch({ key: pods, fromRv: 'abc' }, collector().handlers))).code).toBe(400);
  });

  it('stops delivering after close, and store.close ends watches and its reader promptly', async () => {
    const s = newStore();
    const a = collector();
    const b = collector();
    const subA: WatchSubscription = await s.watch({ key: pods }, a.handlers);
    await s.watch({ key: pods }, b.handlers);
    subA.close();
    subA.close();
    const r = await s.create(pods, 'a', 'p', pod('p', 'a'));
    await b.until(r.rv);
    expect(a.events).toEqual([]);

    const c = redis.client();
    const before = (await c.client('LIST') as string).split('\n').filter((l) => l.includes('cmd=xread')).length;
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(b.errors.map((e) => (e as StatusError).reason)).toEqual(['ServiceUnavailable']);
    await new Promise((res) => setTimeout(res, 50));
    const after = (await c.client('LIST') as string).split('\n').filter((l) => l.includes('cmd=xread')).length;
    expect(before - after).toBe(1);
  });
});

describe('RedisStore durability', () => {
  it('keeps objects, the counter and the stream across a redis-server crash (AOF)', async () => {
    const r1 = await startRedis({ fsync: 'always' });
    const dir = r1.dir;
    const port = r1.port;
    const c1 = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    c1.on('error', () => {});
    const s1 = new RedisStore({ redis: c1, prefix: 'dur' });
    const written = [];
    await s1.watch({ key: pods }, collector().handlers);
    for (let i = 0; i < 20; i++) written.push(await s1.create(pods, 'ns', `p${i}`, pod(`p${i}`, 'ns')));
    await r1.kill();
    // closing while the server is gone (the reader reconnecting) still returns at once
    const t0 = Date.now();
    await s1.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    c1.disconnect();

    const r2 = await startRedis({ dir, port, fsync: 'always' });
    try {
      const c2 = r2.client();
      const s2 = new RedisStore({ redis: c2, prefix: 'dur' });
      stores.push(s2);
      expect(await s2.currentResourceVersion()).toBe('20');
      for (const w of written) expect(await s2.get(pods, 'ns', JSON.parse(w.json).metadata.name)).toEqual(w);
      expect((await s2.list(pods)).items).toHaveLength(20);
      const w = collector();
      await s2.watch({ key: pods, fromRv: '10' }, w.handlers);
      const next = await s2.create(pods, 'ns', 'after', pod('after', 'ns'));
      expect(next.rv).toBe('21');
      await w.until(next.rv);
      expect(w.events.map((e) => e.rv)).toEqual(['11', '12', '13', '14', '15', '16', '17', '18', '19', '20', '21']);
    } finally {
      await r2.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('claims (unique values taken with the write)', () => {
  const svcs: ResourceKey = { group: '', resource: 'services' };
  const svc = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' } });

  it('a create takes its claims; a second create claiming one of them fails whole, writing nothing', async () => {
    const s = newStore();
    await s.create(svcs, 'default', 'a', svc('a'), { owner: 'uid-a', claim: ['clusterip/10.0.0.1', 'nodeport/TCP/30001'] });
    expect(await s.claimHolders(['clusterip/10.0.0.1', 'nodeport/TCP/30001', 'clusterip/10.0.0.2'])).toEqual(['uid-a', 'uid-a', null]);
    const rv = await s.currentResourceVersion();
    const e = await rejection(s.create(svcs, 'default', 'b', svc('b'), { owner: 'uid-b', claim: ['clusterip/10.0.0.2', 'nodeport/TCP/30001'] }));
    expect(e.reason).toBe('Conflict');
    expect(e.message).toMatch(/a value it claims is allocated to another object/);
    expect(await s.get(svcs, 'default', 'b')).toBeNull();
    expect(await s.claimHolders(['clusterip/10.0.0.2'])).toEqual([null]);
    expect(await s.currentResourceVersion()).toBe(rv);
  });

  it('an update claims new values and releases the old; claiming a value held by another object fails', async () => {
    const s = newStore();
    const a = await s.create(svcs, 'default', 'a', svc('a'), { owner: 'uid-a', claim: ['nodeport/TCP/30001'] });
    await s.create(svcs, 'default', 'b', svc('b'), { owner: 'uid-b', claim: ['nodeport/TCP/30009'] });
    const e = await rejection(s.update(svcs, 'default', 'a', svc('a'), a.rv, { claims: { owner: 'uid-a', claim: ['nodeport/TCP/30009'], release: ['nodeport/TCP/30001'] } }));
    expect(e.reason).toBe('Conflict');
    expect(await s.claimHolders(['nodeport/TCP/30001', 'nodeport/TCP/30009'])).toEqual(['uid-a', 'uid-b']);
    await s.update(svcs, 'default', 'a', svc('a'), a.rv, { claims: { owner: 'uid-a', claim: ['nodeport/TCP/30002'], release: ['nodeport/TCP/30001', 'nodeport/TCP/30009'] } });
    // releasing a value another object holds does nothing
    expect(await s.claimHolders(['nodeport/TCP/30001', 'nodeport/TCP/30002', 'nodeport/TCP/30009'])).toEqual([null, 'uid-a', 'uid-b']);
  });

  it('a delete releases what the object held', async () => {
    const s = newStore();
    const a = await s.create(svcs, 'default', 'a', svc('a'), { owner: 'uid-a', claim: ['clusterip/10.0.0.1'] });
    await s.delete(svcs, 'default', 'a', a.rv, svc('a'), { owner: 'uid-a', release: ['clusterip/10.0.0.1'] });
    expect(await s.claimHolders(['clusterip/10.0.0.1'])).toEqual([null]);
    await s.create(svcs, 'default', 'b', svc('b'), { owner: 'uid-b', claim: ['clusterip/10.0.0.1'] });
    expect(await s.claimHolders(['clusterip/10.0.0.1'])).toEqual(['uid-b']);
  });

  it('of many creates racing for one value, exactly one wins', async () => {
    const s = newStore();
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => s.create(svcs, 'default', `s${i}`, svc(`s${i}`), { owner: `uid-${i}`, claim: ['clusterip/10.0.0.7'] })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await s.list(svcs)).items).toHaveLength(1);
  });
});
