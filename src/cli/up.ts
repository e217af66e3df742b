/**
 * `berth up`: a one-machine cluster in one process — redis-server (unless REDIS_URL), the API
 * server, and (as their issues land) controllers, scheduler, sync and node agents. Writes the
 * kubeconfig, prints where the API listens, and on Ctrl-C stops everything, redis too.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startApiServer, type RunningApiServer } from '../controlplane/apiserver.js';
import { ADMIN_USER, newToken, TokenAuthenticator } from '../policy/authn/tokens.js';
import { startRedisProcess, type FsyncMode, type RedisProcess } from './redis-process.js';
import { writeKubeconfig } from './kubeconfig.js';
import { applyDemo } from './demo.js';
import { ensureServingCerts, servingNames } from '../controlplane/pki.js';

export interface UpOptions {
  apiPort: number;
  host: string;
  dataDir: string;
  nodes: number;
  runtime: 'process' | 'sim';
  fsync: FsyncMode;
  demo: boolean;
}

/** The admin token survives restarts so an existing kubeconfig keeps working. */
function adminToken(dataDir: string): string {
  const path = join(dataDir, 'admin-token');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const token = newToken();
  writeFileSync(path, token + '\n', { mode: 0o600 });
  return token;
}

export interface Cluster {
  api: RunningApiServer;
  redis?: RedisProcess;
  kubeconfig: string;
  stop(): Promise<void>;
}

export async function up(opts: UpOptions, log: (line: string) => void = console.log): Promise<Cluster> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const token = adminToken(dataDir);
  let redis: RedisProcess | undefined;
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    log(`starting redis-server (data in ${join(dataDir, 'redis')}, appendfsync ${opts.fsync})`);
    redis = await startRedisProcess(dataDir, opts.fsync);
    redisUrl = redis.url;
  }
  const certs = ensureServingCerts(join(dataDir, 'pki'), servingNames(opts.host));
  let api: RunningApiServer;
  try {
    api = await startApiServer({
      tls: { cert: certs.cert, key: certs.key },
      redisUrl,
      authenticator: new TokenAuthenticator({ [token]: ADMIN_USER }),
      host: opts.host,
      port: opts.apiPort,
    });
  } catch (e) {
    await redis?.stop();
    throw e;
  }
  const kubeconfig = join(dataDir, 'kubeconfig');
  writeKubeconfig(kubeconfig, api.url, token, certs.ca);
  log(`API server listening on ${api.url}`);
  log(`kubeconfig written to ${kubeconfig}: kubectl --kubeconfig ${kubeconfig} get ns`);
  if (opts.demo) await applyDemo(api.client(ADMIN_USER, 'berth-demo'), log);
  return {
    api,
    redis,
    kubeconfig,
    async stop() {
      await api.close();
      await redis?.stop();
    },
  };
}
