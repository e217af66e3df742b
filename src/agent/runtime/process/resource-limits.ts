/**
 * Resource limits of process containers. Where the agent may create cgroups below its own (as root,
 * cgroup v1 or v2), each container run gets one per controller: memory (`memory.limit_in_bytes` /
 * `memory.max`; the kernel kills a container over its limit and the agent reports OOMKilled, exit
 * 137) and cpu (a CFS quota of `limits.cpu` per 100 ms period: `cpu.cfs_quota_us` / `cpu.max`).
 *
 * Without a writable memory cgroup, the memory limit is enforced by the agent: one poller reads
 * every process's resident set from /proc each 250 ms and SIGKILLs a container's process group
 * whose total passes its limit (reported as OOMKilled). An address-space rlimit is not used: V8
 * and the JVM reserve far more address space than they use, so `ulimit -v` stops them from
 * starting at all. Without a cpu cgroup, cpu limits are not enforced.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killGroup, pageSize, procStats } from './process-group.js';

type Controller = 'memory' | 'cpu';

interface Root {
  version: 1 | 2;
  dir: string;
}

const LIMIT_FILE: Record<Controller, Record<1 | 2, string>> = {
  memory: { 1: 'memory.limit_in_bytes', 2: 'memory.max' },
  cpu: { 1: 'cpu.cfs_quota_us', 2: 'cpu.max' },
};

const roots = new Map<Controller, Root | null>();

/** The agent's cgroup of a controller, if this machine lets it create children there (detected once). */
export function cgroupRoot(controller: Controller): Root | null {
  if (roots.has(controller)) return roots.get(controller)!;
  let found: Root | null = null;
  try {
    const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
    const v1 = lines.find((l) => l.split(':')[1]?.split(',').includes(controller));
    const unified = lines.find((l) => l.startsWith('0::'));
    let candidate: Root | undefined;
    if (v1) {
      // mounted under the hierarchy's name (cpu,cpuacct), usually linked from the controller's
      const joined = join('/sys/fs/cgroup', v1.split(':')[1]);
      const mount = existsSync(joined) ? joined : join('/sys/fs/cgroup', controller);
      candidate = { version: 1, dir: join(mount, v1.split(':')[2]) };
    } else if (unified && readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes(controller)) {
      candidate = { version: 2, dir: join('/sys/fs/cgroup', unified.slice(3)) };
    }
    if (candidate && existsSync(candidate.dir)) {
      const probe = join(candidate.dir, `berth-probe-${process.pid}`);
      mkdirSync(probe);
      const ok = existsSync(join(probe, LIMIT_FILE[controller][candidate.version]));
      rmdirSync(probe);
      if (ok) found = candidate;
    }
  } catch {
    // no cgroup filesystem, or not ours to write
  }
  roots.set(controller, found);
  return found;
}

/**
 * Removes the empty `berth-*` cgroups a killed agent left (a cgroup is empty once its processes are
 * gone). Agents on one machine share the parent cgroup, so only directories untouched for `minAgeMs`
 * go: one another agent has just made is still being joined. Returns how many were removed.
 */
export function sweepStaleCgroups(minAgeMs = 60_000): number {
  let removed = 0;
  const dirs = new Set<string>();
  for (const c of ['memory', 'cpu'] as const) {
    const r = cgroupRoot(c);
    if (r) dirs.add(r.dir);
  }
  for (const dir of dirs) {
    for (const name of readdirSync(dir)) {
      if (!name.startsWith('berth-') || name.startsWith('berth-probe-')) continue;
      const path = join(dir, name);
      try {
        if (Date.now() - statSync(path).mtimeMs < minAgeMs) continue;
        rmdirSync(path);
        removed++;
      } catch {
        // in use, or not a directory of ours
      }
    }
  }
  return removed;
}

/** The limits of one container run. */
export interface ContainerLimits {
  /** the command line that puts the process in its cgroups before it execs the container's */
  wrap(file: string, args: string[]): { file: string; args: string[] };
  /** the process runs (its group is `pgid`): starts the memory poller where there is no cgroup */
  started(pgid: number): void;
  /** whether a process of it was killed for exceeding the memory limit */
  oomKilled(): boolean;
  /** removes the cgroups (after every process of them is gone) and stops watching */
  release(): void;
}

/** The limits of run `name` (unique per pod, container and run); undefined when there are none. */
export function containerLimits(name: string, limits: { memoryBytes?: number; cpuMillis?: number }): ContainerLimits | undefined {
  const groups: { controller: Controller; root: Root; dir: string }[] = [];
  // a name never used before: a directory an earlier agent left would bring its oom_kill count
  const dirName = `berth-${name}-${Date.now().toString(36)}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  const make = (controller: Controller, write: (dir: string, v: 1 | 2) => void) => {
    const root = cgroupRoot(controller);
    if (!root) return false;
    const dir = join(root.dir, dirName);
    const existed = existsSync(dir);
    try {
      mkdirSync(dir, { recursive: true });
      write(dir, root.version);
    } catch {
      // the limit cannot be set here after all: not enforced rather than a container that cannot start
      if (!existed) removeWhenEmpty(dir);
      return false;
    }
    // v2: one directory holds every controller; join it once
    if (!groups.some((g) => g.dir === dir)) groups.push({ controller, root, dir });
    return true;
  };
  let memoryInCgroup = false;
  if (limits.memoryBytes) {
    const bytes = String(Math.floor(limits.memoryBytes));
    memoryInCgroup = make('memory', (dir, v) => {
      writeFileSync(join(dir, LIMIT_FILE.memory[v]), bytes);
      if (v === 1) {
        try {
          writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), bytes);
        } catch {
          // swap accounting off: the memory limit alone applies
        }
      }
    });
  }
  if (limits.cpuMillis) {
    const period = 100_000;
    const quota = Math.max(1000, Math.round((limits.cpuMillis * period) / 1000));
    make('cpu', (dir, v) => {
      if (v === 1) {
        writeFileSync(join(dir, 'cpu.cfs_period_us'), String(period));
        writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
      } else writeFileSync(join(dir, 'cpu.max'), `${quota} ${period}`);
    });
  }
  const polled = !!limits.memoryBytes && !memoryInCgroup && HAS_PROC;
  if (groups.length === 0 && !polled) return undefined;
  let killedByPoller = false;
  let watching: number | undefined;
  return {
    wrap: (file, args) => {
      if (groups.length === 0) return { file, args };
      const joins = groups.map((_, i) => `echo $$ > "$${i + 1}"`).join(' && ');
      return { file: '/bin/sh', args: ['-c', `${joins} && shift ${groups.length} && exec "$@"`, 'sh', ...groups.map((g) => join(g.dir, 'cgroup.procs')), file, ...args] };
    },
    started: (pgid) => {
      if (!polled) return;
      watching = pgid;
      memoryPoller.watch(pgid, limits.memoryBytes!, () => (killedByPoller = true));
    },
    oomKilled: () => {
      if (killedByPoller) return true;
      const memory = groups.find((g) => g.controller === 'memory');
      if (!memory) return false;
      try {
        const text = readFileSync(join(memory.dir, memory.root.version === 1 ? 'memory.oom_control' : 'memory.events'), 'utf8');
        return Number(/oom_kill (\d+)/.exec(text)?.[1] ?? 0) > 0;
      } catch {
        return false;
      }
    },
    release: () => {
      if (watching !== undefined) memoryPoller.unwatch(watching);
      for (const g of groups) removeWhenEmpty(g.dir);
    },
  };
}

/**
 * Removes a cgroup directory once its last process is gone: processes a namespace teardown is still
 * killing keep it busy for a moment. Gives up after about 10 s.
 */
function removeWhenEmpty(dir: string, attempt = 0): void {
  try {
    rmdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EBUSY' && attempt < 50) setTimeout(() => removeWhenEmpty(dir, attempt + 1), 200).unref();
  }
}

const HAS_PROC = existsSync('/proc/self/stat');
const POLL_MS = 250;

/**
 * One /proc scan per tick for every watched process group: a group whose resident memory passes
 * its limit is SIGKILLed. Only polls while something is watched.
 */
export class MemoryPoller {
  private readonly watched = new Map<number, { limit: number; onKill: () => void }>();
  private timer?: NodeJS.Timeout;

  watch(pgid: number, limit: number, onKill: () => void): void {
    this.watched.set(pgid, { limit, onKill });
    this.timer ??= setInterval(() => this.scan(), POLL_MS);
    this.timer.unref();
  }

  unwatch(pgid: number): void {
    this.watched.delete(pgid);
    if (this.watched.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private scan(): void {
    const rss = new Map<number, number>();
    for (const p of procStats()) if (this.watched.has(p.pgrp)) rss.set(p.pgrp, (rss.get(p.pgrp) ?? 0) + p.rssPages * pageSize());
    for (const [pgid, w] of this.watched) {
      if ((rss.get(pgid) ?? 0) > w.limit) {
        w.onKill();
        killGroup(pgid, 'SIGKILL');
        this.unwatch(pgid);
      }
    }
  }
}

const memoryPoller = new MemoryPoller();
