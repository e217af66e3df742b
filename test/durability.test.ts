/**
 * etcd-like durability of `berth up`: with appendfsync always, every write the API acknowledged is
 * back after `kill -9` of both berth and its redis-server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpTransport } from '../src/controlplane/client/transport.js';

const BERTH = join(import.meta.dirname, '../bin/berth.js');
const dataDir = mkdtempSync(join(tmpdir(), 'berth-durable-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  try {
    process.kill(Number(readFileSync(join(dataDir, 'redis/redis.pid'), 'utf8')), 'SIGKILL');
  } catch {
    // already gone
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts `berth up --api-port 0` and resolves with its URL once it serves. */
function up(): Promise<{ child: ChildProcess; url: string }> {
  const env = { ...process.env };
  delete env.REDIS_URL;
  const child = spawn(process.execPath, [BERTH, 'up', '--api-port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`berth up did not serve within 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /API server listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`berth up exited with ${code}:\n${out}`));
    });
  });
}

describe('berth up durability', () => {
  it('keeps every acknowledged write across kill -9 of berth and redis-server', async () => {
    const first = await up();
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const ca = readFileSync(join(dataDir, 'pki/ca.crt'), 'utf8');
    const api = new HttpTransport(first.url, token, ca);
    const acked: string[] = [];
    // Write concurrently, and kill while writes are still in flight.
    let stop = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop && i < 10_000; i++) {
        const name = `cm-${w}-${i}`;
        try {
          const res = await api.request({
            method: 'POST',
            path: '/api/v1/namespaces/default/configmaps',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } }),
          });
          if (res.status === 201) acked.push(name);
        } catch {
          return; // the server is gone
        }
      }
    });
    // kill mid-stream once a good number of writes were acknowledged (however slow the machine is)
    for (const deadline = Date.now() + 30_000; acked.length < 100 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    const redisPid = Number(readFileSync(join(dataDir, 'redis/redis.pid'), 'utf8'));
    process.kill(redisPid, 'SIGKILL');
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    api.close();
    await new Promise((r) => first.child.exitCode !== null ? r(null) : first.child.once('exit', r));
    expect(acked.length).toBeGreaterThan(50);

    const second = await up();
    try {
      const api2 = new HttpTransport(second.url, token, ca);
      const res = await api2.request({ method: 'GET', path: '/api/v1/namespaces/default/configmaps' });
      api2.close();
      const list = JSON.parse(res.body) as { items: { metadata: { name: string } }[] };
      const names = new Set(list.items.map((i) => i.metadata.name));
      const lost = acked.filter((n) => !names.has(n));
      expect(lost).toEqual([]);
    } finally {
      second.child.kill('SIGINT');
      await new Promise((r) => second.child.once('exit', r));
    }
  }, 90_000);
});
