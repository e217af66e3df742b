/**
 * `npm run bench -- scheduler`: 5,000 simulated nodes (varied capacity, zones, disks, a few taints)
 * and 20,000 pending pods with requests, some with spreading, anti-affinity and node selectors.
 * Prints, from the same run: the pure core's decisions per second in-process (the limit), and pods
 * bound per second end to end — API server, Redis, BullMQ queue, reservations, binding, events —
 * with a check that the end-to-end decisions are the ones the core makes scheduling the same pods
 * one at a time. Figures, never a pass/fail on timing (exit 1 only when the benchmark broke).
 *
 * End to end runs twice: the scheduler in the API server's process (as `berth up` runs it), and as
 * `berth scheduler` in its own process over HTTP (as a multi-process cluster runs it).
 *
 * Flags: --nodes N (5000) --pods N (20000) --fsync always|everysec (always) --concurrency N (16)
 * --phases core,e2e --scheduler in-process,process --seed N (1)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { startRedisProcess, type FsyncMode } from '../src/cli/redis-process.js';
import { startApiServer } from '../src/controlplane/apiserver.js';
import type { Client } from '../src/controlplane/client/client.js';
import { refs } from '../src/controlplane/client/refs.js';
import type { KubeObject } from '../src/controlplane/resources/types.js';
import { SchedulerCache } from '../src/controlplane/scheduler/cache.js';
import { profilesFrom } from '../src/controlplane/scheduler/config.js';
import { FitError, Framework, numFeasibleNodesToFind } from '../src/controlplane/scheduler/framework.js';
import { podInfo } from '../src/controlplane/scheduler/pod-info.js';
import { createScheduler, SCHEDULER_USER, type SchedulerStats } from '../src/controlplane/scheduler/scheduler.js';
import { ADMIN_USER, newToken, TokenAuthenticator } from '../src/policy/authn/tokens.js';
import { cpuMs, installCleanupHandlers, removeDir, tempDir, track } from './lib/procs.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    nodes: { type: 'string', default: '5000' },
    pods: { type: 'string', default: '20000' },
    fsync: { type: 'string', default: 'always' },
    concurrency: { type: 'string', default: '16' },
    phases: { type: 'string', default: 'core,e2e' },
    scheduler: { type: 'string', default: 'in-process,process' },
    seed: { type: 'string', default: '1' },
  },
});
const NODES = Number(values.nodes);
const PODS = Number(values.pods);
const FSYNC = values.fsync as FsyncMode;
const CONCURRENCY = Number(values.concurrency);
const PHASES = new Set(values.phases!.split(','));
type Mode = 'in-process' | 'process';
const MODES = PHASES.has('e2e') ? (values.scheduler!.split(',') as Mode[]) : [];
if (!(NODES > 0 && PODS > 0 && CONCURRENCY > 0) || (FSYNC !== 'always' && FSYNC !== 'everysec') || MODES.some((m) => m !== 'in-process' && m !== 'process')) {
  console.error('usage: npm run bench -- scheduler [--nodes N] [--pods N] [--fsync always|everysec] [--concurrency N] [--phases core,e2e] [--scheduler in-process,process] [--seed N]');
  process.exit(2);
}

// ---- the cluster, generated from a seed --------------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

function makeNodes(n: number, r: () => number): Node[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `sim-${String(i).padStart(5, '0')}`;
    const cpu = pick(r, ['4', '8', '16', '32', '64']);
    const memory = pick(r, ['16Gi', '32Gi', '64Gi', '128Gi']);
    const x = r();
    const taints = x < 0.02 ? [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] : x < 0.07 ? [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] : undefined;
    const resources = { cpu, memory, pods: '110' };
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${i % 10}`, disk: r() < 0.3 ? 'ssd' : 'hdd', tier: pick(r, ['web', 'batch', 'general']) } },
      spec: { taints },
      status: { capacity: resources, allocatable: resources, conditions: [{ type: 'Ready', status: 'True' }] },
    } as Node;
  });
}

function makePods(n: number, r: () => number): Pod[] {
  return Array.from({ length: n }, (_, i) => {
    const app = `app-${Math.floor(i / 20)}`;
    const spec: NonNullable<Pod['spec']> = {
      containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: pick(r, ['100m', '250m', '500m', '1']), memory: pick(r, ['128Mi', '256Mi', '512Mi', '1Gi', '2Gi']) } } }],
      priority: pick(r, [0, 0, 0, 100, 1000]),
    };
    const kind = r();
    if (kind < 0.1) spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app } } }];
    else if (kind < 0.15) spec.topologySpreadConstraints = [{ maxSkew: 2, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app } } }];
    else if (kind < 0.2) spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app } } }] } };
    else if (kind < 0.3) spec.nodeSelector = { disk: 'ssd' };
    else if (kind < 0.35) spec.affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] } }] } };
    return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${String(i).padStart(5, '0')}`, namespace: 'default', uid: `uid-${i}`, labels: { app } }, spec } as Pod;
  });
}

// ---- helpers -------------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function pool<T>(items: readonly T[], width: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** The pure core over a fresh cache of `nodes`, deciding `pods` in `order` (keys) one at a time. */
function replay(nodes: Node[], pods: Map<string, Pod>, order: string[]): { decisions: Map<string, string | undefined>; ms: number; evaluated: number } {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.upsertNode(n);
  cache.setNamespace('default', {});
  const framework = new Framework(profilesFrom()[0]);
  const decisions = new Map<string, string | undefined>();
  let evaluated = 0;
  const t0 = performance.now();
  for (const key of order) {
    const info = podInfo(pods.get(key)!);
    const r = framework.schedule(info, cache);
    if (r instanceof FitError) {
      decisions.set(key, undefined);
      continue;
    }
    evaluated += r.evaluated;
    cache.assume(info, r.node.name);
    decisions.set(key, r.node.name);
  }
  return { decisions, ms: performance.now() - t0, evaluated };
}

// ---- phases ----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  installCleanupHandlers();
  const r = rng(Number(values.seed));
  const nodes = makeNodes(NODES, r);
  const pods = makePods(PODS, r);
  const byKey = new Map(pods.map((p) => [`default/${p.metadata!.name}`, p]));
  console.log(`scheduler benchmark: ${fmt(NODES)} nodes, ${fmt(PODS)} pending pods (10% spread ScheduleAnyway, 5% DoNotSchedule, 5% anti-affinity, 10% nodeSelector, 5% preferred affinity)`);
  console.log(`percentageOfNodesToScore (adaptive): ${numFeasibleNodesToFind(0, NODES)} feasible nodes scored per pod`);

  // Queue order: priority first, then arrival (name order here).
  const queueOrder = [...byKey.keys()].sort((a, b) => (byKey.get(b)!.spec!.priority ?? 0) - (byKey.get(a)!.spec!.priority ?? 0) || a.localeCompare(b));
  let core: ReturnType<typeof replay> | undefined;
  if (PHASES.has('core')) {
    core = replay(nodes, byKey, queueOrder);
    const placed = [...core.decisions.values()].filter(Boolean).length;
    console.log(`\ncore (pure, in-process, one pod at a time): ${fmt(PODS / (core.ms / 1000))} decisions/s  (${fmt(core.ms)} ms; ${fmt(placed)} placed; ${fmt(core.evaluated / Math.max(1, placed))} nodes filtered per pod)`);
  }

  for (const mode of MODES) {
    const r = await endToEnd(mode, nodes, pods);
    const label = mode === 'in-process' ? 'API server + scheduler in one process' : 'API server in this process, `berth scheduler` in its own (HTTP)';
    console.log(`\nend to end (${label}, redis-server fsync ${FSYNC}, concurrency ${CONCURRENCY}):`);
    console.log(`  ${fmt(r.bound)} pods bound in ${fmt(r.seconds, 1)} s from start: ${fmt(r.bound / r.seconds)} pods/s; ${fmt(r.bound / (r.seconds - r.syncedMs / 1000))} pods/s once started (start, caches synced: ${fmt(r.syncedMs)} ms)`);
    console.log(`  CPU while scheduling: ${Object.entries(r.cpu).map(([k, v]) => `${k} ${fmt(v)}%`).join(', ')} of one core`);
    if (r.stats) console.log(`  attempts ${fmt(r.stats.attempts)}, unschedulable ${fmt(r.stats.unschedulable)}, reservation conflicts ${fmt(r.stats.reserveConflicts)}`);
    if (r.order) {
      const same = replay(nodes, byKey, r.order);
      let identical = 0;
      for (const [key, node] of r.decided!) if (same.decisions.get(key) === node) identical++;
      console.log(`  decisions identical to the core scheduling the same pods one at a time, in the same order: ${fmt(identical)} / ${fmt(r.decided!.size)}`);
    }
    if (core) console.log(`  limit vs end to end: core ${fmt(PODS / (core.ms / 1000))} decisions/s; end to end ${fmt(r.bound / r.seconds)} pods/s (target ≥ 1,000 pods/s; kube-scheduler anchor 100 pods/s at 5,000 nodes)`);
  }
}

interface EndToEnd {
  bound: number;
  seconds: number;
  syncedMs: number;
  /** % of one core during the scheduling window, per process */
  cpu: Record<string, number>;
  stats?: SchedulerStats;
  order?: string[];
  decided?: Map<string, string | undefined>;
}

/** A fresh redis-server and API server with the nodes and pending pods; then one scheduler binds them all. */
async function endToEnd(mode: Mode, nodes: Node[], pods: Pod[]): Promise<EndToEnd> {
  const dir = tempDir('berth-bench-scheduler-');
  const redis = await startRedisProcess(dir, FSYNC);
  const token = newToken();
  const api = await startApiServer({ redisUrl: redis.url, authenticator: new TokenAuthenticator({ [token]: ADMIN_USER }), port: 0 });
  let child: ChildProcess | undefined;
  try {
    const admin: Client = api.client(ADMIN_USER, 'bench');
    let t0 = performance.now();
    await pool(nodes, 64, async (n) => {
      const created = await admin.create(refs.nodes, { ...n, status: undefined } as KubeObject);
      await admin.updateStatus(refs.nodes, { ...created, status: n.status } as KubeObject);
    });
    const nodeMs = performance.now() - t0;
    t0 = performance.now();
    await pool(pods, 64, (p) => admin.create(refs.pods, { ...p, metadata: { ...p.metadata, uid: undefined } } as KubeObject));
    const podMs = performance.now() - t0;
    console.log(`\nsetup through the API (fsync ${FSYNC}): ${fmt(NODES / (nodeMs / 1000))} nodes/s (create + status), ${fmt(PODS / (podMs / 1000))} pod creates/s — the API's write rate, for scale`);

    // Pods leaving the selection `spec.nodeName=` arrive as DELETED: one per binding.
    const pending = await admin.list(refs.pods, { fieldSelector: 'spec.nodeName=', limit: 1 });
    const watchAc = new AbortController();
    let bound = 0;
    let progressAt = performance.now();
    let allBound!: () => void;
    let stalled!: (e: Error) => void;
    const done = new Promise<void>((res, rej) => ((allBound = res), (stalled = rej)));
    void (async () => {
      for await (const ev of admin.watch(refs.pods, { fieldSelector: 'spec.nodeName=', resourceVersion: pending.metadata.resourceVersion, signal: watchAc.signal })) {
        if (ev.type !== 'DELETED') continue;
        progressAt = performance.now();
        if (++bound === pods.length) allBound();
      }
    })().catch(() => {});
    const watchdog = setInterval(() => {
      if (performance.now() - progressAt > 60_000) stalled(new Error(`no pod bound for 60 s (${bound} of ${pods.length} bound)`));
    }, 1000);

    const cpu0 = { bench: process.cpuUsage(), at: performance.now() };
    const tStart = performance.now();
    let syncedMs: number;
    const out: EndToEnd = { bound: 0, seconds: 0, syncedMs: 0, cpu: {} };
    let stop: () => Promise<void>;
    let childCpu0 = 0;
    if (mode === 'in-process') {
      const order: string[] = [];
      const decided = new Map<string, string | undefined>();
      const scheduler = createScheduler({
        client: api.client(SCHEDULER_USER, 'berth-scheduler'),
        redisUrl: redis.url,
        prefix: 'bench',
        concurrency: CONCURRENCY,
        onDecision: (key, node) => {
          if (!decided.has(key)) order.push(key);
          decided.set(key, node);
        },
      });
      const ac = new AbortController();
      await scheduler.start(ac.signal);
      syncedMs = performance.now() - tStart;
      Object.assign(out, { stats: scheduler.stats, order, decided });
      stop = async () => {
        ac.abort();
        await scheduler.stopped();
      };
    } else {
      child = spawn(process.execPath, [join(REPO, 'bin/berth.js'), 'scheduler', '--server', api.url, '--token', token, '--redis-url', redis.url, '--prefix', 'bench', '--concurrency', String(CONCURRENCY)], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
      const untrack = track(child);
      await new Promise<void>((res, rej) => {
        child!.stdout!.on('data', (d: Buffer) => d.toString().includes('scheduler started') && res());
        child!.once('exit', (code) => rej(new Error(`berth scheduler exited (${code})`)));
      });
      syncedMs = performance.now() - tStart;
      childCpu0 = cpuMs(child.pid!);
      stop = async () => {
        child!.kill('SIGTERM');
        await new Promise((res) => child!.once('exit', res));
        untrack();
      };
    }
    await done.finally(() => clearInterval(watchdog));
    const tEnd = performance.now();
    const wall = tEnd - cpu0.at;
    const c = process.cpuUsage(cpu0.bench);
    out.cpu[mode === 'in-process' ? 'API+scheduler' : 'API'] = ((c.user + c.system) / 1000 / wall) * 100;
    if (child) out.cpu.scheduler = ((cpuMs(child.pid!) - childCpu0) / wall) * 100;
    watchAc.abort();
    await stop();
    return { ...out, bound, seconds: (tEnd - tStart) / 1000, syncedMs };
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await api.close();
    await redis.stop();
    removeDir(dir);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench scheduler: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
