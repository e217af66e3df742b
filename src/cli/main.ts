/**
 * The `berth` command line: parses arguments (commander) and dispatches to one module per command.
 * `up` is defined here; every other command is a module in ./commands/ exporting
 * `register(program: Command): void`, so components add their command without touching this file.
 * Only the module of the command asked for is loaded (each pulls in its part of berth, and loading
 * all of them costs more than a short command's own work); help and unknown commands load all.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { addAuditFlags, type AuditFlags } from './audit-flags.js';
import { addControllerFlags, addTolerationFlags, controllerSettings, defaultTolerations, type ControllerFlags, type TolerationFlags } from './node-health-flags.js';
import { DEFAULT_PROXY_PORT_RANGE, parseNodePortAddresses } from '../agent/proxy/proxy-ports.js';

/** How long `berth up` may take to stop on a signal before it gives up on a component that hangs. */
const STOP_TIMEOUT_MS = 30_000;

export function intArg(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number ≥ ${min} (got "${v}")`);
    return n;
  };
}

/** `--nodeport-addresses` as commander takes it (a bad CIDR is a usage error). */
export function nodePortAddressesArg(v: string): string[] {
  try {
    return parseNodePortAddresses(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function program(): Command {
  const cmd = new Command('berth').description('A Kubernetes-compatible cluster whose desired state lives in Git').showHelpAfterError();

  addControllerFlags(addTolerationFlags(addAuditFlags(cmd
    .command('up')
    .description('start a one-machine cluster: redis-server (unless REDIS_URL is set), the API server and its components')
    .option('--api-port <port>', 'API server port (0 picks a free one)', intArg('--api-port', 0), 6443)
    .option('--host <address>', 'address the API server listens on', '127.0.0.1')
    .option('--data-dir <dir>', 'where redis data, the admin token and the kubeconfig live', '.berth')
    .option('--nodes <n>', 'node agents to start', intArg('--nodes', 0), 1)
    .addOption(new Option('--runtime <runtime>', 'how node agents run pods').choices(['process', 'sim']).default('process'))
    .option('--sim-stages <file>', 'with --runtime sim: stage documents (YAML) instead of the default pod lifecycle')
    .addOption(new Option('--fsync <mode>', 'redis appendfsync: always survives a crash, everysec is faster').choices(['always', 'everysec']).default('always'))
    .option('--demo', 'create the demo objects from examples/demo', false)
    .option('--tokens-file <file>', 'more users: lines of token,user,uid,"group1,group2" (kube-apiserver --token-auth-file format)')
    .addOption(new Option('--policies <mode>', 'the policy library in policies/: warn (verdicts as kubectl warnings), enforce (deny, and mutate), off').choices(['off', 'warn', 'enforce']).default('warn'))
    .option('--service-cidr <cidr>', "the IPv4 range Services' clusterIPs come from", '10.96.0.0/12')
    .option('--proxy-host <address>', "address the Service proxy serves ClusterIP Services' ports on (default: --host)")
    .option('--nodeport-addresses <cidrs>', "serve nodePorts only on this machine's addresses in these CIDRs (kube-proxy's flag; default: every address)", nodePortAddressesArg)
    .option('--proxy-port-range <first-last>', "the range the Service proxy's ports come from (outside the ephemeral and nodePort ranges)", DEFAULT_PROXY_PORT_RANGE))))
    .action(async (o: { apiPort: number; host: string; dataDir: string; nodes: number; runtime: 'process' | 'sim'; simStages?: string; fsync: 'always' | 'everysec'; demo: boolean; tokensFile?: string; policies: 'off' | 'warn' | 'enforce'; serviceCidr: string; proxyHost?: string; nodeportAddresses?: string[]; proxyPortRange: string } & AuditFlags & ControllerFlags & TolerationFlags) => {
      const { up } = await import('./up.js');
      const cluster = await up({ ...o, serviceCIDR: o.serviceCidr, nodePortAddresses: o.nodeportAddresses, audit: o, defaultTolerations: defaultTolerations(o), controllers: controllerSettings(o) });
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`\n${signal}: stopping berth`);
        const hung = setTimeout(() => {
          console.error(`berth did not stop within ${STOP_TIMEOUT_MS / 1000} s; stopping redis-server and exiting anyway`);
          cluster.redis?.child.kill('SIGTERM');
          process.exit(1);
        }, STOP_TIMEOUT_MS);
        hung.unref();
        await cluster.stop();
        console.log('stopped');
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });

  return cmd;
}

/**
 * Registers the commands in ./commands/ (one module each, named for its command): only `command`'s
 * module when there is one, else all of them.
 */
async function registerCommands(cmd: Command, command?: string): Promise<void> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'commands');
  const all = readdirSync(dir).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.includes('.test.')).sort();
  const own = all.filter((f) => f.replace(/\.(ts|js)$/, '') === command);
  for (const f of own.length > 0 ? own : all) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { register?: (c: Command) => void };
    if (typeof mod.register !== 'function') throw new Error(`src/cli/commands/${f} exports no register(program)`);
    mod.register(cmd);
  }
}

export async function main(argv: string[]): Promise<void> {
  try {
    const cmd = program();
    await registerCommands(cmd, argv[2]);
    await cmd.parseAsync(argv);
  } catch (e) {
    console.error(`berth: ${(e as Error).message}`);
    process.exit(1);
  }
}
