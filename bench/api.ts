/**
 * `npm run bench -- api`: how fast berth's API serves ConfigMaps over HTTP, next to the limits
 * measured in the same run on the same machine with the same client — a bare node:http server
 * (the HTTP limit) and raw ioredis against a redis-server started the way berth starts its own
 * (the Redis limit) — for both `--fsync` modes; then 100 watchers on a 1,000 writes/s stream, and
 * the idle memory of a fresh `berth up`. It prints figures and PASS/MISS against the targets of the
 * foundation issue; it never fails on a timing (exit 1 only when the benchmark itself broke).
 *
 * Flags: --duration S (per phase, 5) --warmup S (1) --concurrency N (32) --fsync always,everysec
 * --watchers N (100) --watch-rate N (1000) --watch-seconds S (5) --idle-seconds S (5)
 * --phases create,get,bare,redis,watch,memory --cpu-prof DIR (profile each berth child)
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { parse as parseYaml } from 'yaml';
import { startRedisProcess, type FsyncMode } from '../src/cli/redis-process.js';
import { Histogram } from './lib/histogram.js';
import { closedLoop, pacedLoop, HttpTarget, type LoadResult, type Operation } from './lib/load.js';
import { commandName, cpuMs, descendants, installCleanupHandlers, interrupted, removeDir, rssBytes, startProcess, stopAll, tempDir, track, type Proc } from './lib/procs.js';
import { nowMs, type WatchersInput, type WatchResult } from './lib/watchers.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const PHASES = ['create', 'get', 'bare', 'redis', 'watch', 'memory'] as const;
type Phase = (typeof PHASES)[number];

// ---- options ---------------------------------------------------------------------------------

interface Options {
  durationMs: number;
  warmupMs: number;
  concurrency: number;
  fsync: FsyncMode[];
  watchers: number;
  watchRate: number;
  watchMs: number;
  idleMs: number;
  phases: Set<Phase>;
  cpuProfDir?: string;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '32' },
      fsync: { type: 'string', default: 'always,everysec' },
      watchers: { type: 'string', default: '100' },
      'watch-rate': { type: 'string', default: '1000' },
      'watch-seconds': { type: 'string', default: '5' },
      'idle-seconds': { type: 'string', default: '5' },
      phases: { type: 'string', default: PHASES.join(',') },
      'cpu-prof': { type: 'string' },
    },
  });
  const num = (name: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in [${min}, ${max}] (got "${v}")`);
    return n;
  };
  const fsync = values.fsync!.split(',').filter(Boolean);
  for (const f of fsync) if (f !== 'always' && f !== 'everysec') throw new Error(`--fsync takes always and/or everysec (got "${f}")`);
  const phases = values.phases!.split(',').filter(Boolean);
  for (const p of phases) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--phases takes ${PHASES.join(', ')} (got "${p}")`);
  return {
    durationMs: num('duration', values.duration!, 0.5, 600) * 1000,
    warmupMs: num('warmup', values.warmup!, 0, 60) * 1000,
    concurrency: Math.round(num('concurrency', values.concurrency!, 1, 1024)),
    fsync: fsync as FsyncMode[],
    watchers: Math.round(num('watchers', values.watchers!, 1, 1000)),
    watchRate: num('watch-rate', values['watch-rate']!, 1, 20_000),
    watchMs: num('watch-seconds', values['watch-seconds']!, 0.5, 120) * 1000,
    idleMs: num('idle-seconds', values['idle-seconds']!, 0, 120) * 1000,
    phases: new Set(phases as Phase[]),
    cpuProfDir: values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined,
  };
}

// ---- the systems under test ------------------------------------------------------------------

interface Berth {
  proc: Proc;
  url: string;
  token: string;
  /** for https: the CA from the kubeconfig, and berth's serving cert and key (the bare server reuses them) */
  ca?: string;
  tls?: { cert: string; key: string };
  /** the berth process and its redis-server, for CPU figures */
  pids: Record<string, number>;
}

/** `berth up` as a user runs it, in its own temp data dir, with redis spawned by berth. */
async function startBerth(dataDir: string, fsync: FsyncMode, opts: Options): Promise<Berth> {
  const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : [];
  const env = { ...process.env };
  delete env.REDIS_URL; // the benchmark measures berth with the redis-server it spawns
  const proc = await startProcess(
    'berth up',
    process.execPath,
    [...nodeArgs, join(REPO, 'bin/berth.js'), 'up', '--api-port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--fsync', fsync, '--nodes', '1'],
    /API server listening on (https?:\/\/\S+)/,
    { cwd: REPO, env, timeoutMs: 60_000 },
  );
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const pids: Record<string, number> = { berth: proc.pid };
  for (const pid of descendants(proc.pid)) if (commandName(pid).startsWith('redis-server')) pids.redis = pid;
  const b: Berth = { proc, url: proc.ready, token, pids };
  if (b.url.startsWith('https:')) {
    const kubeconfig = parseYaml(readFileSync(join(dataDir, 'kubeconfig'), 'utf8')) as { clusters?: { cluster?: Record<string, string> }[] };
    const caData = kubeconfig.clusters?.[0]?.cluster?.['certificate-authority-data'];
    if (caData) b.ca = Buffer.from(caData, 'base64').toString('utf8');
    const pki = join(dataDir, 'pki');
    if (existsSync(join(pki, 'apiserver.crt')) && existsSync(join(pki, 'apiserver.key'))) {
      b.tls = { cert: readFileSync(join(pki, 'apiserver.crt'), 'utf8'), key: readFileSync(join(pki, 'apiserver.key'), 'utf8') };
    }
  }
  return b;
}

// ---- measuring -------------------------------------------------------------------------------

interface Row {
  fsync: string;
  phase: string;
  r: LoadResult;
  /** CPU used during the measured window, % of one core, per process name */
  cpu: Record<string, number>;
}

function cpuSnapshot(pids: Record<string, number>): { at: number; own: NodeJS.CpuUsage; ms: Record<string, number> } {
  const ms: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) ms[name] = cpuMs(pid);
  return { at: performance.now(), own: process.cpuUsage(), ms };
}

function cpuSince(before: ReturnType<typeof cpuSnapshot>, pids: Record<string, number>): Record<string, number> {
  const wall = performance.now() - before.at;
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) out[name] = ((cpuMs(pid) - before.ms[name]) / wall) * 100;
  const own = process.cpuUsage(before.own);
  out.bench = ((own.user + own.system) / 1000 / wall) * 100;
  return out;
}

/** warm-up (discarded), then the measured closed-loop phase */
async function measure(fsync: string, phase: string, op: Operation, seqBase: { next: number }, opts: Options, pids: Record<string, number>): Promise<Row> {
  const maxOps = Math.max(1000, Math.ceil(opts.durationMs * 200)); // 200k/s: above anything this machine serves
  const run = async (durationMs: number) => {
    const base = seqBase.next;
    const r = await closedLoop((i) => op(base + i), { concurrency: opts.concurrency, durationMs, maxOps, signal: interrupted.signal });
    seqBase.next = base + r.ok + r.errors;
    return r;
  };
  if (opts.warmupMs > 0) await run(opts.warmupMs);
  const before = cpuSnapshot(pids);
  const r = await run(opts.durationMs);
  const row: Row = { fsync, phase, r, cpu: cpuSince(before, pids) };
  printRow(row);
  return row;
}

function configMap(name: string, data: Record<string, string>): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'berth-bench' } }, data });
}

/** a payload of a typical small ConfigMap's size */
const PAYLOAD = { 'app.properties': 'log.level=info\nfeature.flags=a,b,c\nendpoint=http://backend.default.svc:8080\n'.repeat(3) };

interface BerthRows {
  create?: Row;
  get?: Row;
  /** a GET response body, replayed by the bare server */
  sample?: string;
}

/** what the bare server imitates: berth's response bytes and, when berth serves TLS, its certificate */
interface BareSpec {
  sample: string;
  tls?: { cert: string; key: string };
}

async function berthPhases(b: Berth, fsync: FsyncMode, opts: Options): Promise<BerthRows> {
  const http = new HttpTarget(b.url, opts.concurrency, { authorization: `Bearer ${b.token}` }, { ca: b.ca });
  const out: BerthRows = {};
  const names: string[] = [];
  const seq = { next: 0 };
  try {
    if (opts.phases.has('create') || opts.phases.has('get')) {
      const create: Operation = async (i) => {
        const name = `bench-${fsync}-${i}`;
        await http.request('POST', '/api/v1/namespaces/default/configmaps', configMap(name, PAYLOAD), 201);
        if (names.length < 100_000) names.push(name);
      };
      if (opts.phases.has('create')) out.create = await measure(fsync, 'ConfigMap create', create, seq, opts, b.pids);
      else await closedLoop(create, { concurrency: opts.concurrency, durationMs: 60_000, maxOps: 1000 }); // objects for the get phase
    }
    if (names.length > 0) out.sample = (await http.request('GET', `/api/v1/namespaces/default/configmaps/${names[0]}`, undefined, 200)).body;
    if (opts.phases.has('get') && names.length > 0) {
      const get: Operation = async (i) => {
        await http.request('GET', `/api/v1/namespaces/default/configmaps/${names[i % names.length]}`, undefined, 200);
      };
      out.get = await measure(fsync, 'ConfigMap get', get, { next: 0 }, opts, b.pids);
    }
  } finally {
    http.close();
  }
  return out;
}

async function barePhase(root: string, spec: BareSpec, ca: string | undefined, opts: Options): Promise<Row> {
  const args = [join(root, 'bare-body.json')];
  writeFileSync(args[0], spec.sample);
  if (spec.tls) {
    args.push(join(root, 'bare.crt'), join(root, 'bare.key'));
    writeFileSync(args[1], spec.tls.cert);
    writeFileSync(args[2], spec.tls.key, { mode: 0o600 });
  }
  const proc = await startProcess('bare HTTP server', process.execPath, ['--import', 'tsx', join(REPO, 'bench/lib/bare-http-server.ts'), ...args], /listening on (https?:\/\/\S+)/, { cwd: REPO });
  const http = new HttpTarget(proc.ready, opts.concurrency, { authorization: 'Bearer bare-server-ignores-it' }, { ca });
  try {
    const get: Operation = async (i) => {
      await http.request('GET', `/api/v1/namespaces/default/configmaps/bench-${i}`, undefined, 200);
    };
    const label = `bare ${spec.tls ? 'HTTPS' : 'HTTP'} (${Buffer.byteLength(spec.sample)} B body)`;
    return await measure('-', label, get, { next: 0 }, opts, { server: proc.pid });
  } finally {
    http.close();
    await proc.stop();
  }
}

/** raw ioredis SET then GET, one auto-pipelined connection (as berth's store uses), N in flight */
async function redisPhases(root: string, fsync: FsyncMode, value: string, opts: Options): Promise<Row[]> {
  const dir = join(root, `redis-${fsync}`);
  mkdirSync(dir, { recursive: true });
  const server = await startRedisProcess(dir, fsync);
  const untrack = track(server.child);
  const redis = new Redis({ path: server.url, maxRetriesPerRequest: 3, enableAutoPipelining: true });
  const rows: Row[] = [];
  try {
    const pids = { redis: server.child.pid! };
    const seq = { next: 0 };
    rows.push(await measure(fsync, `redis SET (${Buffer.byteLength(value)} B)`, async (i) => void (await redis.set(`{bench}:cm:${i}`, value)), seq, opts, pids));
    const written = seq.next;
    rows.push(await measure(fsync, 'redis GET', async (i) => {
      if ((await redis.get(`{bench}:cm:${i % written}`)) === null) throw new Error(`GET {bench}:cm:${i % written}: missing`);
    }, { next: 0 }, opts, pids));
  } finally {
    redis.disconnect();
    await server.stop();
    untrack();
    removeDir(dir);
  }
  return rows;
}

// ---- watch -----------------------------------------------------------------------------------

interface WatchOutcome {
  writer: Row;
  expected: number;
  result: WatchResult;
  delivery: Histogram;
  berthCpuMsPerWrite: number;
}

function startWatchers(input: WatchersInput): Worker {
  // Worker threads do not inherit tsx's hooks: register them in the worker before loading the .ts.
  const api = import.meta.resolve('tsx/esm/api');
  const target = new URL('./lib/watchers.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`, { eval: true, workerData: input });
}

function nextMessage<T>(w: Worker, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the watchers' worker said nothing for ${timeoutMs} ms`)), timeoutMs);
    const done = (f: () => void) => {
      clearTimeout(t);
      w.off('message', onMsg).off('error', onErr);
      f();
    };
    const onMsg = (m: T) => done(() => resolve(m));
    const onErr = (e: Error) => done(() => reject(e));
    w.on('message', onMsg).on('error', onErr);
  });
}

async function watchPhase(b: Berth, fsync: FsyncMode, opts: Options): Promise<WatchOutcome> {
  const http = new HttpTarget(b.url, 64, { authorization: `Bearer ${b.token}` }, { ca: b.ca });
  const total = Math.round((opts.watchRate * opts.watchMs) / 1000);
  const prefix = `watch-${fsync}-`;
  // Warm the write path first (JIT, connections), or a fresh berth starts the stream behind and
  // spends the whole phase catching up.
  if (opts.warmupMs > 0) {
    await closedLoop((i) => http.request('POST', '/api/v1/namespaces/default/configmaps', configMap(`watch-warmup-${fsync}-${i}`, PAYLOAD), 201).then(() => undefined), {
      concurrency: opts.concurrency,
      durationMs: opts.warmupMs,
      maxOps: 100_000,
      signal: interrupted.signal,
    });
  }
  const list = JSON.parse((await http.request('GET', '/api/v1/namespaces/default/configmaps?limit=1', undefined, 200)).body) as { metadata: { resourceVersion: string } };
  const rv = list.metadata.resourceVersion;
  const worker = startWatchers({
    baseUrl: b.url,
    path: `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`,
    token: b.token,
    ca: b.ca,
    watchers: opts.watchers,
    namePrefix: prefix,
    maxSeq: total,
    openTimeoutMs: 30_000,
  });
  try {
    const first = await nextMessage<{ type: string; error?: string }>(worker, 35_000);
    if (first.type !== 'ready') throw new Error(`watchers did not start: ${first.error ?? first.type}`);
    await new Promise((r) => setTimeout(r, 300));
    const before = cpuSnapshot(b.pids);
    const write: Operation = async (i) => {
      await http.request('POST', '/api/v1/namespaces/default/configmaps', configMap(`${prefix}${i}`, { sentAt: nowMs().toFixed(3), ...PAYLOAD }), 201);
    };
    const w = await pacedLoop(write, { rate: opts.watchRate, total, maxInFlight: 64, maxMs: opts.watchMs * 3 + 5000, signal: interrupted.signal });
    const writer: Row = { fsync, phase: `watch writer (${opts.watchRate}/s open loop)`, r: w, cpu: cpuSince(before, b.pids) };
    printRow(writer);
    if (w.late > 0) console.log(`    writer: ${w.late} of ${total} writes went out >10 ms after their slot (in-flight cap 64)`);
    worker.postMessage({ type: 'expect', okSeqs: w.okSeqs, waitMs: 10_000 });
    const res = await nextMessage<{ type: string } & WatchResult>(worker, 20_000);
    // until the last watcher is served: the CPU berth spent writing and fanning out
    const berthCpuMs = cpuMs(b.pids.berth) - before.ms.berth;
    return { writer, expected: w.okSeqs.length, result: res, delivery: Histogram.fromData(res.latency), berthCpuMsPerWrite: berthCpuMs / Math.max(1, w.ok) };
  } finally {
    http.close();
    await worker.terminate();
  }
}

// ---- memory ----------------------------------------------------------------------------------

interface MemoryOutcome {
  processes: { name: string; pid: number; rss: number }[];
  total: number;
  /** Node objects registered: how many node agents actually run (berth up --nodes 1 asks for one) */
  nodes: number;
}

async function memoryPhase(root: string, opts: Options): Promise<MemoryOutcome> {
  const dir = join(root, 'memory');
  const b = await startBerth(dir, 'always', { ...opts, cpuProfDir: undefined });
  try {
    await new Promise((r) => setTimeout(r, opts.idleMs));
    const pids = [b.proc.pid, ...descendants(b.proc.pid)];
    const processes = pids.map((pid) => ({ name: commandName(pid), pid, rss: rssBytes(pid) }));
    const http = new HttpTarget(b.url, 1, { authorization: `Bearer ${b.token}` }, { ca: b.ca });
    let nodes = 0;
    try {
      nodes = (JSON.parse((await http.request('GET', '/api/v1/nodes', undefined, 200)).body) as { items?: unknown[] }).items?.length ?? 0;
    } finally {
      http.close();
    }
    return { processes, total: processes.reduce((s, p) => s + p.rss, 0), nodes };
  } finally {
    await b.proc.stop();
    removeDir(dir);
  }
}

// ---- output ----------------------------------------------------------------------------------

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

function printHeader(): void {
  console.log(`${pad('fsync', 9)}${pad('phase', 42)}${lpad('ok', 9)}${lpad('ops/s', 10)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('max ms', 9)}${lpad('err', 6)}  CPU % of one core`);
  console.log('-'.repeat(130));
}

function printRow(row: Row): void {
  if (interrupted.signal.aborted) return;
  const { r } = row;
  const cpu = Object.entries(row.cpu).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
  console.log(
    `${pad(row.fsync, 9)}${pad(row.phase, 42)}${lpad(String(r.ok), 9)}${lpad(r.opsPerSec.toFixed(0), 10)}${lpad(fmt(r.latency.percentile(50)), 9)}${lpad(fmt(r.latency.percentile(99)), 9)}${lpad(fmt(r.latency.max), 9)}${lpad(String(r.errors), 6)}  ${cpu}`,
  );
  if (r.errors > 0) console.log(`    !! ${r.errors} errors; first: ${r.firstError}`);
}

const verdicts: string[] = [];
function target(ok: boolean, what: string, figure: string, limit: string): void {
  verdicts.push(`${ok ? 'PASS' : 'MISS'}  ${pad(what, 60)} ${figure}  (limit ${limit})`);
}

// ---- main ------------------------------------------------------------------------------------

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = options(process.argv.slice(2));
  } catch (e) {
    console.error(`bench api: ${(e as Error).message}`);
    return 2;
  }
  installCleanupHandlers();
  const root = tempDir('berth-bench-');
  if (opts.cpuProfDir) mkdirSync(opts.cpuProfDir, { recursive: true });
  console.log(
    `berth API benchmark: ${opts.concurrency} keep-alive clients, ${opts.warmupMs / 1000} s warm-up + ${opts.durationMs / 1000} s per phase, fsync ${opts.fsync.join(' and ')}; ` +
      `node ${process.version}, ${(await import('node:os')).cpus().length} CPUs (the load generator shares them)\n`,
  );
  printHeader();
  const byMode = new Map<FsyncMode, { create?: Row; get?: Row; set?: Row; rget?: Row }>();
  let bare: Row | undefined;
  let watch: WatchOutcome | undefined;
  let memory: MemoryOutcome | undefined;
  let bareSpec: BareSpec | undefined;
  let ca: string | undefined;
  try {
    for (const fsync of opts.fsync) {
      if (interrupted.signal.aborted) break;
      const rows: { create?: Row; get?: Row; set?: Row; rget?: Row } = {};
      byMode.set(fsync, rows);
      const wantBerth = opts.phases.has('create') || opts.phases.has('get') || (opts.phases.has('watch') && !watch);
      if (wantBerth) {
        const dataDir = join(root, `berth-${fsync}`);
        const b = await startBerth(dataDir, fsync, opts);
        try {
          const br = await berthPhases(b, fsync, opts);
          rows.create = br.create;
          rows.get = br.get;
          if (br.sample && !bareSpec) {
            bareSpec = { sample: br.sample, tls: b.tls };
            ca = b.ca;
          }
          if (opts.phases.has('watch') && !watch) watch = await watchPhase(b, fsync, opts);
        } finally {
          await b.proc.stop();
          removeDir(dataDir);
        }
      }
      if (opts.phases.has('bare') && !bare) bare = await barePhase(root, bareSpec ?? { sample: configMap('bench-0', PAYLOAD) }, ca, opts);
      if (opts.phases.has('redis')) [rows.set, rows.rget] = await redisPhases(root, fsync, bareSpec?.sample ?? configMap('bench-0', PAYLOAD), opts);
    }
    if (opts.phases.has('memory') && !interrupted.signal.aborted) memory = await memoryPhase(root, opts);
  } catch (e) {
    if (interrupted.signal.aborted) return 130;
    console.error(`\nbench api: the benchmark broke: ${(e as Error).stack ?? e}`);
    await stopAll();
    return 1;
  }
  if (interrupted.signal.aborted) return 130;

  // ---- summary
  if (watch) {
    const { result, expected, delivery } = watch;
    const short = result.seen.map((n, i) => ({ i, missing: expected - n })).filter((x) => x.missing > 0);
    console.log(`\nwatch: ${result.seen.length} watchers, ${expected} acknowledged writes each should see`);
    console.log(`  received per watcher: min ${Math.min(...result.seen)}, max ${Math.max(...result.seen)}; duplicates ${result.duplicates}; out of order ${result.outOfOrder}`);
    console.log(`  delivery latency (send → watcher): p50 ${fmt(delivery.percentile(50))} ms, p99 ${fmt(delivery.percentile(99))} ms, max ${fmt(delivery.max)} ms over ${delivery.count} deliveries`);
    console.log(`  berth CPU per write while serving ${result.seen.length} watchers: ${(watch.berthCpuMsPerWrite * 1000).toFixed(0)} µs`);
    if (short.length > 0) {
      console.log(`  !!!! SHORTFALL: ${short.length} watchers missed events (${short.slice(0, 10).map((s) => `#${s.i}: -${s.missing}`).join(', ')}${short.length > 10 ? ', ...' : ''})`);
    }
    for (const p of result.problems) console.log(`  !!!! ${p}`);
    target(short.length === 0 && expected > 0, `${result.seen.length} watchers see every event`, `${result.seen.length - short.length}/${result.seen.length} complete`, 'all');
    target(delivery.percentile(99) < 50, `p99 watch delivery at ${opts.watchRate} writes/s`, `${fmt(delivery.percentile(99))} ms`, '< 50 ms');
  }
  if (memory) {
    console.log(`\nmemory: fresh \`berth up --nodes 1\` idle ${opts.idleMs / 1000} s: ${memory.processes.map((p) => `${p.name} (${p.pid}) ${(p.rss / 2 ** 20).toFixed(1)} MB`).join(' + ')}`);
    if (memory.nodes === 0) console.log('  (no Node registered: node agents do not run in berth up yet, so this is berth + redis without an agent)');
    target(memory.total < 250 * 2 ** 20, `idle RSS, berth + redis${memory.nodes > 0 ? ` + ${memory.nodes} agent` : ' (no agent yet)'}`, `${(memory.total / 2 ** 20).toFixed(1)} MB`, '< 250 MB; k3s ≈ 1.6 GB');
  }
  if ([...byMode.values()].some((r) => r.create)) console.log('\nratios:');
  for (const [fsync, rows] of byMode) {
    const c = rows.create;
    if (!c) continue;
    const createRate = c.r.opsPerSec;
    const p99 = c.r.latency.percentile(99);
    const parts = [`creates/s ${createRate.toFixed(0)}`];
    if (bare) parts.push(`÷ bare/s ${bare.r.opsPerSec.toFixed(0)} = ${((createRate / bare.r.opsPerSec) * 100).toFixed(1)}%`);
    if (rows.set) parts.push(`÷ redis SET/s ${rows.set.r.opsPerSec.toFixed(0)} = ${((createRate / rows.set.r.opsPerSec) * 100).toFixed(1)}%`);
    if (rows.get && bare) parts.push(`gets/s ÷ bare = ${((rows.get.r.opsPerSec / bare.r.opsPerSec) * 100).toFixed(1)}%`);
    if (rows.get && rows.rget) parts.push(`gets/s ÷ redis GET/s = ${((rows.get.r.opsPerSec / rows.rget.r.opsPerSec) * 100).toFixed(1)}%`);
    console.log(`  fsync ${pad(fsync, 9)} ${parts.join('; ')}`);
    if (bare) target(createRate >= 0.4 * bare.r.opsPerSec, `creates/s ÷ bare ${bare.phase.split(' ')[1]}/s (fsync ${fsync})`, `${((createRate / bare.r.opsPerSec) * 100).toFixed(1)}%`, '≥ 40%');
    target(p99 < 20, `p99 create at ${opts.concurrency} clients (fsync ${fsync})`, `${fmt(p99)} ms`, '< 20 ms');
    target(p99 <= 10, `p99 create vs Kubernetes' 1 s SLO ÷ 100 (fsync ${fsync})`, `${fmt(p99)} ms = SLO/${(1000 / p99).toFixed(0)}`, '≤ 10 ms');
  }
  console.log('\ntargets (informational; timings never fail the run):');
  for (const v of verdicts) console.log(`  ${v}`);
  return 0;
}

let code = 1;
try {
  code = await main();
} finally {
  await stopAll();
}
process.exit(code);
