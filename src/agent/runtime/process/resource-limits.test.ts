import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, rmdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupRoot, MemoryPoller, sweepStaleCgroups } from './resource-limits.js';

describe('the memory poller (memory limits without a memory cgroup)', () => {
  it('SIGKILLs a process group whose resident memory passes its limit, and only that one', async () => {
    // grows by 4 MB every 20 ms up to 160 MB, then idles; the other stays small
    const grow = 'const a=[];const t=setInterval(()=>{a.push(Buffer.alloc(4e6,1));if(a.length>=40)clearInterval(t)},20);setTimeout(()=>{},60000)';
    const hog = spawn(process.execPath, ['-e', grow], { detached: true, stdio: 'ignore' });
    const small = spawn(process.execPath, ['-e', 'setTimeout(()=>{},60000)'], { detached: true, stdio: 'ignore' });
    const poller = new MemoryPoller();
    try {
      const killed: number[] = [];
      const hogExit = new Promise<string | null>((r) => hog.once('exit', (_c, sig) => r(sig)));
      poller.watch(hog.pid!, 96 * 2 ** 20, () => killed.push(hog.pid!));
      poller.watch(small.pid!, 96 * 2 ** 20, () => killed.push(small.pid!));
      expect(await hogExit).toBe('SIGKILL');
      expect(killed).toEqual([hog.pid]);
      expect(small.exitCode).toBeNull();
    } finally {
      poller.unwatch(hog.pid!);
      poller.unwatch(small.pid!);
      hog.kill('SIGKILL');
      small.kill('SIGKILL');
    }
  });
});

describe('sweepStaleCgroups', () => {
  it('removes empty berth cgroups older than the age given, and keeps fresh ones', (ctx) => {
    const root = cgroupRoot('cpu') ?? cgroupRoot('memory');
    if (!root) {
      console.log('skipped: no writable cgroup here');
      ctx.skip();
      return;
    }
    // the default age only: other tests' fresh cgroups (made, not yet joined) must stay
    const dir = join(root.dir, `berth-sweep-test-${process.pid}`);
    mkdirSync(dir);
    try {
      sweepStaleCgroups();
      expect(existsSync(dir)).toBe(true);
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(dir, hourAgo, hourAgo);
      expect(sweepStaleCgroups()).toBeGreaterThanOrEqual(1);
      expect(existsSync(dir)).toBe(false);
    } finally {
      if (existsSync(dir)) rmdirSync(dir);
    }
  });
});
