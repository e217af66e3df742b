/**
 * `npm run bench -- agent`: (1) process runtime: pod created → Running and Ready, p50/p99 over N
 * pods, next to the limit measured in the same run: spawning the same command directly with
 * child_process. (2) sim: M sim nodes × K pods in one `berth agent --runtime sim --sim-nodes M`
 * process over HTTP: every Lease stays fresh, sampled from registration through the pod burst; the
 * agent's peak RSS, and its CPU during the burst and once every pod runs. Prints PASS/MISS against the
 * issue's targets; exits 1 only when the benchmark itself broke.
 *
 * Flags: --pods N (100) --sim-nodes M (2000) --pods-per-node K (30) --observe S (30)
 * --phases process,sim
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startApiServer, type RunningApiServer } from '../src/controlplane/apiserver.js';
import type { Client } from '../src/controlplane/client/client.js';
import { refs } from '../src/controlplane/client/refs.js';
import type { KubeObject } from '../src/controlplane/resources/types.js';
import { ADMIN_USER, newToken, TokenAuthenticator } from '../src/policy/authn/tokens.js';
import { startRedisProcess, type RedisProcess } from '../src/cli/redis-process.js';
import { createAgent, nodeUser } from '../src/agent/agent.js';
import { Histogram } from './lib/histogram.js';
import { cpuMs, installCleanupHandlers, removeDir, rssBytes, startProcess, stopAll, tempDir, track } from './lib/procs.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '100' },
    'sim-nodes': { type: 'string', default: '2000' },
    'pods-per-node': { type: 'string', default: '30' },
    observe: { type: 'string', default: '30' },
    phases: { type: 'string', default: 'process,sim' },
  },
});
const phases = new Set(values.phases!.split(','));
const COMMAND = ['sleep', '1000'];

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

async function cluster(dir: string): Promise<{ api: RunningApiServer; redis: RedisProcess; token: string }> {
  const redis = await startRedisProcess(dir, 'everysec');
  track(redis.child);
  const token = newToken();
  const api = await startApiServer({ redisUrl: redis.url, authenticator: new TokenAuthenticator({ [token]: ADMIN_USER }), port: 0 });
  return { api, redis, token };
}

/** Time to spawn the command directly: the limit of the process runtime. */
async function spawnLimit(n: number): Promise<Histogram> {
  const h = new Histogram();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const child = spawn(COMMAND[0], COMMAND.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise((r) => child.once('spawn', r));
    h.record(performance.now() - t0);
    process.kill(-child.pid!, 'SIGKILL');
  }
  return h;
}

async function benchProcess(n: number): Promise<void> {
  const dir = tempDir('berth-bench-agent-');
  const { api, redis } = await cluster(dir);
  const ac = new AbortController();
  const agent = createAgent({ client: api.client(nodeUser('bench'), 'berth-agent'), name: 'bench', runtime: 'process', dataDir: join(dir, 'agent') });
  await agent.start(ac.signal);
  const client = api.client();
  const created = new Map<string, number>();
  const h = new Histogram();
  const watch = new AbortController();
  const seen = new Set<string>();
  let wake: (() => void) | undefined;
  const watching = (async () => {
    for await (const ev of client.watch<Pod & KubeObject>(refs.pods, { namespace: 'default', signal: watch.signal })) {
      const p = ev.object;
      const name = p.metadata?.name ?? '';
      const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      if (ready && p.status?.phase === 'Running' && created.has(name) && !seen.has(name)) {
        seen.add(name);
        h.record(performance.now() - created.get(name)!);
        wake?.();
      }
    }
  })();
  for (let i = 0; i < n; i++) {
    const name = `p${i}`;
    created.set(name, performance.now());
    await client.create(refs.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: 'bench', containers: [{ name: 'c', image: 'busybox', command: COMMAND }] } });
    while (!seen.has(name)) await new Promise<void>((r) => (wake = r));
  }
  watch.abort();
  await watching;
  const limit = await spawnLimit(n);
  const p50 = h.percentile(50);
  const p99 = h.percentile(99);
  const l50 = limit.percentile(50);
  console.log(`process runtime: ${n} pods created → Running+Ready: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
  console.log(`  limit (child_process.spawn of ${COMMAND.join(' ')}): p50 ${l50.toFixed(2)} ms, p99 ${limit.percentile(99).toFixed(2)} ms`);
  console.log(`  target p50 ≤ 3×limit + 50 ms = ${(3 * l50 + 50).toFixed(1)} ms: ${verdict(p50 <= 3 * l50 + 50)}; p99 < 1000 ms: ${verdict(p99 < 1000)}`);
  ac.abort();
  await agent.stopped();
  await api.close();
  await redis.stop();
  removeDir(dir);
}

async function countRunning(client: Client, want: number, signal: AbortSignal): Promise<void> {
  const running = new Set<string>();
  for await (const ev of client.watch<Pod & KubeObject>(refs.pods, { fieldSelector: 'status.phase=Running', signal })) {
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') running.add(ev.object.metadata?.name ?? '');
    if (running.size >= want) return;
  }
}

async function benchSim(nodes: number, perNode: number, observeS: number): Promise<void> {
  const dir = tempDir('berth-bench-sim-');
  const { api, redis, token } = await cluster(dir);
  const client = api.client();
  const t0 = performance.now();
  const agent = await startProcess(
    'berth agent (sim)',
    process.execPath,
    [join(REPO, 'bin/berth.js'), 'agent', '--server', api.url, '--token', token, '--name', 'sim', '--runtime', 'sim', '--sim-nodes', String(nodes), '--port', '0'],
    /(running) \(sim runtime/,
    { timeoutMs: 600_000 },
  );
  console.log(`sim: ${nodes} nodes registered in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // Leases and RSS are sampled from registration on: the pod burst is when renewals are most at risk
  let maxAge = 0;
  let peakRss = 0;
  let sampling = true;
  const sample = async () => {
    const leases = await client.list<Lease & KubeObject>(refs.leases, { namespace: 'kube-node-lease' });
    const now = Date.now();
    for (const l of leases.items) maxAge = Math.max(maxAge, now - Date.parse(l.spec?.renewTime ?? '1970-01-01T00:00:00Z'));
    peakRss = Math.max(peakRss, rssBytes(agent.pid));
  };
  const sampler = (async () => {
    while (sampling) {
      await sample();
      await new Promise((r) => setTimeout(r, 2000));
    }
  })();
  const total = nodes * perNode;
  const runningWatch = new AbortController();
  const allRunning = countRunning(client, total, runningWatch.signal);
  const t1 = performance.now();
  const burstCpu0 = cpuMs(agent.pid);
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < total) {
        const i = next++;
        await client.create(refs.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `s${i}`, namespace: 'default' }, spec: { nodeName: `sim-${i % nodes}`, containers: [{ name: 'c', image: 'nginx' }] } });
      }
    }),
  );
  await allRunning;
  runningWatch.abort();
  const burstMs = performance.now() - t1;
  const burstCores = (cpuMs(agent.pid) - burstCpu0) / burstMs;
  console.log(`sim: ${total} pods created and Running in ${(burstMs / 1000).toFixed(1)} s; agent CPU meanwhile ${burstCores.toFixed(2)} cores`);
  const cpu0 = cpuMs(agent.pid);
  const start = Date.now();
  await new Promise((r) => setTimeout(r, observeS * 1000));
  sampling = false;
  await sampler;
  await sample();
  const cores = (cpuMs(agent.pid) - cpu0) / (Date.now() - start);
  console.log(`sim: ${nodes} nodes × ${perNode} pods, from registration through the pod burst and ${observeS} s after: oldest Lease renewal ${(maxAge / 1000).toFixed(1)} s ago (lease duration 40 s): ${verdict(maxAge < 40_000)}`);
  console.log(`  agent peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB (target < 1024): ${verdict(peakRss < 2 ** 30)}; CPU with every pod Running ${cores.toFixed(2)} cores (target < 1): ${verdict(cores < 1)}`);
  await agent.stop();
  await api.close();
  await redis.stop();
  removeDir(dir);
}

installCleanupHandlers();
try {
  if (phases.has('process')) await benchProcess(Number(values.pods));
  if (phases.has('sim')) await benchSim(Number(values['sim-nodes']), Number(values['pods-per-node']), Number(values.observe));
} catch (e) {
  console.error(`bench agent: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
