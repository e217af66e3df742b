/**
 * `berth app diff`: what a sync of an Application would change, computed the way the controller
 * compares — render the source at the revision the Application follows (its rollback pin if any),
 * server-side-apply dry-run each object as the caller, and diff the prediction with the live object
 * by field ownership, honouring ignoreDifferences — plus the objects a prune would delete.
 */
import { StatusError } from '../../controlplane/api/errors.js';
import type { Client } from '../../controlplane/client/client.js';
import { ref } from '../../controlplane/client/refs.js';
import { registry } from '../../controlplane/resources/registry.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { itemId, type InventoryItem } from '../apply/prune.js';
import { diff, unifiedYamlDiff } from '../diff/index.js';
import type { GitSource, RepoCredentials } from '../git/source.js';
import { render } from '../render/index.js';
import { PIN_ANNOTATION, decodeSecret } from './application-controller.js';
import { apiVersionOf, desiredSet } from './desired.js';
import { FIELD_MANAGER, INSTANCE_LABEL, instanceOf, type Application } from './types.js';

export interface ObjectDiff {
  item: InventoryItem;
  /** OutOfSync: differs; Missing: not in the cluster; Extra: a prune would delete it */
  status: 'OutOfSync' | 'Missing' | 'Extra';
  /** the field paths that differ (`.` for a whole object) */
  fields: string[];
  /** unified YAML diff, live → desired */
  text: string;
}

export interface AppDiff {
  revision: string;
  diffs: ObjectDiff[];
}

/** The differences between the Application's source and the cluster; [] when it is Synced. */
export async function diffApplication(client: Client, git: GitSource, app: Application): Promise<AppDiff> {
  const src = app.spec.source;
  let credentials: RepoCredentials | undefined;
  if (src.credentialsSecret) {
    const secret = await client.get<KubeObject & { data?: Record<string, string> }>(ref('v1', 'Secret'), src.credentialsSecret, app.metadata!.namespace);
    credentials = decodeSecret(secret);
  }
  const revision = app.metadata?.annotations?.[PIN_ANNOTATION] ?? src.targetRevision;
  const { commit, tree } = await git.resolve({ repoURL: src.repoURL, revision, credentials, refresh: true });
  const objects = render(await tree.snapshot(''), { path: src.path ?? '', ...src.directory }).objects.map((r) => r.object);
  const { desired } = desiredSet(app, objects);
  const diffs: ObjectDiff[] = [];
  for (const d of desired) {
    const live = await client.find<KubeObject>(d.ref, d.item.name, d.item.namespace);
    let predicted: KubeObject | undefined;
    try {
      predicted = await client.patch<KubeObject>(d.ref, d.item.name, 'apply', d.obj, { namespace: d.item.namespace, fieldManager: FIELD_MANAGER, force: true, dryRun: true });
    } catch (e) {
      // a new object in a namespace that does not exist yet: predicted locally
      if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
    }
    const r = diff(d.obj, live, { manager: FIELD_MANAGER, predicted: live ? predicted : undefined, ignoreDifferences: app.spec.ignoreDifferences });
    if (!r.synced) diffs.push({ item: d.item, status: live ? 'OutOfSync' : 'Missing', fields: r.fields.map((f) => f.path), text: r.text });
  }
  const want = new Set(desired.map((d) => itemId(d.item)));
  for (const i of app.status?.resources ?? []) {
    if (want.has(itemId(i)) || !registry.findKind(apiVersionOf(i), i.kind)) continue;
    const live = await client.find<KubeObject>(ref(apiVersionOf(i), i.kind), i.name, i.namespace);
    if (!live || live.metadata?.labels?.[INSTANCE_LABEL] !== instanceOf(app)) continue;
    const { group, version, kind, namespace, name } = i;
    const shown = structuredClone(live);
    delete shown.metadata!.managedFields;
    diffs.push({ item: { group, version, kind, namespace, name }, status: 'Extra', fields: ['.'], text: unifiedYamlDiff(shown, undefined) });
  }
  return { revision: commit.sha, diffs };
}
