/**
 * `berth app`: Applications (a Git path kept in sync) — create, list, get, diff, sync, history,
 * rollback, delete, wait. Talks to the cluster through the kubeconfig like kubectl.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { applicationsRef, PIN_ANNOTATION, PIN_SOURCE_ANNOTATION } from '../../sync/app/application-controller.js';
import { RESOURCES_FINALIZERS, SYNC_REQUEST_ANNOTATION, type Application } from '../../sync/app/types.js';
import { diffApplication } from '../../sync/app/app-diff.js';
import { connect } from '../../sync/cli/connect.js';
import { GitSource } from '../../sync/git/source.js';
import { table } from '../../sync/cli/table.js';

interface Common {
  namespace?: string;
  kubeconfig?: string;
}

function ready(a: Application): string {
  const c = a.status?.conditions?.find((x) => x.type === 'Ready');
  return c && c.status === 'False' ? `${c.reason}: ${c.message}` : '';
}

function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s);
  if (!m) throw new Error(`--timeout "${s}" is not a duration like 60s`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
}

export function register(program: Command): void {
  const app = program.command('app').description('Applications: Git paths kept in sync with the cluster');
  const common = (c: Command) => c.option('-n, --namespace <ns>', 'namespace of the Application').option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG, else ./.berth/kubeconfig)');
  const target = (o: Common) => {
    const { client, namespace } = connect(o.kubeconfig);
    return { client, ns: o.namespace ?? namespace };
  };

  common(app.command('create <name>').description('create an Application'))
    .requiredOption('--repo <url>', 'repository: local path, bare repository or http(s) URL')
    .requiredOption('--path <path>', 'directory in the repository')
    .option('--revision <rev>', 'branch, tag or commit', 'HEAD')
    .requiredOption('--dest-namespace <ns>', 'namespace objects without one go to')
    .option('--auto', 'sync automatically', false)
    .option('--prune', 'delete objects removed from Git (with --auto)', false)
    .option('--self-heal', 'revert live changes (with --auto)', false)
    .option('--credentials-secret <name>', 'Secret with username/password or token for http(s)')
    .option('--depends-on <app>', 'sync only once this Application ([namespace/]name) is Synced and Healthy; repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action(async (name: string, o: Common & { repo: string; path: string; revision: string; destNamespace: string; auto: boolean; prune: boolean; selfHeal: boolean; credentialsSecret?: string; dependsOn: string[] }) => {
      const { client, ns } = target(o);
      const repoURL = /^[a-z]+:\/\//i.test(o.repo) ? o.repo : (await import('node:path')).resolve(o.repo);
      await client.create(applicationsRef, {
        apiVersion: 'berth.dev/v1alpha1',
        kind: 'Application',
        metadata: { name, namespace: ns },
        spec: {
          source: { repoURL, targetRevision: o.revision, path: o.path, ...(o.credentialsSecret ? { credentialsSecret: o.credentialsSecret } : {}) },
          destination: { namespace: o.destNamespace },
          ...(o.dependsOn.length ? { dependsOn: o.dependsOn.map((d) => (d.includes('/') ? { namespace: d.split('/')[0], name: d.split('/')[1] } : { name: d })) } : {}),
          syncPolicy: o.auto ? { automated: { prune: o.prune, selfHeal: o.selfHeal } } : {},
        },
      });
      console.log(`application.berth.dev/${name} created`);
    });

  common(app.command('list').description('list Applications')).action(async (o: Common) => {
    const { client, ns } = target(o);
    const list = await client.list<Application>(applicationsRef, { namespace: ns });
    const rows = [['NAME', 'SYNC', 'HEALTH', 'REVISION', 'MESSAGE']];
    for (const a of list.items) rows.push([a.metadata!.name!, a.status?.sync?.status ?? '', a.status?.health?.status ?? '', a.status?.sync?.revision?.slice(0, 7) ?? '', ready(a)]);
    console.log(table(rows));
  });

  common(app.command('get <name>').description('show an Application'))
    .option('-o, --output <format>', 'json or yaml')
    .action(async (name: string, o: Common & { output?: string }) => {
      const { client, ns } = target(o);
      const a = await client.get<Application>(applicationsRef, name, ns);
      if (o.output === 'json') return console.log(JSON.stringify(a, null, 2));
      if (o.output === 'yaml') return console.log(stringify(a));
      const s = a.status ?? {};
      console.log(`Name:        ${ns}/${name}\nRepo:        ${a.spec.source.repoURL}\nPath:        ${a.spec.source.path ?? '.'}\nRevision:    ${a.spec.source.targetRevision ?? 'HEAD'}${s.pinned ? ` (pinned to ${s.pinned.revision.slice(0, 7)} by rollback)` : ''}`);
      console.log(`Sync:        ${s.sync?.status ?? 'Unknown'} ${s.sync?.revision?.slice(0, 7) ?? ''} ${s.sync?.message ? `"${s.sync.message.split('\n')[0]}" by ${s.sync.author}` : ''}\nHealth:      ${s.health?.status ?? 'Unknown'}`);
      if (ready(a)) console.log(`Condition:   ${ready(a)}`);
      const rows = [['KIND', 'NAMESPACE', 'NAME', 'STATUS', 'HEALTH', 'DIFF']];
      for (const r of s.resources ?? []) rows.push([r.kind, r.namespace ?? '', r.name, r.status, r.health ?? '', r.message ?? (r.diff ?? []).join(',')]);
      console.log('\n' + table(rows));
    });

  common(app.command('sync <name>').description('sync an Application now'))
    .option('--allow-prune', 'allow a prune beyond the deletion budget or of every object', false)
    .option('--prune', 'prune objects removed from Git', false)
    .action(async (name: string, o: Common & { allowPrune: boolean; prune: boolean }) => {
      const { client, ns } = target(o);
      const id = randomUUID();
      const request = { id, allowPrune: o.allowPrune, prune: o.prune, by: process.env.USER ?? 'cli' };
      await client.patch(applicationsRef, name, 'merge', { metadata: { annotations: { [SYNC_REQUEST_ANNOTATION]: JSON.stringify(request) } } }, { namespace: ns });
      console.log(`sync of ${ns}/${name} requested (${id})`);
    });

  common(app.command('diff <name>').description('what a sync would change: field paths and a unified YAML diff per object; exit 1 when OutOfSync'))
    .action(async (name: string, o: Common) => {
      const { client, ns } = target(o);
      const a = await client.get<Application>(applicationsRef, name, ns);
      const dataDir = mkdtempSync(join(tmpdir(), 'berth-diff-'));
      try {
        const { revision, diffs } = await diffApplication(client, new GitSource({ dataDir }), a);
        for (const d of diffs) {
          const i = d.item;
          console.log(`===== ${i.group ? `${i.group}/` : ''}${i.kind} ${i.namespace ?? ''}/${i.name} ======`);
          console.log(d.status === 'Extra' ? 'extra: a prune would delete it' : d.status === 'Missing' ? 'missing: a sync would create it' : `changed: ${d.fields.join(' ')}`);
          console.log(d.text);
        }
        if (diffs.length > 0) process.exitCode = 1;
        else console.error(`${ns}/${name} is in sync with ${revision.slice(0, 7)}`);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });

  common(app.command('history <name>').description('the last syncs')).action(async (name: string, o: Common) => {
    const { client, ns } = target(o);
    const a = await client.get<Application>(applicationsRef, name, ns);
    const rows = [['ID', 'DATE', 'REVISION', 'RESULT', 'BY', 'MESSAGE']];
    for (const h of a.status?.history ?? []) rows.push([String(h.id), h.deployedAt, h.revision.slice(0, 7), h.result, h.initiatedBy, h.message ?? '']);
    console.log(table(rows));
  });

  common(app.command('rollback <name> <id>').description('stay on the revision of history entry ID until a newer commit arrives'))
    .action(async (name: string, id: string, o: Common) => {
      const { client, ns } = target(o);
      const a = await client.get<Application>(applicationsRef, name, ns);
      const h = a.status?.history?.find((x) => String(x.id) === id);
      if (!h) throw new Error(`${ns}/${name} has no history entry ${id} (see berth app history ${name})`);
      await client.patch(applicationsRef, name, 'merge', { metadata: { annotations: { [PIN_ANNOTATION]: h.revision, [PIN_SOURCE_ANNOTATION]: a.status?.sourceRevision ?? '' } } }, { namespace: ns });
      console.log(`${ns}/${name} pinned to ${h.revision.slice(0, 7)} until a newer commit arrives`);
    });

  common(app.command('delete <name>').description('delete an Application and, unless --cascade=false, the objects it applied'))
    .option('--cascade <bool>', 'delete the objects it applied too (true|false)', 'true')
    .action(async (name: string, o: Common & { cascade: string }) => {
      const { client, ns } = target(o);
      if (o.cascade !== 'true' && o.cascade !== 'false') throw new Error(`--cascade=${o.cascade}: use true or false`);
      // as argocd app delete: the resources finalizer decides, set or cleared just before the delete
      const a = await client.get<Application>(applicationsRef, name, ns);
      const others = (a.metadata?.finalizers ?? []).filter((f) => !RESOURCES_FINALIZERS.includes(f));
      const finalizers = o.cascade === 'true' ? [...others, RESOURCES_FINALIZERS[0]] : others;
      if (JSON.stringify(finalizers) !== JSON.stringify(a.metadata?.finalizers ?? [])) {
        await client.patch(applicationsRef, name, 'merge', { metadata: { finalizers, resourceVersion: a.metadata!.resourceVersion } }, { namespace: ns });
      }
      await client.delete(applicationsRef, name, { namespace: ns });
      console.log(`application.berth.dev/${name} deleted${o.cascade === 'true' ? ' (its objects are being deleted)' : ' (its objects stay)'}`);
    });

  common(app.command('wait <name>').description('wait until an Application is Synced and/or Healthy'))
    .option('--synced', 'wait for Synced', false)
    .option('--healthy', 'wait for Healthy', false)
    .option('--timeout <duration>', 'give up after (e.g. 60s)', '60s')
    .action(async (name: string, o: Common & { synced: boolean; healthy: boolean; timeout: string }) => {
      const { client, ns } = target(o);
      const ok = (a?: Application) => !!a && (!o.synced || a.status?.sync?.status === 'Synced') && (!o.healthy || a.status?.health?.status === 'Healthy');
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), parseDuration(o.timeout));
      let last: Application | undefined;
      try {
        while (!ac.signal.aborted) {
          const list = await client.list<Application>(applicationsRef, { namespace: ns, fieldSelector: `metadata.name=${name}` });
          last = list.items[0];
          if (ok(last)) break;
          for await (const ev of client.watch<Application>(applicationsRef, { namespace: ns, fieldSelector: `metadata.name=${name}`, resourceVersion: list.metadata.resourceVersion, signal: ac.signal, timeoutSeconds: 30 })) {
            if (ev.type === 'ADDED' || ev.type === 'MODIFIED') last = ev.object;
            if (ok(last)) break;
          }
          if (ok(last)) break;
        }
      } catch (e) {
        if (!ac.signal.aborted) throw e;
      } finally {
        clearTimeout(timer);
      }
      if (!ok(last)) throw new Error(`timed out after ${o.timeout}: ${ns}/${name} is ${last?.status?.sync?.status ?? 'Unknown'}/${last?.status?.health?.status ?? 'Unknown'}${last && ready(last) ? ` (${ready(last)})` : ''}`);
      console.log(`${ns}/${name}: ${last!.status!.sync!.status} ${last!.status!.health?.status ?? ''} at ${last!.status!.sync!.revision?.slice(0, 7)}`);
    });
}
