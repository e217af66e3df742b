/**
 * `npm run bench -- controllers`: scale one Deployment from 0 to 5,000 pods over 100 simulated nodes
 * and time until all pods exist, and until all are bound and Running; reconciles/s of the controllers
 * in that window; and, in the same run on the same Redis, BullMQ's raw jobs/s with a no-op worker
 * (the queue's limit). The simulated node agents are not built yet: this benchmark binds pods and
 * marks them Running itself (one in-process loop standing in for scheduler + kubelets), and says so.
 * Prints figures and PASS/MISS against the issue's targets; exits 1 only if the benchmark broke.
 *
 * Flags: --pods N (5000) --nodes N (100) --fsync always|everysec (everysec) --concurrency N (8)
 * --raw-jobs N (20000) --timeout S (120)
 */
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { startRedisProcess, type FsyncMode } from '../src/cli/redis-process.js';
import { startApiServer } from '../src/controlplane/apiserver.js';
import type { Client } from '../src/controlplane/client/client.js';
import { refs } from '../src/controlplane/client/refs.js';
import { createControllerManager, CONTROLLER_MANAGER_USER, defaultControllers } from '../src/controlplane/controllers/index.js';
import type { PodObject as Pod } from '../src/controlplane/resources/pod-state.js';
import { bullConnection, WorkQueue } from '../src/controlplane/controllers/runtime/work-queue.js';
import { ADMIN_USER, TokenAuthenticator } from '../src/policy/authn/tokens.js';
import { removeDir, tempDir } from './lib/procs.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    pods: { type: 'string', default: '5000' },
    nodes: { type: 'string', default: '100' },
    fsync: { type: 'string', default: 'everysec' },
    concurrency: { type: 'string', default: '8' },
    'raw-jobs': { type: 'string', default: '20000' },
    timeout: { type: 'string', default: '120' },
  },
});
const PODS = Number(values.pods);
const NODES = Number(values.nodes);
const FSYNC = values.fsync as FsyncMode;
const CONCURRENCY = Number(values.concurrency);
const RAW_JOBS = Number(values['raw-jobs']);
const TIMEOUT_MS = Number(values.timeout) * 1000;
const NS = 'bench';

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/**
 * Stands in for scheduler and node agents: binds each new pod to a node round-robin and marks it
 * Running and Ready, at most `inFlight` pods at once. Resolves counters the caller reads.
 */
function simulateNodes(client: Client, signal: AbortSignal, onRunning: () => void, inFlight = 64): void {
  let next = 0;
  let active = 0;
  const queue: Pod[] = [];
  const pump = () => {
    while (active < inFlight && queue.length > 0) {
      const pod = queue.shift()!;
      active++;
      void run(pod).finally(() => {
        active--;
        pump();
      });
    }
  };
  const run = async (pod: Pod) => {
    const name = pod.metadata?.name ?? '';
    const node = `sim-${next++ % NODES}`;
    try {
      await client.post(refs.pods, name, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: node } }, NS);
      const now = new Date().toISOString();
      await client.patch(refs.pods, name, 'merge', { status: { phase: 'Running', podIP: `10.${(next >> 16) & 255}.${(next >> 8) & 255}.${next & 255}`, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }, { namespace: NS, subresource: 'status' });
      onRunning();
    } catch (e) {
      if (!signal.aborted) console.error(`sim: ${name}: ${(e as Error).message}`);
    }
  };
  void (async () => {
    for await (const ev of client.watch<Pod>(refs.pods, { namespace: NS, signal })) {
      if (ev.type === 'ADDED' && !ev.object.spec?.nodeName) {
        queue.push(ev.object);
        pump();
      }
    }
  })().catch((e) => {
    if (!signal.aborted) console.error(`sim: watch ended: ${(e as Error).message}`);
  });
}

async function rawQueueRate(redisUrl: string): Promise<number> {
  const connection = bullConnection(redisUrl);
  const name = 'raw-bench';
  const queue = new Queue(name, { connection, prefix: '{rawbench}' });
  let done = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const worker = new Worker(name, async () => undefined, { connection, prefix: '{rawbench}', concurrency: CONCURRENCY, autorun: false });
  worker.on('completed', () => {
    if (++done === RAW_JOBS) resolveAll();
  });
  for (let i = 0; i < RAW_JOBS; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, RAW_JOBS - i) }, (_, j) => ({ name: 'j', data: {}, opts: { jobId: `k/${i + j}`, removeOnComplete: true } })));
  }
  const t0 = performance.now();
  void worker.run();
  await all;
  const rate = RAW_JOBS / ((performance.now() - t0) / 1000);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return rate;
}

/** Keys/s through berth's WorkQueue (dirty markers, dedupe, promote) with a no-op reconciler. */
async function runtimeRate(redisUrl: string): Promise<number> {
  let done = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const q = new WorkQueue({
    name: 'noop',
    prefix: '{runtimebench}',
    redisUrl,
    concurrency: CONCURRENCY,
    reconciler: {
      async reconcile() {
        if (++done === RAW_JOBS) resolveAll();
      },
    },
  });
  const t0 = performance.now();
  q.start();
  for (let i = 0; i < RAW_JOBS; i++) {
    q.add(`ns/key-${i}`);
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await all;
  const rate = RAW_JOBS / ((performance.now() - t0) / 1000);
  await q.close();
  return rate;
}

async function main(): Promise<void> {
  const dir = tempDir('berth-bench-controllers-');
  const redis = await startRedisProcess(dir, FSYNC);
  const api = await startApiServer({ redisUrl: redis.url, authenticator: new TokenAuthenticator({}), port: 0 });
  const admin = api.client(ADMIN_USER, 'bench');
  const ac = new AbortController();
  try {
    console.log(`controllers: scale one Deployment 0 → ${fmt(PODS)} pods over ${NODES} simulated nodes (redis appendfsync ${FSYNC}, ${CONCURRENCY} keys at once per controller)`);
    console.log('note: sim nodes are not built yet; this benchmark binds pods and marks them Running itself');
    await admin.create(refs.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await Promise.all(Array.from({ length: NODES }, (_, i) => admin.create(refs.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: `sim-${i}` }, status: { capacity: { pods: '110' }, allocatable: { pods: '110' } } })));

    const manager = createControllerManager({
      client: (ua) => api.client(CONTROLLER_MANAGER_USER, ua),
      redisUrl: redis.url,
      prefix: '{bench}',
      controllers: defaultControllers(),
      concurrency: CONCURRENCY,
      log: (l) => (l.includes('retry') ? undefined : console.log(`  ${l}`)),
    });
    await manager.start(ac.signal);

    let created = 0;
    let running = 0;
    let tCreated = 0;
    let tRunning = 0;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    let t0 = 0;
    void (async () => {
      for await (const ev of admin.watch<Pod>(refs.pods, { namespace: NS, signal: ac.signal })) {
        if (ev.type === 'ADDED' && ++created === PODS) tCreated = performance.now() - t0;
      }
    })().catch(() => undefined);
    simulateNodes(admin, ac.signal, () => {
      if (++running === PODS) {
        tRunning = performance.now() - t0;
        resolveDone();
      }
    });

    await admin.create(refs.deployments, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'scale', namespace: NS },
      spec: { replicas: 0, selector: { matchLabels: { app: 'scale' } }, template: { metadata: { labels: { app: 'scale' } }, spec: { containers: [{ name: 'c', image: 'sim' }] } } },
    });
    const before = manager.stats();
    t0 = performance.now();
    await admin.patch(refs.deployments, 'scale', 'merge', { spec: { replicas: PODS } }, { namespace: NS });
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), TIMEOUT_MS).unref());
    const outcome = await Promise.race([done.then(() => 'done' as const), timeout]);
    const window = (outcome === 'done' ? tRunning : performance.now() - t0) / 1000;
    const after = manager.stats();
    const reconciles = Object.keys(after).reduce((n, k) => n + after[k].reconciles - (before[k]?.reconciles ?? 0), 0);
    const errors = Object.keys(after).reduce((n, k) => n + after[k].errors - (before[k]?.errors ?? 0), 0);
    const perController = Object.entries(after)
      .map(([k, v]) => [k, v.reconciles - (before[k]?.reconciles ?? 0)] as const)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k.replace(/-controller$/, '')} ${fmt(n)}`)
      .join(', ');
    ac.abort();
    await manager.stopped();

    console.log('');
    console.log(`pods created:     ${fmt(created)} / ${fmt(PODS)}${tCreated ? ` in ${fmt(tCreated / 1000, 2)} s (${fmt(PODS / (tCreated / 1000))} pods/s)` : ''}`);
    console.log(`pods Running:     ${fmt(running)} / ${fmt(PODS)}${tRunning ? ` in ${fmt(tRunning / 1000, 2)} s` : ' (timed out)'}`);
    console.log(`reconciles:       ${fmt(reconciles)} in ${fmt(window, 2)} s = ${fmt(reconciles / window)} /s (${errors} retried errors; ${perController})`);
    const raw = await rawQueueRate(redis.url);
    console.log(`BullMQ raw limit: ${fmt(raw)} jobs/s (no-op worker, concurrency ${CONCURRENCY}, ${fmt(RAW_JOBS)} jobs added in bulk first, same redis)`);
    const rt = await runtimeRate(redis.url);
    console.log(`berth runtime:    ${fmt(rt)} keys/s (no-op reconciler, ${fmt(RAW_JOBS)} distinct keys enqueued as informers would: dirty marker, dedupe, promote)`);
    console.log('');
    const pass = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    console.log(`${pass(!!tRunning && tRunning <= 10_000)}  all ${fmt(PODS)} Running within 10 s (${tRunning ? fmt(tRunning / 1000, 2) + ' s' : 'not reached'})`);
    console.log(`${pass(rt >= raw * 0.5)}  controller runtime ≥ 50% of the raw queue rate (${fmt((100 * rt) / raw)}%)`);
  } finally {
    ac.abort();
    await api.close();
    await redis.stop();
    removeDir(dir);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench controllers: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
