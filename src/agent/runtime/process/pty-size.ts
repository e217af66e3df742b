/**
 * Terminal resizes (`kubectl exec -t`'s resize channel) for a command that runs under util-linux
 * `script` (the process runtime uses no pty library, and Node cannot set a window size): the
 * pseudo-terminal `script` opened is found as the stdin of a process under it, and `stty -F` sets
 * its size; the kernel then sends SIGWINCH to the program on that terminal, as with a real one.
 */
import { execFile } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { childrenOf } from './process-group.js';

function stdinTerminal(pid: number): string | undefined {
  try {
    const target = readlinkSync(`/proc/${pid}/fd/0`);
    return /^\/dev\/pts\/\d+$/.test(target) ? target : undefined;
  } catch {
    return undefined;
  }
}

/** The pseudo-terminal (`/dev/pts/N`) the nearest process under `pid` reads from; undefined when none has one (yet). */
export function terminalUnder(pid: number): string | undefined {
  const queue = childrenOf(pid);
  for (let i = 0; i < queue.length && i < 1000; i++) {
    const tty = stdinTerminal(queue[i]);
    if (tty) return tty;
    queue.push(...childrenOf(queue[i]));
  }
  return undefined;
}

/**
 * Applies resizes to the terminal under `pid` with `stty` (its path). Resizes are applied in order,
 * the latest one winning; one that arrives before `script` has opened the terminal (the first
 * resize kubectl sends comes at once) is applied once it is there.
 */
export function terminalResizer(pid: number, stty: string, alive: () => boolean): (width: number, height: number) => void {
  let want: { width: number; height: number } | undefined;
  let busy = false;
  const apply = async () => {
    busy = true;
    let tty: string | undefined;
    // `script` forks its child right after it starts: a few milliseconds, a second at the most
    for (let tries = 0; !tty && tries < 100 && alive(); tries++) {
      tty = terminalUnder(pid);
      if (!tty) await new Promise((r) => setTimeout(r, 10));
    }
    while (tty && want && alive()) {
      const { width, height } = want;
      want = undefined;
      await new Promise((r) => execFile(stty, ['-F', tty!, 'rows', String(height), 'cols', String(width)], r));
    }
    busy = false;
  };
  return (width, height) => {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0 || width > 65535 || height > 65535) return;
    want = { width, height };
    if (!busy) void apply();
  };
}
