/**
 * Memory limits of process containers: a memory cgroup per container run, below the agent's own
 * (v1 `memory.limit_in_bytes` + `memory.oom_control`, or v2 `memory.max` + `memory.events`), so the
 * kernel kills a container over its limit and the agent reports OOMKilled with exit code 137. Where
 * no writable memory cgroup exists, limits fall back to an address-space rlimit (`ulimit -v`).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Root {
  version: 1 | 2;
  dir: string;
}

let root: Root | null | undefined;

/** The agent's memory cgroup, if this machine lets it create children there (detected once). */
export function memoryCgroupRoot(): Root | null {
  if (root !== undefined) return root;
  root = null;
  try {
    const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
    const v1 = lines.find((l) => l.split(':')[1]?.split(',').includes('memory'));
    const candidate: Root | undefined = v1
      ? { version: 1, dir: join('/sys/fs/cgroup/memory', v1.split(':')[2]) }
      : lines.some((l) => l.startsWith('0::')) && readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').includes('memory')
        ? { version: 2, dir: join('/sys/fs/cgroup', lines.find((l) => l.startsWith('0::'))!.slice(3)) }
        : undefined;
    if (!candidate || !existsSync(candidate.dir)) return root;
    const probe = join(candidate.dir, `berth-probe-${process.pid}`);
    mkdirSync(probe);
    const ok = existsSync(join(probe, candidate.version === 1 ? 'memory.limit_in_bytes' : 'memory.max'));
    rmdirSync(probe);
    if (ok) root = candidate;
  } catch {
    // no cgroup filesystem, or not ours to write
  }
  return root;
}

/** A memory limit on one container run. */
export interface MemoryLimit {
  /** the command line that puts the process under the limit before it execs the container's */
  wrap(file: string, args: string[]): { file: string; args: string[] };
  /** whether the kernel killed a process of it for exceeding the limit */
  oomKilled(): boolean;
  /** removes the cgroup (after every process of it is gone) */
  release(): void;
}

/** A limit of `bytes` for the run named `name` (unique per pod, container and run). */
export function memoryLimit(name: string, bytes: number): MemoryLimit {
  const r = memoryCgroupRoot();
  if (!r) {
    const kb = Math.max(1, Math.floor(bytes / 1024));
    return {
      wrap: (file, args) => ({ file: '/bin/sh', args: ['-c', `ulimit -v ${kb} && exec "$@"`, 'sh', file, ...args] }),
      oomKilled: () => false,
      release: () => {},
    };
  }
  const dir = join(r.dir, `berth-${name}`.replace(/[^A-Za-z0-9_.-]/g, '_'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, r.version === 1 ? 'memory.limit_in_bytes' : 'memory.max'), String(Math.floor(bytes)));
  if (r.version === 1) {
    try {
      writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(Math.floor(bytes)));
    } catch {
      // swap accounting off: the memory limit alone applies
    }
  }
  return {
    wrap: (file, args) => ({ file: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', join(dir, 'cgroup.procs'), file, ...args] }),
    oomKilled: () => {
      try {
        const text = readFileSync(join(dir, r.version === 1 ? 'memory.oom_control' : 'memory.events'), 'utf8');
        return Number(/oom_kill (\d+)/.exec(text)?.[1] ?? 0) > 0;
      } catch {
        return false;
      }
    },
    release: () => {
      try {
        rmdirSync(dir);
      } catch {
        // still busy or already gone
      }
    },
  };
}
