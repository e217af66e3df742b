import { describe, expect, it } from 'vitest';
import { statusErrorOf } from '../testing.js';
import type { KubeObject, ManagedFieldsEntry } from '../../resources/types.js';
import type { JsonObject } from '../patch/json-value.js';
import { configMapSchema, deploymentSchema } from '../patch/testdata/schemas.js';
import { serverSideApply } from './apply.js';
import { updateManagedFields } from './managed-fields.js';

const T0 = '2026-11-22T03:47:00Z';
const T1 = '2026-11-22T03:48:00Z';
const T2 = '2026-11-22T03:49:00Z';

interface Options {
  replicas?: number;
  image?: string;
  labels?: Record<string, string>;
  containers?: JsonObject[];
  spec?: JsonObject;
}

/** What `kubectl apply --server-side` sends for a small nginx Deployment. */
function config(o: Options = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default', labels: o.labels ?? { app: 'nginx' } },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: 'nginx' } },
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: { containers: o.containers ?? [{ name: 'nginx', image: o.image ?? 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
      },
      ...o.spec,
    },
  };
}

/** A partial configuration, as a second applier would send. */
function partial(spec: JsonObject, metadata: JsonObject = {}): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nginx', namespace: 'default', ...metadata }, spec };
}

/** What the API layer does after the apply: server metadata and defaults nobody applied. */
function stored(obj: KubeObject): KubeObject {
  const out = structuredClone(obj);
  Object.assign(out.metadata!, { uid: 'u-1', resourceVersion: '7', generation: 1, creationTimestamp: T0 });
  const spec = out.spec as JsonObject;
  spec.revisionHistoryLimit ??= 10;
  spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  const podSpec = (spec.template as JsonObject).spec as JsonObject;
  for (const c of podSpec.containers as JsonObject[]) {
    c.imagePullPolicy ??= 'IfNotPresent';
    for (const p of (c.ports as JsonObject[] | undefined) ?? []) p.protocol ??= 'TCP';
  }
  return out;
}

function apply(live: KubeObject | undefined, cfg: KubeObject, manager = 'kubectl', force = false, now = T0, subresource?: string) {
  return serverSideApply({ live, config: cfg, manager, force, schema: deploymentSchema, apiVersion: 'apps/v1', now, subresource });
}

/** An Update by `manager` (kubectl scale, edit, a controller) changing `edit` on top of `live`. */
function updated(live: KubeObject, manager: string, edit: (spec: JsonObject) => void, now = T1): KubeObject {
  const next = structuredClone(live);
  edit(next.spec as JsonObject);
  next.metadata!.managedFields = updateManagedFields({ old: live, next, manager, operation: 'Update', schema: deploymentSchema, apiVersion: 'apps/v1', now });
  return next;
}

function owners(mf: ManagedFieldsEntry[]): string[] {
  return mf.map((e) => `${e.manager}/${e.operation}`);
}

const spec = (o: KubeObject): JsonObject => o.spec as JsonObject;
const podSpec = (o: KubeObject): JsonObject => (spec(o).template as JsonObject).spec as JsonObject;

describe('serverSideApply', () => {
  it('creates the object and owns exactly what it applied', () => {
    const { object, managedFields } = apply(undefined, config());
    expect(managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': {
                'f:containers': {
                  'k:{"name":"nginx"}': {
                    '.': {},
                    'f:image': {},
                    'f:name': {},
                    'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                  },
                },
              },
            },
          },
        },
      },
    ]);
    expect(object).toEqual({ ...config(), metadata: { ...config().metadata, managedFields } });
  });

  it('writes the entry of the server-side apply docs example', () => {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'test-cm', namespace: 'default', labels: { 'test-label': 'test' } },
      data: { key: 'some value' },
    };
    const { managedFields } = serverSideApply({ live: undefined, config: cm, manager: 'kubectl', force: false, schema: configMapSchema, apiVersion: 'v1', now: T0 });
    // kubernetes.io/docs/reference/using-api/server-side-apply, "Field management".
    expect(managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:test-label': {} } }, 'f:data': { 'f:key': {} } },
      },
    ]);
  });

  it('re-applying the same configuration changes nothing, managedFields included', () => {
    const live = stored(apply(undefined, config()).object);
    const again = apply(live, config(), 'kubectl', false, T1);
    expect(again.object).toStrictEqual(live);
    expect(again.managedFields).toStrictEqual(live.metadata!.managedFields);
    expect(podSpec(again.object).containers).toEqual([
      { name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], imagePullPolicy: 'IfNotPresent' },
    ]);
  });

  it('changes a value it owns and moves the time', () => {
    const live = stored(apply(undefined, config()).object);
    const { object, managedFields } = apply(live, config({ image: 'nginx:1.26' }), 'kubectl', false, T1);
    expect((podSpec(object).containers as JsonObject[])[0].image).toBe('nginx:1.26');
    expect(managedFields[0].time).toBe(T1);
    expect(spec(object).revisionHistoryLimit).toBe(10);
  });

  it('refuses to change a field another manager owns: 409 with the cause kubectl prints', () => {
    const live = updated(stored(apply(undefined, config()).object), 'kubectl-client-side-apply', (s) => (s.replicas = 5));
    const err = statusErrorOf(() => apply(live, config(), 'kubectl', false, T2));
    expect(err.code).toBe(409);
    expect(err.reason).toBe('Conflict');
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    expect(err.details?.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' },
    ]);
  });

  it('names an applier without its version', () => {
    const live = stored(apply(undefined, config()).object);
    const err = statusErrorOf(() => apply(live, partial({ replicas: 4 }), 'argocd', false, T1));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
  });

  it('with force, takes the field: the value changes and ownership moves', () => {
    const live = updated(stored(apply(undefined, config()).object), 'kubectl-client-side-apply', (s) => (s.replicas = 5));
    expect(owners(live.metadata!.managedFields!)).toEqual(['kubectl/Apply', 'kubectl-client-side-apply/Update']);
    const { object, managedFields } = apply(live, config(), 'kubectl', true, T2);
    expect(spec(object).replicas).toBe(3);
    expect(owners(managedFields)).toEqual(['kubectl/Apply']);
    expect(managedFields[0].time).toBe(T2);
    expect((managedFields[0].fieldsV1!['f:spec'] as JsonObject)['f:replicas']).toEqual({});
  });

  it('lists several conflicts by manager', () => {
    let live = stored(apply(undefined, config()).object);
    live = updated(live, 'x', (s) => {
      s.replicas = 5;
      s.paused = true;
    });
    live = apply(live, partial({ minReadySeconds: 10 }), 'y', false, T1).object;
    const err = statusErrorOf(() => apply(live, config({ spec: { paused: false, minReadySeconds: 5 } }), 'kubectl', false, T2));
    expect(err.message).toBe(
      'Apply failed with 3 conflicts: conflicts with "x" using apps/v1:\n- .spec.paused\n- .spec.replicas\nconflicts with "y":\n- .spec.minReadySeconds',
    );
    expect(err.details?.causes?.map((c) => c.field)).toEqual(['.spec.paused', '.spec.replicas', '.spec.minReadySeconds']);
  });

  it('removes what it stopped applying: a label, a container, a field', () => {
    const sidecar = { name: 'sidecar', image: 'busybox' };
    const first = config({ labels: { app: 'nginx', tier: 'web' }, containers: [{ name: 'nginx', image: 'nginx:1.25' }, sidecar], spec: { paused: true } });
    const live = stored(apply(undefined, first).object);
    const { object } = apply(live, config({ containers: [{ name: 'nginx', image: 'nginx:1.25' }] }), 'kubectl', false, T1);
    expect(object.metadata!.labels).toEqual({ app: 'nginx' });
    expect((podSpec(object).containers as JsonObject[]).map((c) => c.name)).toEqual(['nginx']);
    expect(spec(object)).not.toHaveProperty('paused');
    expect(spec(object).strategy).toEqual(spec(live).strategy);
  });

  it('keeps what it stopped applying when another manager owns it too', () => {
    let live = stored(apply(undefined, config({ labels: { app: 'nginx', tier: 'web' } })).object);
    live = apply(live, partial({}, { labels: { tier: 'web' } }), 'other', false, T1).object;
    const { object, managedFields } = apply(live, config(), 'kubectl', false, T2);
    expect(object.metadata!.labels).toEqual({ app: 'nginx', tier: 'web' });
    const other = managedFields.find((e) => e.manager === 'other');
    expect(other?.fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { 'f:tier': {} } } });
    const kubectl = managedFields.find((e) => e.manager === 'kubectl');
    expect((kubectl?.fieldsV1!['f:metadata'] as JsonObject)['f:labels']).toEqual({ 'f:app': {} });
  });

  it('shares a field two appliers set to the same value; then either one changing it conflicts', () => {
    let live = stored(apply(undefined, config()).object);
    const shared = apply(live, partial({ replicas: 3 }), 'hpa-handover', false, T1);
    expect(shared.object).toEqual({ ...live, metadata: { ...live.metadata, managedFields: shared.managedFields } });
    // The apply changed nothing, so (as in Kubernetes) its entry has no time, which sorts it first.
    expect(owners(shared.managedFields)).toEqual(['hpa-handover/Apply', 'kubectl/Apply']);
    expect(shared.managedFields[0].time).toBeUndefined();
    live = shared.object;

    expect(statusErrorOf(() => apply(live, config({ replicas: 4 }), 'kubectl', false, T2)).message).toBe(
      'Apply failed with 1 conflict: conflict with "hpa-handover": .spec.replicas',
    );
    live = apply(live, partial({}), 'hpa-handover', false, T2).object;
    expect(owners(live.metadata!.managedFields!)).toEqual(['kubectl/Apply']);
    expect(spec(live).replicas).toBe(3);
    expect(spec(apply(live, config({ replicas: 4 }), 'kubectl', false, T2).object).replicas).toBe(4);
  });

  it('follows the configuration order and unions set items owned by different appliers', () => {
    const a = { name: 'a', image: 'x' };
    const b = { name: 'b', image: 'y' };
    let live = stored(apply(undefined, config({ containers: [a, b] })).object);
    live = apply(live, config({ containers: [b, a] }), 'kubectl', false, T1).object;
    expect((podSpec(live).containers as JsonObject[]).map((c) => c.name)).toEqual(['b', 'a']);

    live = apply(live, partial({}, { finalizers: ['example.com/one'] }), 'one', false, T1).object;
    live = apply(live, partial({}, { finalizers: ['example.com/two'] }), 'two', false, T1).object;
    expect(live.metadata!.finalizers).toEqual(['example.com/one', 'example.com/two']);
    const one = live.metadata!.managedFields!.find((e) => e.manager === 'one');
    expect(one?.fieldsV1).toEqual({ 'f:metadata': { 'f:finalizers': { 'v:"example.com/one"': {} } } });
    live = apply(live, partial({}), 'one', false, T2).object;
    expect(live.metadata!.finalizers).toEqual(['example.com/two']);
  });

  it('gives the fields of an object without managedFields to before-first-apply', () => {
    const live = stored(config());
    const err = statusErrorOf(() => apply(live, config({ replicas: 5 }), 'kubectl', false, T1));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
    const forced = apply(live, config({ replicas: 5 }), 'kubectl', true, T1);
    expect(owners(forced.managedFields)).toEqual(['kubectl/Apply', 'before-first-apply/Update']);
  });

  it('does not own status through the main resource, only through /status', () => {
    const withStatus = { ...config(), status: { replicas: 1 } };
    expect(apply(undefined, withStatus).managedFields[0].fieldsV1).not.toHaveProperty('f:status');
    const live = stored(apply(undefined, config()).object);
    const { managedFields } = apply(live, { ...partial({}), status: { readyReplicas: 2 } }, 'kcm', false, T1, 'status');
    expect(managedFields.find((e) => e.manager === 'kcm')).toEqual({
      manager: 'kcm',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:status': { 'f:readyReplicas': {} } },
      subresource: 'status',
    });
  });

  it.each([
    ['of another version', { ...config(), apiVersion: 'apps/v1beta1' }, 'Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1'],
    ['that sets managedFields', { ...config(), metadata: { name: 'nginx', managedFields: [] } }, 'metadata.managedFields must be nil'],
    [
      'with two items of one key',
      config({ containers: [{ name: 'nginx', image: 'a' }, { name: 'nginx', image: 'b' }] }),
      '.spec.template.spec.containers: duplicate entries for key [name="nginx"]',
    ],
  ])('rejects a configuration %s with 400', (_name, cfg, message) => {
    const err = statusErrorOf(() => apply(undefined, cfg as KubeObject));
    expect(err.code).toBe(400);
    expect(err.message).toBe(message);
  });
});
