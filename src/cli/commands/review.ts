/**
 * `berth review`: what merging a branch would change and whether the admission policies accept it,
 * from Git alone; with `--server` (or `--kubeconfig`, `--as`) also the live server's policies and
 * whether the deploying identity may write each object. Optionally posts the head commit's status.
 * Exit code 0 clean, 1 on a Deny violation or an RBAC denial, 2 on errors.
 */
import { Option, type Command } from 'commander';
import { connect } from '../../sync/cli/connect.js';
import { FORMATS, format, type Format } from '../../sync/review/format.js';
import { review, type ReviewOptions } from '../../sync/review/review.js';
import { STATUS_FORMATS, type StatusFormat } from '../../sync/status/commit-status.js';

interface Flags {
  repo: string;
  base: string;
  head: string;
  path: string;
  recurse?: boolean;
  policies: string[];
  defaultPolicies: boolean;
  output: Format;
  server?: string;
  kubeconfig?: string;
  as?: string;
  asGroup: string[];
  statusUrl?: string;
  statusToken?: string;
  statusFormat: StatusFormat;
  statusRepository?: string;
  statusContext: string;
  statusTargetUrl?: string;
}

const repeat = (v: string, acc: string[]) => [...acc, v];

/** The live-server part of the options: only when --server, --kubeconfig or --as asks for it. */
async function serverOptions(f: Flags): Promise<ReviewOptions['server']> {
  if (!f.server && !f.kubeconfig && !f.as) return undefined;
  const { client, server } = connect(f.kubeconfig, f.server);
  if (f.as) return { client, url: server, subject: { user: f.as, groups: f.asGroup.length > 0 ? f.asGroup : ['system:authenticated'] } };
  // the identity that deploys: the sync's own (loaded only here: the sync module is large)
  const { SYNC_USER } = await import('../../sync/sync.js');
  return { client, url: server, subject: { user: SYNC_USER.username, groups: SYNC_USER.groups } };
}

/** Registers `berth review`. */
export function register(program: Command): void {
  program
    .command('review')
    .description('render two revisions of a repository, show the objects added, changed and removed, and check them against admission policies (and a live server\'s policies and RBAC)')
    .requiredOption('--repo <path>', 'repository: a local path or an http(s) URL')
    .requiredOption('--base <rev>', 'the base revision (branch, tag or commit)')
    .requiredOption('--head <rev>', 'the head revision (branch, tag or commit)')
    .option('--path <dir>', 'directory to render, relative to the repository root', '')
    .option('--recurse', 'render subdirectories of --path too')
    .option('--policies <dir>', 'a policy directory on disk, in addition to the default library (repeatable)', repeat, [] as string[])
    .option('--no-default-policies', 'leave out the default policy library (policies/)')
    .option('--server <url>', "a live API server (token and CA from the kubeconfig): its admission policies are evaluated too, and RBAC is checked")
    .option('--kubeconfig <file>', 'kubeconfig for --server (default: KUBECONFIG, else .berth/kubeconfig); alone, its server is used')
    .option('--as <user>', "the identity that deploys, checked for create/update/delete of each change (default with --server: the sync's own, system:berth-sync)")
    .option('--as-group <group>', 'a group of --as (repeatable; default system:authenticated)', repeat, [] as string[])
    .option('--status-url <url>', 'post the head commit\'s status there (pending, then success/failure): the webhook URL, or the API base URL for github/gitea')
    .option('--status-token <token>', 'token for --status-url (default: BERTH_STATUS_TOKEN)')
    .addOption(new Option('--status-format <format>', 'payload shape for --status-url').choices(STATUS_FORMATS).default('generic'))
    .option('--status-repository <owner/repo>', 'repository for github/gitea statuses')
    .option('--status-context <name>', 'the status context', 'berth/review')
    .option('--status-target-url <url>', 'the link the status carries')
    .addOption(new Option('-o, --output <format>', 'output format').choices(FORMATS).default('text'))
    // usage errors are errors (2), not policy failures (1)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (f: Flags) => {
      try {
        const report = await review({
          repo: f.repo,
          base: f.base,
          head: f.head,
          path: f.path,
          recurse: f.recurse,
          policies: f.policies,
          noDefaultPolicies: !f.defaultPolicies,
          server: await serverOptions(f),
          status: f.statusUrl
            ? {
                target: { url: f.statusUrl, format: f.statusFormat, token: f.statusToken ?? process.env.BERTH_STATUS_TOKEN, repository: f.statusRepository },
                context: f.statusContext,
                targetUrl: f.statusTargetUrl,
                // an undelivered status is reported, not fatal: the review's verdict stands
                onResult: (state, r) => r.ok || console.error(`berth review: commit status ${state} not delivered: ${r.error}`),
              }
            : undefined,
        });
        process.stdout.write(format(report, f.output));
        process.exitCode = report.passed ? 0 : 1;
      } catch (e) {
        console.error(`berth review: ${(e as Error).message}`);
        process.exitCode = 2;
      }
    });
}
