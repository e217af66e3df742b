/**
 * Child processes and temporary directories for benchmarks: start a process and wait for the line
 * that says it is ready, stop it (and whatever it spawned, e.g. berth's redis-server), read its RSS
 * and CPU time from /proc, and clean everything up on the way out — also on Ctrl-C, SIGTERM or a
 * crash of the benchmark — so a broken run leaves no servers or data behind.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Tracked {
  child: ChildProcess;
  /** spawned as a process-group leader: the whole group can be killed */
  group: boolean;
  /** processes it started (pid + start time), remembered so they can be found after it dies */
  spawned: { pid: number; start: string }[];
}

const children = new Set<Tracked>();
const dirs = new Set<string>();
let handlersInstalled = false;

/** aborted on Ctrl-C / SIGTERM: load loops stop issuing and the benchmark stops reporting */
export const interrupted = new AbortController();

/** Kills every process and removes every directory we own; synchronous, so it works in 'exit'. */
function killAllNow(): void {
  for (const t of children) {
    if (t.child.pid !== undefined && alive(t.child)) {
      try {
        process.kill(t.group ? -t.child.pid : t.child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const d of t.spawned) if (startTime(d.pid) === d.start) killQuietly(d.pid);
  }
  children.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

/** Ctrl-C, SIGTERM, an uncaught error or a normal exit: nothing we started outlives us. */
export function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (interrupted.signal.aborted) return;
      interrupted.abort();
      console.error(`\n${sig}: stopping the benchmark's processes`);
      void stopAll().finally(() => process.exit(130));
      setTimeout(() => process.exit(130), 8000).unref();
    });
  }
}

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(d);
  return d;
}

export function removeDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
  dirs.delete(d);
}

/** A process stopped by someone else's code (e.g. startRedisProcess) that must still die with us. */
export function track(child: ChildProcess): () => void {
  const t: Tracked = { child, group: false, spawned: [] };
  children.add(t);
  return () => children.delete(t);
}

export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  /** the capture group of the ready line */
  ready: string;
  /** the last 64 KB of stdout and stderr, for error messages */
  output(): string;
  exited: Promise<void>;
  stop(): Promise<void>;
}

const stoppers = new Set<() => Promise<void>>();

export async function stopAll(): Promise<void> {
  await Promise.allSettled([...stoppers].map((s) => s()));
  killAllNow();
}

const CAPTURE_BYTES = 64 * 1024;

/**
 * Spawns `command args` in its own process group and resolves when a line of its output matches
 * `ready` (the first capture group is returned); rejects with the output if it exits or is silent
 * for `timeoutMs`.
 */
export async function startProcess(
  name: string,
  command: string,
  args: string[],
  ready: RegExp,
  opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Proc> {
  installCleanupHandlers();
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const tracked: Tracked = { child, group: true, spawned: [] };
  children.add(tracked);
  let captured = '';
  const capture = (d: Buffer) => {
    captured += d.toString('utf8');
    if (captured.length > CAPTURE_BYTES) captured = captured.slice(-CAPTURE_BYTES);
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const readyValue = await new Promise<string>((resolve, reject) => {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    let buf = '';
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${why}\n--- ${name} output ---\n${captured.trim()}`));
    };
    const timer = setTimeout(() => fail(`${name} printed no ready line within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (e) => fail(`cannot start ${name}: ${e.message}`));
    child.once('exit', (code, sig) => fail(`${name} exited (${sig ?? `code ${code}`}) before it was ready`));
    child.stderr!.on('data', capture);
    child.stdout!.on('data', (d: Buffer) => {
      capture(d);
      if (settled) return;
      buf += d.toString('utf8');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const m = ready.exec(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (m) {
          settled = true;
          clearTimeout(timer);
          resolve(m[1] ?? m[0]);
          return;
        }
      }
    });
  }).catch(async (e) => {
    await killTree(child, tracked, 0);
    throw e;
  });

  const pid = child.pid!;
  remember(tracked);
  const stop = async () => {
    await killTree(child, tracked, 10_000);
    stoppers.delete(stop);
  };
  stoppers.add(stop);
  return { name, child, pid, ready: readyValue, output: () => captured, exited, stop };
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (!alive(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/** notes the live descendants of a tracked process, so they can be stopped even after it dies */
function remember(t: Tracked): void {
  if (t.child.pid === undefined) return;
  for (const pid of descendants(t.child.pid)) {
    const start = startTime(pid);
    if (start !== undefined && !t.spawned.some((d) => d.pid === pid && d.start === start)) t.spawned.push({ pid, start });
  }
}

/** SIGTERM the leader and give it `graceMs` to stop its own children; then SIGKILL what is left. */
async function killTree(child: ChildProcess, tracked: Tracked, graceMs: number): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  remember(tracked);
  if (alive(child)) {
    killQuietly(pid, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    if (!(await waitExit(child, graceMs))) {
      killQuietly(-pid);
      await waitExit(child, 2000);
    }
  }
  // A leader that died without stopping its children (berth's redis-server) leaves them to us.
  const deadline = Date.now() + 5000;
  for (const d of tracked.spawned) {
    while (startTime(d.pid) === d.start && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (startTime(d.pid) === d.start) killQuietly(d.pid);
  }
  children.delete(tracked);
}

// ---- /proc readers ---------------------------------------------------------------------------

/** the fields of /proc/PID/stat after the command name (which may contain spaces) */
function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** process start time in clock ticks since boot: tells a live pid from a reused one */
function startTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

export function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** every live process whose ancestry leads to `pid` */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const ppid = statFields(Number(e))?.[1];
    if (ppid !== undefined) parentOf.set(Number(e), Number(ppid));
  }
  const out: number[] = [];
  const frontier = [pid];
  while (frontier.length > 0) {
    const p = frontier.pop()!;
    for (const [c, pp] of parentOf) {
      if (pp === p) {
        out.push(c);
        frontier.push(c);
      }
    }
  }
  return out;
}

/** resident set size in bytes (VmRSS of /proc/PID/status), 0 when the process is gone */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

let ticksPerSecond: number | undefined;

/** user + system CPU time of a process, in ms */
export function cpuMs(pid: number): number {
  ticksPerSecond ??= (() => {
    try {
      return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      return 100;
    }
  })();
  const f = statFields(pid);
  if (!f) return 0;
  return ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond;
}
