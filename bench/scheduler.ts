/**
 * `npm run bench -- scheduler`: 5,000 simulated nodes (varied capacity, zones, disks, a few taints)
 * and 20,000 pending pods with requests, some with spreading, anti-affinity and node selectors.
 * Prints, from the same run: the pure core's decisions per second in-process (the limit), and pods
 * bound per second end to end — API server, Redis, BullMQ queue, reservations, binding, events —
 * with a check that the end-to-end decisions are the ones the core makes scheduling the same pods
 * one at a time. Figures, never a pass/fail on timing (exit 1 only when the benchmark broke).
 *
 * Flags: --nodes N (5000) --pods N (20000) --fsync always|everysec (always) --concurrency N (16)
 * --phases core,e2e --seed N (1)
 */
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
import { createScheduler, SCHEDULER_USER } from '../src/controlplane/scheduler/scheduler.js';
import { ADMIN_USER, newToken, TokenAuthenticator } from '../src/policy/authn/tokens.js';
import { installCleanupHandlers, removeDir, tempDir } from './lib/procs.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    nodes: { type: 'string', default: '5000' },
    pods: { type: 'string', default: '20000' },
    fsync: { type: 'string', default: 'always' },
    concurrency: { type: 'string', default: '16' },
    phases: { type: 'string', default: 'core,e2e' },
    seed: { type: 'string', default: '1' },
  },
});
const NODES = Number(values.nodes);
const PODS = Number(values.pods);
const FSYNC = values.fsync as FsyncMode;
const CONCURRENCY = Number(values.concurrency);
const PHASES = new Set(values.phases!.split(','));
if (!(NODES > 0 && PODS > 0 && CONCURRENCY > 0) || (FSYNC !== 'always' && FSYNC !== 'everysec')) {
  console.error('usage: npm run bench -- scheduler [--nodes N] [--pods N] [--fsync always|everysec] [--concurrency N] [--phases core,e2e] [--seed N]');
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

  if (PHASES.has('e2e')) {
    const dir = tempDir('berth-bench-scheduler-');
    const redis = await startRedisProcess(dir, FSYNC);
    const token = newToken();
    const api = await startApiServer({ redisUrl: redis.url, authenticator: new TokenAuthenticator({ [token]: ADMIN_USER }), port: 0 });
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
      const tStart = performance.now();
      await scheduler.start(ac.signal);
      const syncedMs = performance.now() - tStart;
      let firstDecision = 0;
      while (scheduler.stats.bound + scheduler.stats.unschedulable < PODS) {
        if (!firstDecision && order.length > 0) firstDecision = performance.now();
        await new Promise((res) => setTimeout(res, 20));
      }
      const tEnd = performance.now();
      const cpu = process.cpuUsage();
      ac.abort();
      await scheduler.stopped();
      const list = await admin.list<Pod>(refs.pods, { namespace: 'default' });
      const bound = list.items.filter((p) => p.spec?.nodeName).length;
      const e2eS = (tEnd - tStart) / 1000;
      const fromFirst = (tEnd - (firstDecision || tStart)) / 1000;
      console.log(`\nend to end (API server + scheduler in one process, redis-server, concurrency ${CONCURRENCY}):`);
      console.log(`  ${fmt(bound)} pods bound in ${fmt(e2eS, 1)} s from start (caches synced after ${fmt(syncedMs)} ms): ${fmt(bound / e2eS)} pods/s; ${fmt(bound / fromFirst)} pods/s after the first decision`);
      console.log(`  attempts ${fmt(scheduler.stats.attempts)}, unschedulable ${fmt(scheduler.stats.unschedulable)}, reservation conflicts ${fmt(scheduler.stats.reserveConflicts)}; process CPU ${fmt((cpu.user + cpu.system) / 1000 / (tEnd - tStart) * 100)}% of one core over the whole run`);

      const same = replay(nodes, byKey, order);
      let identical = 0;
      for (const [key, node] of decided) if (same.decisions.get(key) === node) identical++;
      console.log(`  decisions identical to the core scheduling the same pods one at a time, in the same order: ${fmt(identical)} / ${fmt(decided.size)}`);
      if (core) console.log(`\nlimit vs end to end: core ${fmt(PODS / (core.ms / 1000))} decisions/s; end to end ${fmt(bound / e2eS)} pods/s (target ≥ 1,000 pods/s; kube-scheduler anchor 100 pods/s at 5,000 nodes)`);
      if (bound + scheduler.stats.unschedulable < PODS) throw new Error(`only ${bound} pods bound`);
    } finally {
      await api.close();
      await redis.stop();
      removeDir(dir);
    }
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench scheduler: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
