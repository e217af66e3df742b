/**
 * `berth controller-manager`: runs the controllers as a separate process against an API server over
 * HTTPS, sharing their BullMQ queues (in Redis) with any other controller-manager of the cluster.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { Client } from '../../controlplane/client/client.js';
import { HttpTransport } from '../../controlplane/client/transport.js';
import { controllerNames, createControllerManager, defaultControllers } from '../../controlplane/controllers/index.js';
import { NODE_LIFECYCLE_CONTROLLER } from '../../controlplane/controllers/node-lifecycle.js';
import { addControllerFlags, controllerSettings, type ControllerFlags } from '../node-health-flags.js';
import { Manager } from '../../controlplane/runtime/runnable.js';

interface Options extends ControllerFlags {
  server: string;
  token?: string;
  ca?: string;
  redisUrl: string;
  prefix: string;
  controllers?: string;
  concurrency?: number;
  lockDuration?: number;
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number ≥ 1 (got "${v}")`);
    return n;
  };
}

export function register(program: Command): void {
  addControllerFlags(program
    .command('controller-manager')
    .description('run the controllers (Deployment, ReplicaSet, garbage collector, node lifecycle, ...) against an API server; any number may share one Redis')
    .requiredOption('--server <url>', 'API server URL, e.g. https://127.0.0.1:6443')
    .option('--token <token>', 'bearer token for the API server')
    .option('--ca <file>', 'PEM file of the CA that signed the API server certificate')
    .requiredOption('--redis-url <url>', 'Redis holding the work queues (redis://host:port or a socket path)')
    .option('--prefix <prefix>', 'queue key prefix; every controller-manager of one cluster uses the same', '{berth-controllers}')
    .option('--controllers <names>', 'comma-separated controllers to run (default: all)')
    .option('--concurrency <n>', 'keys each controller reconciles at once in this process', positiveInt('--concurrency'))
    .option('--lock-duration <ms>', 'after this long without renewal a dead process\'s keys are taken over', positiveInt('--lock-duration')))
    .action(async (o: Options) => {
      const ca = o.ca ? readFileSync(o.ca, 'utf8') : undefined;
      if (!ca) console.log('controller-manager: no --ca: the kube-root-ca.crt ConfigMaps are not published, and pods with a service-account token volume wait for theirs (pass --ca or run one controller-manager with it)');
      // the CA the API is served with is the one pods' kube-root-ca.crt ConfigMaps publish
      const settings = { ...controllerSettings(o), rootCA: ca };
      const all = defaultControllers(settings);
      const known = controllerNames(settings);
      const wanted = o.controllers?.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = wanted?.filter((n) => !known.includes(n));
      if (unknown?.length) throw new Error(`unknown controllers: ${unknown.join(', ')} (known: ${known.join(', ')})`);
      const manager = createControllerManager({
        client: (userAgent) => new Client(new HttpTransport(o.server, o.token, ca, userAgent)),
        redisUrl: o.redisUrl,
        prefix: o.prefix,
        ...settings,
        controllers: wanted ? all.filter((c) => wanted.includes(c.name)) : all,
        nodeLifecycleController: !wanted || wanted.includes(NODE_LIFECYCLE_CONTROLLER),
        concurrency: o.concurrency,
        lockDurationMs: o.lockDuration,
        log: (line) => console.log(line),
      });
      const runner = new Manager((line) => console.log(line));
      await runner.add(manager);
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`${signal}: stopping the controller-manager`);
        await runner.stop();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });
}
