/**
 * Runs the redis-server that `berth up` owns when REDIS_URL is not set: data and AOF under the data
 * dir, reachable only through a unix socket in it, stopped (with a final fsync) when berth stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export type FsyncMode = 'always' | 'everysec';

export interface RedisProcess {
  /** what ioredis connects to: the socket path */
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function ping(path: string): Promise<boolean> {
  const c = new Redis({ path, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

/** Starts redis-server from PATH; rejects with what redis said if it does not come up. */
export async function startRedisProcess(dataDir: string, fsync: FsyncMode): Promise<RedisProcess> {
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, 'redis.sock');
  if (existsSync(socket)) {
    if (await ping(socket)) throw new Error(`a redis-server already serves ${socket}: is another "berth up" running on ${dataDir}?`);
    rmSync(socket);
  }
  const args = [
    '--port', '0',
    '--unixsocket', socket,
    '--unixsocketperm', '700',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', fsync,
    '--save', '',
    '--daemonize', 'no',
    '--loglevel', 'warning',
    '--logfile', join(dir, 'redis.log'),
    '--pidfile', join(dir, 'redis.pid'),
  ];
  let child: ChildProcess;
  try {
    // its own process group: Ctrl-C in a terminal signals the whole foreground group, and redis
    // must outlive the components that still write while berth stops (berth stops it last)
    child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  } catch (e) {
    throw new Error(`cannot start redis-server: ${(e as Error).message}. Run "npm run setup" to install it, or set REDIS_URL.`);
  }
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const spawnError = new Promise<Error>((resolve) => child.once('error', (e) => resolve(e)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(r, 50))]);
    if (failed) {
      const hint = (failed as NodeJS.ErrnoException).code === 'ENOENT' ? ' (not on PATH: run "npm run setup", or set REDIS_URL)' : '';
      throw new Error(`cannot start redis-server${hint}: ${failed.message}`);
    }
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}: ${stderr.trim() || `see ${join(dir, 'redis.log')}`}`);
    if (existsSync(socket) && (await ping(socket))) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer within 15 s; see ${join(dir, 'redis.log')}`);
    }
  }
  return {
    url: socket,
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
