/**
 * Table tests for drift: live objects are built the way the API server builds them — the real
 * server-side apply field manager, the kind's defaults, then other managers' updates recorded in
 * managedFields — and compared with their manifests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { serverSideApply } from '../../controlplane/api/apply/apply.js';
import { updateManagedFields } from '../../controlplane/api/apply/managed-fields.js';
import { registry } from '../../controlplane/resources/registry.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { diff, SYNC_FIELD_MANAGER, type DiffOptions } from './diff.js';
import type { IgnoreDifference } from './normalize.js';
import { SEED_MANIFESTS } from '../../../test/harness/fixtures.js';

const NOW = '2026-01-01T00:00:00Z';

function typeOf(obj: KubeObject) {
  const t = registry.findKind(obj.apiVersion!, obj.kind!);
  if (!t) throw new Error(`unknown kind ${obj.kind}`);
  return t;
}

/** What the server stores after a server-side apply of `config` by `manager`: merged, defaulted, with server metadata and a status. */
function applied(config: KubeObject, live?: KubeObject, manager = SYNC_FIELD_MANAGER): KubeObject {
  const t = typeOf(config);
  const { object } = serverSideApply({ live, config: structuredClone(config), manager, force: true, schema: t.schema(), apiVersion: config.apiVersion!, now: NOW });
  t.defaults(object);
  object.metadata = { uid: 'u-1', resourceVersion: '42', generation: 3, creationTimestamp: NOW, ...object.metadata };
  if (t.hasStatus) object.status = { observedGeneration: 3 };
  return object;
}

/** `live` after a non-apply write by `manager` (kubectl edit/scale, a controller, an HPA). */
function updated(live: KubeObject, manager: string, change: (o: KubeObject) => void): KubeObject {
  const next = structuredClone(live);
  change(next);
  const t = typeOf(live);
  next.metadata!.managedFields = updateManagedFields({ old: live, next, manager, operation: 'Update', schema: t.schema(), apiVersion: live.apiVersion!, now: NOW });
  return next;
}

const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }, { name: 'log', image: 'busybox' }] },
    },
  },
};
const withoutReplicas = structuredClone(deployment);
delete (withoutReplicas.spec as Record<string, unknown>).replicas;

const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, stringData: { password: 'hunter2' } };
const storedSecret: KubeObject = { ...applied(secret), data: { password: Buffer.from('hunter2').toString('base64') } };
delete storedSecret.stringData;

interface Case {
  name: string;
  desired: KubeObject;
  live: () => KubeObject | undefined;
  opts?: DiffOptions;
  synced: boolean;
  paths?: string[];
}

const ignore = (rule: Omit<IgnoreDifference, 'kind'>): DiffOptions => ({ ignoreDifferences: [{ kind: 'Deployment', group: 'apps', ...rule }] });

const cases: Case[] = [
  { name: 'just applied', desired: deployment, live: () => applied(deployment), synced: true },
  { name: 'status and server metadata differ', desired: deployment, live: () => ({ ...applied(deployment), status: { replicas: 1, conditions: [] } }), synced: true },
  { name: 'missing', desired: deployment, live: () => undefined, synced: false, paths: ['.'] },
  {
    name: 'kubectl scale of a field the manifest sets',
    desired: deployment,
    live: () => updated(applied(deployment), 'kubectl', (o) => ((o.spec as Record<string, unknown>).replicas = 5)),
    synced: false,
    paths: ['.spec.replicas'],
  },
  {
    name: 'kubectl edit of a container image: keyed path',
    desired: deployment,
    live: () => updated(applied(deployment), 'kubectl-edit', (o) => (((o.spec as any).template.spec.containers[1].image = 'busybox:evil'))),
    synced: false,
    paths: ['.spec.template.spec.containers[name="log"].image'],
  },
  {
    name: 'HPA owns replicas the manifest does not set',
    desired: withoutReplicas,
    live: () => updated(applied(withoutReplicas), 'horizontal-pod-autoscaler', (o) => ((o.spec as Record<string, unknown>).replicas = 7)),
    synced: true,
  },
  {
    name: 'a controller adds an annotation and a label',
    desired: deployment,
    live: () =>
      updated(applied(deployment), 'kube-controller-manager', (o) => {
        o.metadata!.annotations = { 'deployment.kubernetes.io/revision': '2' };
        o.metadata!.labels!['pod-template-hash'] = 'abc';
      }),
    synced: true,
  },
  {
    name: 'a field the manifest dropped, applied by us before, is drift',
    desired: deployment,
    live: () => applied({ ...deployment, metadata: { ...deployment.metadata, labels: { app: 'web', tier: 'front' } } }),
    synced: false,
    paths: ['.metadata.labels.tier'],
  },
  {
    name: 'a label with dots is quoted in the path',
    desired: { ...deployment, metadata: { ...deployment.metadata, labels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' } } },
    live: () => applied(deployment),
    synced: false,
    paths: ['.metadata.labels["app.kubernetes.io/part-of"]'],
  },
  {
    name: 'ignoreDifferences JSON pointer',
    desired: deployment,
    live: () => updated(applied(deployment), 'kubectl', (o) => ((o.spec as Record<string, unknown>).replicas = 5)),
    opts: ignore({ jsonPointers: ['/spec/replicas'] }),
    synced: true,
  },
  {
    name: 'ignoreDifferences jq path over every container',
    desired: deployment,
    live: () => updated(applied(deployment), 'kubectl', (o) => (((o.spec as any).template.spec.containers[0].image = 'nginx:1.26'))),
    opts: ignore({ jqPathExpressions: ['.spec.template.spec.containers[].image'] }),
    synced: true,
  },
  {
    name: 'ignoreDifferences managedFieldsManagers',
    desired: deployment,
    live: () => updated(applied(deployment), 'rollouts-controller', (o) => ((o.spec as Record<string, unknown>).replicas = 9)),
    opts: ignore({ managedFieldsManagers: ['rollouts-controller'] }),
    synced: true,
  },
  {
    name: 'ignoreDifferences for another kind does not apply',
    desired: deployment,
    live: () => updated(applied(deployment), 'kubectl', (o) => ((o.spec as Record<string, unknown>).replicas = 5)),
    opts: { ignoreDifferences: [{ kind: 'StatefulSet', group: 'apps', jsonPointers: ['/spec/replicas'] }] },
    synced: false,
    paths: ['.spec.replicas'],
  },
  { name: 'Secret stringData matches stored data', desired: secret, live: () => storedSecret, synced: true },
  {
    name: 'Secret stringData differs from stored data',
    desired: { ...secret, stringData: { password: 'changed' } },
    live: () => storedSecret,
    synced: false,
    paths: ['.data.password'],
  },
  {
    name: 'the server dry-run result is used when given',
    desired: deployment,
    live: () => applied(deployment),
    opts: { predicted: { ...applied(deployment), spec: { ...(applied(deployment).spec as object), paused: true } } },
    synced: false,
    paths: ['.spec.paused'],
  },
  {
    name: 'unknown kind: manifest merged into live',
    desired: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 2 } },
    live: () => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', uid: 'x' }, spec: { size: 3, defaulted: true }, status: { ok: true } }),
    synced: false,
    paths: ['.spec.size'],
  },
];

describe('diff', () => {
  it.each(cases)('$name', ({ desired, live, opts, synced, paths }) => {
    const result = diff(desired, live(), opts);
    expect(result.fields.map((f) => f.path)).toEqual(paths ?? []);
    expect(result.synced).toBe(synced);
    expect(result.text === '').toBe(synced);
  });

  it('reports the live and desired values and a unified YAML diff', () => {
    const live = updated(applied(deployment), 'kubectl', (o) => ((o.spec as Record<string, unknown>).replicas = 5));
    const result = diff(deployment, live);
    expect(result.fields).toEqual([{ path: '.spec.replicas', live: 5, desired: 3 }]);
    expect(result.text).toContain('--- live\n+++ desired\n');
    expect(result.text).toContain('-  replicas: 5\n+  replicas: 3\n');
  });

  it('rejects a jq expression it cannot honour rather than ignoring nothing', () => {
    expect(() => diff(deployment, applied(deployment), ignore({ jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "web")'] }))).toThrow(/not supported/);
  });
});

describe('every seed manifest, applied and read back with defaults, is Synced with no noise', () => {
  const dir = SEED_MANIFESTS;
  const objects = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => [f, d.toJSON() as KubeObject] as const));
  it.each(objects)('%s', (_file, obj) => {
    if (typeOf(obj).namespaced) obj.metadata!.namespace = 'default';
    const result = diff(obj, applied(obj));
    expect(result.fields).toEqual([]);
    expect(result.synced).toBe(true);
  });
});
