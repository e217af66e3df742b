/**
 * `berth apiserver`: the API server alone, for running berth past one process or machine (any number
 * of them behind a load balancer, sharing one Redis), with the controllers, scheduler, agents and
 * sync started as their own commands. Same API, policy engine and data dir layout as `berth up`.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { Manager } from '../../controlplane/runtime/runnable.js';
import { intArg } from '../main.js';
import { writeKubeconfig } from '../kubeconfig.js';
import { servePodSubresources } from '../../agent/connector.js';
import { adminToken, startPolicedApi } from '../up.js';
import { addAuditFlags, auditLogOf, type AuditFlags } from '../audit-flags.js';
import { addTolerationFlags, defaultTolerations, type TolerationFlags } from '../node-health-flags.js';

interface ApiserverOptions extends AuditFlags, TolerationFlags {
  redisUrl?: string;
  host: string;
  port: number;
  dataDir: string;
  tokensFile?: string;
  policies: 'off' | 'warn' | 'enforce';
  serviceCidr: string;
}

export function register(program: Command): void {
  addTolerationFlags(addAuditFlags(program
    .command('apiserver')
    .description('run only the API server (with the policy engine) against a Redis; stateless, any number may share one Redis')
    .option('--redis-url <url>', 'the Redis to use: redis://host:port or a unix socket path (default: $REDIS_URL)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', intArg('--port', 0), 6443)
    .option('--data-dir <dir>', 'where the CA, the admin token and the kubeconfig live (share it between API servers)', '.berth')
    .option('--tokens-file <file>', 'more users: lines of token,user,uid,"group1,group2"')
    .addOption(new Option('--policies <mode>', 'the policy library in policies/').choices(['off', 'warn', 'enforce']).default('warn'))
    .option('--service-cidr <cidr>', "the IPv4 range Services' clusterIPs come from (the same for every API server of a cluster)", '10.96.0.0/12')))
    .action(async (o: ApiserverOptions) => {
      const redisUrl = o.redisUrl ?? process.env.REDIS_URL;
      if (!redisUrl) throw new Error('berth apiserver needs a Redis: pass --redis-url or set REDIS_URL');
      const dataDir = resolve(o.dataDir);
      mkdirSync(dataDir, { recursive: true });
      const token = adminToken(dataDir);
      const manager = new Manager();
      const { api, caPem } = await startPolicedApi({ dataDir, redisUrl, host: o.host, port: o.port, tokensFile: o.tokensFile, policies: o.policies, adminToken: token, auditLog: auditLogOf(dataDir, o), serviceCIDR: o.serviceCidr, defaultTolerations: defaultTolerations(o) }, manager, console.log);
      // pods/log, exec, attach, port-forward and the Metrics API reach the agents (`berth agent`) over their servers
      servePodSubresources(api.handler, { client: api.client() });
      const kubeconfig = join(dataDir, 'kubeconfig');
      writeKubeconfig(kubeconfig, api.url, token, caPem);
      console.log(`API server listening on ${api.url}`);
      console.log(`kubeconfig written to ${kubeconfig}`);
      const stop = async () => {
        await manager.stop();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
