/**
 * A real API server with the policy engine wired in (as `berth up` wires it) over a real
 * redis-server, and the real kubectl, for the policy integration tests. Users come from a tokens
 * file; `kubectl(args, token)` runs as the user of that token.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type RunningApiServer } from '../../src/controlplane/apiserver.js';
import { ADMIN_USER, newToken } from '../../src/policy/authn/tokens.js';
import { writeKubeconfig } from '../../src/cli/kubeconfig.js';
import { ensureServingCerts, servingNames } from '../../src/controlplane/pki.js';
import { createPolicy, type Policy } from '../../src/policy/policy.js';
import { startRedis, type TestRedis } from '../harness/redis.js';
import type { KubectlResult } from '../harness/cluster.js';
import type { AuditLog } from '../../src/controlplane/api/audit/audit-log.js';

export interface PolicyCluster {
  api: RunningApiServer;
  policy: Policy;
  /** the admin's token (system:masters) */
  adminToken: string;
  dir: string;
  /** the redis the API server stores in (for a second API server or a controller-manager) */
  redisUrl: string;
  /** kubectl as the user of `token` (default: the admin); never throws on a non-zero exit */
  kubectl(args: string[], opts?: { token?: string; input?: string }): Promise<KubectlResult>;
  /** kubectl that must succeed: its stdout and stderr; throws with both on a non-zero exit */
  kubectlOk(args: string[], opts?: { token?: string; input?: string }): Promise<string>;
  stop(): Promise<void>;
}

/** `users`: token → [user, uid, groups] lines of the tokens file; `auditLog`: record requests there. */
export async function startPolicyCluster(users: Record<string, { user: string; uid?: string; groups?: string[] }>, opts: { auditLog?: AuditLog } = {}): Promise<PolicyCluster> {
  const redis: TestRedis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'berth-policy-'));
  const tokensFile = join(dir, 'tokens.csv');
  writeFileSync(tokensFile, Object.entries(users).map(([t, u]) => `${t},${u.user},${u.uid ?? u.user},"${(u.groups ?? []).join(',')}"`).join('\n') + '\n');
  const adminToken = newToken();
  let api: RunningApiServer | undefined;
  const policy = await createPolicy({ client: (user) => api!.client(user), dataDir: dir, tokensFile, staticTokens: { [adminToken]: ADMIN_USER } });
  const certs = ensureServingCerts(join(dir, 'pki'), servingNames('127.0.0.1'));
  api = await startApiServer({ ...policy.apiServerOptions(), redisUrl: redis.url, port: 0, tls: { cert: certs.cert, key: certs.key }, auditLog: opts.auditLog });
  const ac = new AbortController();
  await policy.runnable.start(ac.signal);
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, api.url, adminToken, certs.ca);
  const running = api;
  const kubectl = (args: string[], o: { token?: string; input?: string } = {}): Promise<KubectlResult> => {
    const base = ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'kube-cache'), ...(o.token ? ['--token', o.token] : [])];
    return new Promise((resolve) => {
      const child = execFile('kubectl', [...base, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (o.input !== undefined) child.stdin?.end(o.input);
      else child.stdin?.end();
    });
  };
  return {
    api: running,
    policy,
    adminToken,
    dir,
    redisUrl: redis.url,
    kubectl,
    async kubectlOk(args, o = {}) {
      const r = await kubectl(args, o);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
      return r.stdout + r.stderr;
    },
    async stop() {
      ac.abort();
      await policy.runnable.stopped();
      await running.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
