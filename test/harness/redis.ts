/**
 * Starts a real redis-server for a test: a free port, a fresh temp dir, AOF on (as `berth up` runs it).
 * No mocks — ARCHITECTURE "Testing".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  /** a fresh client; closed by stop() */
  client(): Redis;
  /** SIGKILL, as a crash would */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => {}); // a refused probe is expected until the server listens; connect() rejects too
    try {
      await c.connect();
      if ((await c.ping()) === 'PONG') {
        c.disconnect();
        return;
      }
    } catch {
      // not up yet
    }
    c.disconnect();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

/**
 * Starts redis-server; `dir` reuses a data dir (to test restarts), otherwise a new temp dir. AOF
 * fsync is `everysec` unless `fsync: 'always'`: a test that kill -9s Redis and expects every
 * acknowledged write back needs `always` — with `everysec` Redis postpones AOF writes for up to 2 s
 * while a slow fsync runs (a loaded CI machine), and still answers the clients.
 */
export async function startRedis(opts: { dir?: string; port?: number; fsync?: 'always' | 'everysec' } = {}): Promise<TestRedis> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'berth-redis-'));
  const port = opts.port ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', opts.fsync ?? 'everysec', '--save', '', '--daemonize', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  try {
    await waitForPing(port, child);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${stderr}`);
  }
  const clients: Redis[] = [];
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    process: child,
    client() {
      const c = new Redis({ port, host: '127.0.0.1' });
      clients.push(c);
      return c;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
