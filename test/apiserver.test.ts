/**
 * `berth apiserver`: API servers are stateless — two of them on one Redis (and one data dir for the
 * CA and token) serve the same objects, and a write through one is seen by a watch through the other.
 * A `berth agent` joining one runs pods whose logs and exec reach it through that API server.
 */
import { spawn, type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from './harness/redis.js';
import { until } from './harness/wait.js';

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
  it('reaches a berth agent for kubectl logs and exec', { timeout: 90_000 }, async () => {
    const server = await apiserver();
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const agent = spawn(process.execPath, [BERTH, 'agent', '--server', server, '--token', token, '--ca', join(dataDir, 'pki', 'ca.crt'), '--name', 'solo', '--port', '0', '--address', '127.0.0.1', '--data-dir', join(dataDir, 'agent'), '--no-service-proxy'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(agent);
    let out = '';
    agent.stdout!.on('data', (d: Buffer) => (out += d));
    agent.stderr!.on('data', (d: Buffer) => (out += d));
    try {
      await until('the agent to run', () => out.includes('running'), 30_000);
      // no controller-manager here, so no kube-root-ca.crt for a token volume: the pod goes without one
      await kubectl(server, 'run', 'hello', '--image=busybox', '--overrides={"spec":{"nodeName":"solo","terminationGracePeriodSeconds":0,"automountServiceAccountToken":false}}', '--', 'sh', '-c', 'echo hello from the agent; exec sleep 1000');
      await until('kubectl logs through the API server', async () => (await kubectl(server, 'logs', 'hello').catch(() => '')) === 'hello from the agent\n', 30_000);
      expect(await kubectl(server, 'exec', 'hello', '--', 'echo', 'exec works')).toBe('exec works\n');
      await kubectl(server, 'delete', 'pod', 'hello', '--wait=true');
    } finally {
      agent.kill('SIGTERM');
      await new Promise((r) => (agent.exitCode === null ? agent.once('exit', r) : r(undefined)));
    }
  });


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
