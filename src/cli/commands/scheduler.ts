/**
 * `berth scheduler`: the scheduler as its own process, talking to an API server over HTTPS and to
 * Redis for its queue and node reservations. Any number can run against one cluster.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Client } from '../../controlplane/client/client.js';
import { HttpTransport } from '../../controlplane/client/transport.js';
import { Manager } from '../../controlplane/runtime/runnable.js';
import { loadConfig, profilesFrom } from '../../controlplane/scheduler/config.js';
import { createScheduler } from '../../controlplane/scheduler/scheduler.js';

interface Options {
  server: string;
  token: string;
  ca?: string;
  redisUrl: string;
  config?: string;
  prefix: string;
  concurrency: string;
}

export function register(program: Command): void {
  program
    .command('scheduler')
    .description('run the scheduler: bind pending pods to nodes (filters, scores, priorities, preemption)')
    .requiredOption('--server <url>', 'API server URL (https://host:port)')
    .requiredOption('--token <token>', 'bearer token of an identity allowed to schedule (system:kube-scheduler)')
    .option('--ca <file>', 'PEM of the CA that signed the API server certificate')
    .requiredOption('--redis-url <url>', 'Redis for the scheduling queue and node reservations (redis://host:port)')
    .option('--config <file>', 'KubeSchedulerConfiguration (YAML or JSON): profiles, plugins, weights')
    .option('--prefix <prefix>', 'key prefix in Redis, shared by every scheduler of the cluster', 'berth')
    .option('--concurrency <n>', 'scheduling attempts in flight (decisions stay one at a time)', '16')
    .action(async (o: Options) => {
      const config = o.config ? loadConfig(o.config) : undefined;
      profilesFrom(config); // fail on a bad configuration before connecting
      const concurrency = Number(o.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency must be a whole number ≥ 1 (got "${o.concurrency}")`);
      const ca = o.ca ? readFileSync(o.ca, 'utf8') : undefined;
      const client = new Client(new HttpTransport(o.server, o.token, ca, 'berth-scheduler'), { fieldManager: 'berth-scheduler' });
      const manager = new Manager(console.log);
      await manager.add(createScheduler({ client, redisUrl: o.redisUrl, prefix: o.prefix, config, concurrency, log: console.log }));
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`${signal}: stopping the scheduler`);
        await manager.stop();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });
}
