/**
 * `berth apiserver`: API servers are stateless — two of them on one Redis (and one data dir for the
 * CA and token) serve the same objects, and a write through one is seen by a watch through the other.
 */
import { spawn, type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from './harness/redis.js';

const run = promisify(execFile);
const BERTH = join(import.meta.dirname, '../bin/berth.js');
const dataDir = mkdtempSync(join(tmpdir(), 'berth-apiserver-'));
const children: ChildProcess[] = [];
let redis: TestRedis;

function apiserver(): Promise<string> {
  const child = spawn(process.execPath, [BERTH, 'apiserver', '--redis-url', redis.url, '--port', '0', '--data-dir', dataDir, '--policies', 'off'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`berth apiserver did not serve:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /API server listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
}

async function kubectl(server: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', ['--kubeconfig', join(dataDir, 'kubeconfig'), '--server', server, '--cache-dir', join(dataDir, 'kube-cache'), ...args]);
  return stdout;
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('berth apiserver', () => {
  it('two API servers on one Redis serve the same objects and watches', async () => {
    const a = await apiserver();
    const b = await apiserver();
    expect(a).not.toBe(b);
    await kubectl(a, 'create', 'configmap', 'before', '--from-literal=k=v');
    const watch = spawn('kubectl', ['--kubeconfig', join(dataDir, 'kubeconfig'), '--server', b, 'get', 'configmaps', '-w', '-o', 'name'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(watch);
    let seen = '';
    watch.stdout!.on('data', (d) => (seen += d));
    const waitFor = async (text: string) => {
      const deadline = Date.now() + 15_000;
      while (!seen.includes(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(seen).toContain(text);
    };
    // the watch through B has listed; what A writes next reaches it as a live event
    await waitFor('configmap/before');
    await kubectl(a, 'create', 'configmap', 'shared', '--from-literal=k=v');
    expect(await kubectl(b, 'get', 'configmap', 'shared', '-o', 'jsonpath={.data.k}')).toBe('v');
    await waitFor('configmap/shared');
  }, 60_000);
});
