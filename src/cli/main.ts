/**
 * The `berth` command line: parses arguments (commander) and dispatches to one module per command.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { up } from './up.js';

function intArg(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number ≥ ${min} (got "${v}")`);
    return n;
  };
}

export function program(): Command {
  const cmd = new Command('berth').description('A Kubernetes-compatible cluster whose desired state lives in Git').showHelpAfterError();

  cmd
    .command('up')
    .description('start a one-machine cluster: redis-server (unless REDIS_URL is set), the API server and its components')
    .option('--api-port <port>', 'API server port (0 picks a free one)', intArg('--api-port', 0), 6443)
    .option('--host <address>', 'address the API server listens on', '127.0.0.1')
    .option('--data-dir <dir>', 'where redis data, the admin token and the kubeconfig live', '.berth')
    .option('--nodes <n>', 'node agents to start', intArg('--nodes', 0), 1)
    .addOption(new Option('--runtime <runtime>', 'how node agents run pods').choices(['process', 'sim']).default('process'))
    .addOption(new Option('--fsync <mode>', 'redis appendfsync: always survives a crash, everysec is faster').choices(['always', 'everysec']).default('always'))
    .option('--demo', 'create the demo objects from examples/demo', false)
    .action(async (o: { apiPort: number; host: string; dataDir: string; nodes: number; runtime: 'process' | 'sim'; fsync: 'always' | 'everysec'; demo: boolean }) => {
      const cluster = await up(o);
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`\n${signal}: stopping berth`);
        await cluster.stop();
        console.log('stopped');
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });

  return cmd;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (e) {
    console.error(`berth: ${(e as Error).message}`);
    process.exit(1);
  }
}
