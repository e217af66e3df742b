/**
 * `berth review`: what merging a branch would change and whether the admission policies accept it,
 * from Git alone (no server). Exit code 0 clean, 1 on a Deny violation, 2 on errors.
 */
import { Option, type Command } from 'commander';
import { FORMATS, format, type Format } from '../../sync/review/format.js';
import { review } from '../../sync/review/review.js';

interface Flags {
  repo: string;
  base: string;
  head: string;
  path: string;
  recurse?: boolean;
  policies: string[];
  defaultPolicies: boolean;
  output: Format;
}

/** Registers `berth review`. */
export function register(program: Command): void {
  program
    .command('review')
    .description('render two revisions of a repository, show the objects added, changed and removed, and check them against admission policies')
    .requiredOption('--repo <path>', 'repository: a local path or an http(s) URL')
    .requiredOption('--base <rev>', 'the base revision (branch, tag or commit)')
    .requiredOption('--head <rev>', 'the head revision (branch, tag or commit)')
    .option('--path <dir>', 'directory to render, relative to the repository root', '')
    .option('--recurse', 'render subdirectories of --path too')
    .option('--policies <dir>', 'a policy directory on disk, in addition to the default library (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--no-default-policies', 'leave out the default policy library (policies/)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(FORMATS).default('text'))
    // usage errors are errors (2), not policy failures (1)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (f: Flags) => {
      try {
        const report = await review({ repo: f.repo, base: f.base, head: f.head, path: f.path, recurse: f.recurse, policies: f.policies, noDefaultPolicies: !f.defaultPolicies });
        process.stdout.write(format(report, f.output));
        process.exitCode = report.passed ? 0 : 1;
      } catch (e) {
        console.error(`berth review: ${(e as Error).message}`);
        process.exitCode = 2;
      }
    });
}
