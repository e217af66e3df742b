/**
 * Process groups: every container (and exec handler) runs as the leader of its own group, so a
 * signal to the group reaches everything it started and nothing is left behind when a pod goes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

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

/**
 * Live (non-zombie) members of the group. On Linux read from /proc, since an orphaned zombie (whose
 * reaper is slow or absent) still answers signals but runs nothing.
 */
export function groupMembers(pgid: number): number[] {
  if (!HAS_PROC) return killGroup(pgid, 0) ? [pgid] : [];
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') out.push(Number(d));
  }
  return out;
}

/** SIGKILLs the group until no live member is left. */
export async function reapGroup(pgid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    killGroup(pgid, 'SIGKILL');
    if (groupMembers(pgid).length === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
