/**
 * A real API server over a real redis-server, plus the real kubectl from PATH pointed at it through
 * a kubeconfig, for integration tests.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type RunningApiServer } from '../../src/controlplane/apiserver.js';
import { ADMIN_USER, newToken, TokenAuthenticator } from '../../src/policy/authn/tokens.js';
import { writeKubeconfig } from '../../src/cli/kubeconfig.js';
import { ensureServingCerts, servingNames } from '../../src/controlplane/pki.js';
import { startRedis, type TestRedis } from './redis.js';
import type { ServiceAllocationOptions } from '../../src/controlplane/api/service-allocation.js';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestCluster {
  redis: TestRedis;
  api: RunningApiServer;
  token: string;
  kubeconfig: string;
  dir: string;
  /** runs kubectl against the cluster; never throws on a non-zero exit */
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** starts a long-running kubectl (e.g. `get -w`); the caller kills it */
  kubectlSpawn(args: string[]): ChildProcess;
  stop(): Promise<void>;
}

/**
 * `tls` serves HTTPS with a fresh CA (kubectl sends the token only over TLS); without it the API is
 * plain HTTP, for tests that call it with fetch.
 */
export async function startCluster(opts: { tls?: boolean; services?: ServiceAllocationOptions } = {}): Promise<TestCluster> {
  const redis = await startRedis();
  const token = newToken();
  const dir = mkdtempSync(join(tmpdir(), 'berth-test-'));
  const certs = opts.tls ? ensureServingCerts(join(dir, 'pki'), servingNames('127.0.0.1')) : undefined;
  const api = await startApiServer({
    redisUrl: redis.url,
    authenticator: new TokenAuthenticator({ [token]: ADMIN_USER }),
    port: 0,
    tls: certs && { cert: certs.cert, key: certs.key },
    services: opts.services,
  });
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, api.url, token, certs?.ca);
  const base = ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'kube-cache')];
  return {
    redis,
    api,
    token,
    kubeconfig,
    dir,
    kubectl(args, input) {
      return new Promise((resolve) => {
        const child = execFile('kubectl', [...base, ...args], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          resolve({ code, stdout, stderr });
        });
        if (input !== undefined) child.stdin?.end(input);
      });
    },
    kubectlSpawn(args) {
      return spawn('kubectl', [...base, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    },
    async stop() {
      await api.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
