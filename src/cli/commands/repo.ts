/**
 * `berth repo create NAME`: a Git repository hosted by berth (a bare repository under the data dir
 * with a hook that syncs its Applications on push). Prints the push URL as the last line.
 * `berth repo get NAME|URL`: the last push webhook berth received for a repository, what it matched
 * and how long until each Application synced, or why nothing happened.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createRepo } from '../../sync/cli/repo-create.js';
import { webhookInfoPath, type RepoWebhookStatus, type WebhookInfo } from '../../sync/sync.js';
import { normalizeRepoURL } from '../../sync/webhook/push.js';

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

  repo
    .command('get <repo>')
    .description('the last push webhook of a repository (a name made by repo create, a path or a URL): commit, matched Applications, time to Synced, or why nothing happened')
    .option('--data-dir <dir>', 'the data dir of berth up', '.berth')
    .action(async (name: string, o: { dataDir: string }) => {
      const target = /[/:]/.test(name) ? name : resolve(o.dataDir, 'repos', `${name}.git`);
      let info: WebhookInfo;
      try {
        info = JSON.parse(readFileSync(webhookInfoPath(resolve(o.dataDir)), 'utf8')) as WebhookInfo;
      } catch {
        throw new Error(`no webhook listener recorded under ${o.dataDir}/sync: is berth up running with --data-dir ${o.dataDir}?`);
      }
      const res = await fetch(info.url.replace(/\/webhook$/, '/repos'), { headers: { authorization: `Bearer ${info.token}` } });
      if (!res.ok) throw new Error(`${info.url}: ${res.status} ${((await res.json()) as { message?: string }).message ?? ''}`);
      const rec = ((await res.json()) as RepoWebhookStatus[]).find((r) => r.repo === normalizeRepoURL(target));
      console.log(`Repository:    ${normalizeRepoURL(target)}`);
      if (!rec) return console.log('Last webhook:  none received since this data dir was created');
      const ago = Math.round((Date.now() - Date.parse(rec.receivedAt)) / 1000);
      console.log(`Last webhook:  ${rec.receivedAt} (${ago}s ago)  ${rec.ref ?? ''} ${rec.commit ? rec.commit.slice(0, 7) : ''}`.trimEnd());
      console.log(`Result:        ${rec.result}: ${rec.message}`);
      for (const m of rec.matched) console.log(`  ${m.app}  ${m.syncedAfterMs !== undefined ? `synced ${(m.syncedAfterMs / 1000).toFixed(2)}s after the webhook` : `not synced at ${rec.commit?.slice(0, 7) ?? 'the commit'} yet: ${m.waiting ?? ''}`}`);
    });
}
