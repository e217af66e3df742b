import { describe, expect, it } from 'vitest';
import type { KubeObject, ManagedFieldsEntry } from '../../resources/types.js';
import { configMapSchema, deploymentSchema } from '../patch/testdata/schemas.js';
import { updateManagedFields, type UpdateManagedFieldsInput } from './managed-fields.js';

const T0 = '2026-11-22T03:47:00Z';
const T1 = '2026-11-22T03:48:00Z';

function configMap(data: Record<string, string>, managedFields?: ManagedFieldsEntry[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'test-cm',
      namespace: 'default',
      uid: '6d3c',
      resourceVersion: '12',
      creationTimestamp: T0,
      labels: { 'test-label': 'test' },
      ...(managedFields ? { managedFields } : {}),
    },
    data,
  };
}

function update(input: Partial<UpdateManagedFieldsInput> & Pick<UpdateManagedFieldsInput, 'old' | 'next'>): ManagedFieldsEntry[] {
  return updateManagedFields({ manager: 'kubectl', operation: 'Update', schema: configMapSchema, apiVersion: 'v1', now: T0, ...input });
}

describe('updateManagedFields', () => {
  it('gives the creator every field it set, none the server owns', () => {
    expect(update({ old: undefined, next: configMap({ key: 'some value' }), manager: 'kubectl-create' })).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { '.': {}, 'f:key': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:test-label': {} } } },
      },
    ]);
  });

  it('moves a changed field to the updater (the server-side apply docs, multiple managers)', () => {
    const applied: ManagedFieldsEntry = {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'v1',
      time: T0,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { 'f:test-label': {} } }, 'f:data': { 'f:key': {} } },
    };
    const old = configMap({ key: 'some value' }, [applied]);
    const next = configMap({ key: 'new value' }, [applied]);
    expect(update({ old, next, manager: 'kube-controller-manager', now: T1 })).toEqual([
      { ...applied, fieldsV1: { 'f:metadata': { 'f:labels': { 'f:test-label': {} } } } },
      { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', time: T1, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:key': {} } } },
    ]);
  });

  it('leaves the objects it compares as they were', () => {
    const entries = update({ old: undefined, next: configMap({ a: '1' }) });
    const old = configMap({ a: '1' }, entries);
    const next = configMap({ a: '2' }, entries);
    const [oldCopy, nextCopy] = [structuredClone(old), structuredClone(next)];
    update({ old, next, manager: 'other', now: T1 });
    expect([old, next]).toEqual([oldCopy, nextCopy]);
  });

  it('leaves everything as it was when nothing changes', () => {
    const entries = update({ old: undefined, next: configMap({ a: '1' }) });
    const old = configMap({ a: '1' }, entries);
    const next = { ...configMap({ a: '1' }, entries), metadata: { ...old.metadata, resourceVersion: '13' } };
    expect(update({ old, next, manager: 'other', now: T1 })).toEqual(entries);
  });

  it('merges later updates of one manager and version, keeps other versions apart, drops emptied managers', () => {
    const first = update({ old: undefined, next: configMap({ a: '1' }), manager: 'ctl' });
    const second = update({ old: configMap({ a: '1' }, first), next: configMap({ a: '1', b: '2' }, first), manager: 'ctl', now: T1 });
    expect(second).toHaveLength(1);
    expect(second[0].time).toBe(T1);
    expect(second[0].fieldsV1).toEqual({ 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:test-label': {} } } });

    const third = update({ old: configMap({ a: '1', b: '2' }, second), next: configMap({ a: '1', b: '3' }, second), manager: 'ctl', apiVersion: 'v2', now: T1 });
    expect(third.map((e) => [e.manager, e.apiVersion, e.fieldsV1])).toEqual([
      ['ctl', 'v1', { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:test-label': {} } } }],
      ['ctl', 'v2', { 'f:data': { 'f:b': {} } }],
    ]);

    // ctl keeps the maps it added; its v2 entry, which owned only data.b, drops out.
    const taken = update({ old: configMap({ a: '1', b: '3' }, third), next: configMap({ a: '2', b: '4' }, third), manager: 'other', now: T1 });
    expect(taken.map((e) => [e.manager, e.apiVersion, e.fieldsV1])).toEqual([
      ['ctl', 'v1', { 'f:data': {}, 'f:metadata': { 'f:labels': { '.': {}, 'f:test-label': {} } } }],
      ['other', 'v1', { 'f:data': { 'f:a': {}, 'f:b': {} } }],
    ]);
  });

  it('removes deleted fields from their owner', () => {
    const first = update({ old: undefined, next: configMap({ a: '1', b: '2' }) });
    const after = update({ old: configMap({ a: '1', b: '2' }, first), next: configMap({ a: '1' }, first), manager: 'other', now: T1 });
    expect(after).toHaveLength(1);
    expect(after[0].fieldsV1).toEqual({ 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:test-label': {} } } });
  });

  it('starts from managedFields the client sent, resets on [{}], ignores []', () => {
    const stored = update({ old: undefined, next: configMap({ a: '1' }), manager: 'creator' });
    const edited: ManagedFieldsEntry[] = [{ ...stored[0], manager: 'renamed' }];
    expect(update({ old: configMap({ a: '1' }, stored), next: configMap({ a: '1' }, edited) })[0].manager).toBe('renamed');
    expect(update({ old: configMap({ a: '1' }, stored), next: configMap({ a: '2' }, [{}]), manager: 'x' })).toEqual([
      { manager: 'x', operation: 'Update', apiVersion: 'v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } },
    ]);
    expect(update({ old: configMap({ a: '1' }, stored), next: configMap({ a: '1' }, []) })).toEqual(stored);
  });

  it('counts status only through the status subresource', () => {
    const deployment = (replicas: number, ready: number): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas },
      status: { readyReplicas: ready },
    });
    const base = { schema: deploymentSchema, apiVersion: 'apps/v1' };
    expect(update({ ...base, old: deployment(1, 0), next: deployment(2, 1), manager: 'ctl' }).map((e) => e.fieldsV1)).toEqual([{ 'f:spec': { 'f:replicas': {} } }]);
    expect(update({ ...base, old: deployment(1, 0), next: deployment(2, 1), manager: 'kcm', subresource: 'status' })).toEqual([
      { manager: 'kcm', operation: 'Update', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:readyReplicas': {} } }, subresource: 'status' },
    ]);
  });
});
