/**
 * `berth repo create NAME`: a Git repository hosted by berth (a bare repository under the data dir
 * with a hook that syncs its Applications on push). Prints the push URL as the last line.
 */
import type { Command } from 'commander';
import { createRepo } from '../../sync/cli/repo-create.js';

export function register(program: Command): void {
  const repo = program.command('repo').description('Git repositories hosted by berth');
  repo
    .command('create <name>')
    .description('create a bare repository that deploys on push; prints its push URL last')
    .option('--data-dir <dir>', 'the data dir of berth up', '.berth')
    .action((name: string, o: { dataDir: string }) => {
      const path = createRepo(o.dataDir, name);
      console.log(`created ${name}: push to it from any clone with  git push ${path} main`);
      console.log(path);
    });
}
