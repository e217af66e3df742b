/**
 * `berth preview`: PreviewSets (a preview environment per pull-request branch or ref) — create, list
 * the previews, get a set, delete it with all its previews. Talks to the cluster through the
 * kubeconfig like kubectl.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { humanDuration } from '../../controlplane/resources/tables/age.js';
import { connect } from '../../sync/cli/connect.js';
import { table } from '../../sync/cli/table.js';
import { parseDuration } from '../../sync/previews/expiry.js';
import { deletedRefs, previewSetsRef } from '../../sync/previews/preview-controller.js';
import { shortRef } from '../../sync/previews/refs.js';
import { DELETED_ANNOTATION, type PreviewSet, type PreviewSetSpec, type PreviewStatus } from '../../sync/previews/types.js';

interface Common {
  namespace?: string;
  kubeconfig?: string;
  allNamespaces?: boolean;
}

const collect = (v: string, acc: string[]) => [...acc, v];

/** `pods=10,requests.cpu=2` → `{ pods: "10", "requests.cpu": "2" }` */
function quantities(s: string, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',').filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0) throw new Error(`${flag} "${s}": write resource=quantity pairs separated by commas, e.g. pods=10,requests.cpu=2`);
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

function expires(p: PreviewStatus, now: number): string {
  if (p.phase === 'Expired' || p.phase === 'Deleted') return p.phase.toLowerCase();
  return p.expiresAt ? `in ${humanDuration(Date.parse(p.expiresAt) - now)}` : '<none>';
}

function ready(s: PreviewSet): string {
  const c = s.status?.conditions?.find((x) => x.type === 'Ready');
  return c && c.status === 'False' ? `${c.reason}: ${c.message}` : '';
}

/** One row per preview: where it lives, what it runs, whether it is up, where it answers; `set` names its PreviewSet. */
function previewRows(sets: PreviewSet[], set?: (s: PreviewSet) => string): string[][] {
  const withSet = !!set;
  const now = Date.now();
  const rows = [[...(withSet ? ['SET'] : []), 'REF', 'NAMESPACE', 'COMMIT', 'SYNC', 'HEALTH', 'EXPIRES', 'URL', 'MESSAGE']];
  for (const s of sets) {
    for (const p of s.status?.previews ?? []) {
      const message = p.reason ? `${p.reason}: ${p.message ?? ''}` : '';
      rows.push([...(set ? [set(s)] : []), shortRef(p.ref), p.phase === 'Expired' || p.phase === 'Deleted' ? '<deleted>' : p.namespace, p.commit.slice(0, 7), p.sync ?? '', p.health ?? '', expires(p, now), p.urls?.[0]?.url ?? '', message]);
    }
  }
  return rows;
}

export function register(program: Command): void {
  const preview = program.command('preview').description('PreviewSets: a preview environment per pull-request branch or ref');
  const common = (c: Command) => c.option('-n, --namespace <ns>', 'namespace of the PreviewSet').option('--kubeconfig <file>', 'kubeconfig (default $KUBECONFIG, else ./.berth/kubeconfig)');
  const target = (o: Common) => {
    const { client, namespace } = connect(o.kubeconfig);
    return { client, ns: o.namespace ?? namespace };
  };

  common(preview.command('create <name>').description('create a PreviewSet'))
    .requiredOption('--repo <url>', 'repository: local path, bare repository or http(s) URL')
    .requiredOption('--path <path>', 'directory in the repository each preview syncs')
    .option('--branches <glob>', 'branches that get a preview, e.g. pr/* (repeatable)', collect, [] as string[])
    .option('--refs <glob>', 'full refs that get a preview, e.g. refs/pull/*/head (repeatable)', collect, [] as string[])
    .option('--prefix <prefix>', 'namespace names start with this (default NAME-)')
    .option('--ttl <duration>', 'delete a preview this long after it was created (e.g. 72h, 7d)')
    .option('--idle-timeout <duration>', 'delete a preview whose ref got no new commit for this long')
    .option('--quota <list>', 'ResourceQuota hard limits per preview, e.g. pods=10,requests.cpu=2')
    .option('--default-limits <list>', 'LimitRange default container limits per preview, e.g. cpu=500m,memory=256Mi')
    .option('--credentials-secret <name>', 'Secret with username/password or token for http(s)')
    .action(async (name: string, o: Common & { repo: string; path: string; branches: string[]; refs: string[]; prefix?: string; ttl?: string; idleTimeout?: string; quota?: string; defaultLimits?: string; credentialsSecret?: string }) => {
      if (!o.branches.length && !o.refs.length) throw new Error('give --branches (e.g. pr/*) or --refs (e.g. refs/pull/*/head): which refs get previews');
      if (o.ttl) parseDuration(o.ttl, '--ttl');
      if (o.idleTimeout) parseDuration(o.idleTimeout, '--idle-timeout');
      const { client, ns } = target(o);
      const spec: PreviewSetSpec = {
        source: { repoURL: /^[a-z]+:\/\//i.test(o.repo) ? o.repo : resolve(o.repo), ...(o.credentialsSecret ? { credentialsSecret: o.credentialsSecret } : {}) },
        ...(o.branches.length ? { branches: o.branches } : {}),
        ...(o.refs.length ? { refs: o.refs } : {}),
        template: { path: o.path },
        ...(o.prefix !== undefined ? { namespace: { prefix: o.prefix } } : {}),
        ...(o.quota ? { resourceQuota: { hard: quantities(o.quota, '--quota') } } : {}),
        ...(o.defaultLimits ? { limitRange: { limits: [{ type: 'Container', default: quantities(o.defaultLimits, '--default-limits') }] } } : {}),
        ...(o.ttl ? { ttl: o.ttl } : {}),
        ...(o.idleTimeout ? { idleTimeout: o.idleTimeout } : {}),
      };
      await client.create(previewSetsRef, { apiVersion: 'berth.dev/v1alpha1', kind: 'PreviewSet', metadata: { name, namespace: ns }, spec } as PreviewSet);
      console.log(`previewset.berth.dev/${name} created`);
    });

  common(preview.command('list').description('list the previews of every PreviewSet'))
    .option('-A, --all-namespaces', 'PreviewSets of every namespace', false)
    .action(async (o: Common) => {
      const { client, ns } = target(o);
      const sets = (await client.list<PreviewSet>(previewSetsRef, { namespace: o.allNamespaces ? undefined : ns })).items;
      const rows = previewRows(sets, (s) => (o.allNamespaces ? `${s.metadata!.namespace}/${s.metadata!.name}` : s.metadata!.name!));
      if (rows.length === 1) return console.log(`No previews found in ${o.allNamespaces ? 'any namespace' : `${ns} namespace`}.`);
      console.log(table(rows));
    });

  common(preview.command('get <name>').description('show a PreviewSet and its previews'))
    .option('-o, --output <format>', 'json or yaml')
    .action(async (name: string, o: Common & { output?: string }) => {
      const { client, ns } = target(o);
      const s = await client.get<PreviewSet>(previewSetsRef, name, ns);
      if (o.output === 'json') return console.log(JSON.stringify(s, null, 2));
      if (o.output === 'yaml') return console.log(stringify(s));
      const refsLine = [...(s.spec.branches ?? []).map((b) => `branches ${b}`), ...(s.spec.refs ?? [])].join(', ');
      console.log(`Name:        ${ns}/${name}\nRepo:        ${s.spec.source.repoURL}\nRefs:        ${refsLine}\nPath:        ${s.spec.template?.path ?? '.'}`);
      console.log(`Expiry:      ${s.spec.ttl ? `ttl ${s.spec.ttl}` : 'no ttl'}, ${s.spec.idleTimeout ? `idle ${s.spec.idleTimeout}` : 'no idle timeout'}`);
      if (ready(s)) console.log(`Condition:   ${ready(s)}`);
      console.log('\n' + table(previewRows([s])));
    });

  common(preview.command('delete <name>').description('delete a PreviewSet with every preview namespace it made, or with --ref one preview'))
    .option('--ref <ref>', 'delete only the preview of this ref (pr/42 or refs/pull/42/head) until its next commit')
    .action(async (name: string, o: Common & { ref?: string }) => {
      const { client, ns } = target(o);
      const s = await client.get<PreviewSet>(previewSetsRef, name, ns);
      if (o.ref) {
        const p = (s.status?.previews ?? []).find((x) => x.ref === o.ref || shortRef(x.ref) === o.ref);
        if (!p) throw new Error(`${ns}/${name} has no preview of ref "${o.ref}" (see berth preview get ${name})`);
        const annotations = { [DELETED_ANNOTATION]: JSON.stringify({ ...deletedRefs(s), [p.ref]: p.commit }) };
        await client.patch(previewSetsRef, name, 'merge', { metadata: { resourceVersion: s.metadata!.resourceVersion, annotations } }, { namespace: ns });
        return console.log(`preview ${shortRef(p.ref)} of previewset.berth.dev/${name} deleted (namespace ${p.namespace}); a new commit to ${shortRef(p.ref)} brings it back`);
      }
      await client.delete(previewSetsRef, name, { namespace: ns });
      const n = (s.status?.previews ?? []).filter((p) => p.phase === 'Active' || p.phase === 'Failed').length;
      console.log(`previewset.berth.dev/${name} deleted (its ${n} preview namespace${n === 1 ? '' : 's'} are being deleted)`);
    });
}
