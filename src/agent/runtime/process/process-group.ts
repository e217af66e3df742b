/**
 * Process groups: every container (and exec handler) runs as the leader of its own group, so a
 * signal to the group reaches everything it started and nothing is left behind when a pod goes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Signals the whole group; false when no process of it is left. */
export function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

const HAS_PROC = existsSync('/proc/self/stat');

/** One process as /proc/PID/stat shows it (the fields berth reads). */
export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie), X (dead), … */
  state: string;
  pgrp: number;
  /** resident set, in pages */
  rssPages: number;
  /** CPU time in clock ticks: user and system, and those of its children it waited for */
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
}

/** Every process on this machine, from /proc (Linux only; nothing elsewhere). */
export function* procStats(): Generator<ProcStat> {
  if (!HAS_PROC) return;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp … utime stime cutime cstime (fields 14-17) … rss (field 24); comm may hold spaces and parentheses
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    yield { pid: Number(d), state: rest[0], pgrp: Number(rest[2]), rssPages: Number(rest[21]), utime: Number(rest[11]), stime: Number(rest[12]), cutime: Number(rest[13]), cstime: Number(rest[14]) };
  }
}

/** The children of process `pid` (of every thread of it), from /proc; none when it is gone. */
export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

const confCache = new Map<string, number>();
/** A getconf value (PAGESIZE, CLK_TCK), read once; `fallback` where getconf is missing. */
function conf(name: string, fallback: number): number {
  let v = confCache.get(name);
  if (v === undefined) {
    try {
      v = Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim()) || fallback;
    } catch {
      v = fallback;
    }
    confCache.set(name, v);
  }
  return v;
}

/** /proc/PID/stat counts resident memory in pages. */
export function pageSize(): number {
  return conf('PAGESIZE', 4096);
}

/** /proc/PID/stat counts CPU time in clock ticks. */
export function clockTicks(): number {
  return conf('CLK_TCK', 100);
}

/** CPU and memory of a process group, summed over its members. */
export interface GroupUsage {
  /** CPU seconds of the live members and of the children they reaped */
  cpuSeconds: number;
  /** resident set of the live members, in bytes */
  memoryBytes: number;
}

/** Usage of each group of `pgids`, from one /proc scan; groups with no live member are missing. */
export function groupUsage(pgids: Set<number>): Map<number, GroupUsage> {
  const out = new Map<number, GroupUsage>();
  if (pgids.size === 0) return out;
  const tick = clockTicks();
  const page = pageSize();
  for (const p of procStats()) {
    if (!pgids.has(p.pgrp) || p.state === 'Z' || p.state === 'X') continue;
    const u = out.get(p.pgrp) ?? { cpuSeconds: 0, memoryBytes: 0 };
    u.cpuSeconds += (p.utime + p.stime + p.cutime + p.cstime) / tick;
    u.memoryBytes += p.rssPages * page;
    out.set(p.pgrp, u);
  }
  return out;
}

/**
 * Live (non-zombie) members of the group. On Linux read from /proc, since an orphaned zombie (whose
 * reaper is slow or absent) still answers signals but runs nothing.
 */
export function groupMembers(pgid: number): number[] {
  if (!HAS_PROC) return killGroup(pgid, 0) ? [pgid] : [];
  const out: number[] = [];
  for (const p of procStats()) if (p.pgrp === pgid && p.state !== 'Z' && p.state !== 'X') out.push(p.pid);
  return out;
}

/**
 * Signals every live member of the group but `except` (a wrapper such as nsenter, which would die
 * of the signal before the process it waits for had handled it).
 */
export function signalGroupExcept(pgid: number, except: number, signal: NodeJS.Signals): void {
  for (const pid of groupMembers(pgid)) {
    if (pid === except) continue;
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}

/** SIGKILLs the group until no live member is left. */
export async function reapGroup(pgid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    killGroup(pgid, 'SIGKILL');
    if (groupMembers(pgid).length === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Records a container's process group under its pod directory, so a restarted agent can find it. */
export function writePidFile(podDir: string, container: string, pgid: number): void {
  mkdirSync(join(podDir, 'pids'), { recursive: true });
  writeFileSync(join(podDir, 'pids', container), String(pgid));
}

export function removePidFile(podDir: string, container: string): void {
  rmSync(join(podDir, 'pids', container), { force: true });
}

/**
 * Kills the process groups a previous agent left running (it was killed without stopping its pods);
 * returns how many groups were killed. The pod directories stay (logs for --previous, emptyDirs, as
 * they survive a kubelet restart): the pods start again when the API says they still belong here,
 * and the runtime removes the directories of those that do not (ProcessRuntime.retain).
 */
export async function reapOrphans(podsDir: string): Promise<number> {
  if (!existsSync(podsDir)) return 0;
  let killed = 0;
  for (const pod of readdirSync(podsDir)) {
    const pids = join(podsDir, pod, 'pids');
    if (!existsSync(pids)) continue;
    for (const f of readdirSync(pids)) {
      const pgid = Number(readFileSync(join(pids, f), 'utf8'));
      if (Number.isInteger(pgid) && pgid > 1 && groupMembers(pgid).length > 0) {
        await reapGroup(pgid);
        killed++;
      }
    }
    rmSync(pids, { recursive: true, force: true });
  }
  return killed;
}
