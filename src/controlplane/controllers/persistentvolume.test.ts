import type { Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { describe, expect, it } from 'vitest';
import { bestVolumeForClaim, defaultClass, pickProvisioningNode, provisionVolume, volumeNodeName, volumePhase, volumeFitsNode } from './persistentvolume.js';

function pv(name: string, o: { size?: string; modes?: string[]; cls?: string; labels?: Record<string, string>; node?: string; claim?: { name: string; uid?: string }; phase?: string } = {}): PersistentVolume {
  return {
    metadata: { name, labels: o.labels },
    spec: {
      capacity: { storage: o.size ?? '1Gi' },
      accessModes: (o.modes ?? ['ReadWriteOnce']) as never,
      storageClassName: o.cls,
      hostPath: { path: `/v/${name}` },
      claimRef: o.claim && { namespace: 'ns', name: o.claim.name, uid: o.claim.uid },
      nodeAffinity: o.node ? { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [o.node] }] }] } } : undefined,
    },
    status: { phase: (o.phase ?? 'Available') as never },
  };
}

function pvc(o: { size?: string; modes?: string[]; cls?: string; selector?: Record<string, string> } = {}): PersistentVolumeClaim {
  return {
    metadata: { name: 'data', namespace: 'ns', uid: 'u1' },
    spec: { accessModes: (o.modes ?? ['ReadWriteOnce']) as never, resources: { requests: { storage: o.size ?? '1Gi' } }, storageClassName: o.cls, selector: o.selector && { matchLabels: o.selector } },
  };
}

const node = (name: string) => ({ name, labels: { 'kubernetes.io/hostname': name } });

describe('bestVolumeForClaim', () => {
  it.each([
    ['the smallest volume that is big enough', [pv('big', { size: '10Gi' }), pv('small', { size: '500Mi' }), pv('fit', { size: '2Gi' })], pvc({ size: '1Gi' }), undefined, 'fit'],
    ['no volume big enough', [pv('small', { size: '500Mi' })], pvc({ size: '1Gi' }), undefined, undefined],
    ['access modes must all be offered', [pv('rwo'), pv('rwx', { modes: ['ReadWriteOnce', 'ReadWriteMany'], size: '5Gi' })], pvc({ modes: ['ReadWriteMany'] }), undefined, 'rwx'],
    ['storage class must match ("" only classless volumes)', [pv('fast', { cls: 'fast' }), pv('none')], pvc({}), undefined, 'none'],
    ['a named class', [pv('fast', { cls: 'fast' }), pv('none')], pvc({ cls: 'fast' }), undefined, 'fast'],
    ['selector on volume labels', [pv('a', { labels: { tier: 'a' } }), pv('b', { labels: { tier: 'b' } })], pvc({ selector: { tier: 'b' } }), undefined, 'b'],
    ['a volume claimed by another claim is skipped', [pv('taken', { claim: { name: 'other', uid: 'u2' }, phase: 'Bound' })], pvc(), undefined, undefined],
    ['a volume pre-bound to this claim wins over a better fit', [pv('fit'), pv('mine', { size: '5Gi', claim: { name: 'data' }, phase: 'Available' })], pvc(), undefined, 'mine'],
    ['a released volume is not reused', [pv('old', { phase: 'Released' })], pvc(), undefined, undefined],
    ['the selected node: only volumes that fit it', [pv('on-a', { node: 'a' }), pv('on-b', { node: 'b' })], pvc(), node('b'), 'on-b'],
  ])('%s', (_name, volumes, claim, n, want) => {
    expect(bestVolumeForClaim(claim, volumes, n)?.metadata?.name).toBe(want);
  });
});

describe('volumePhase', () => {
  const claim = { metadata: { name: 'data', namespace: 'ns', uid: 'u1' }, spec: { volumeName: 'v' } };
  it.each([
    ['no claimRef: Available', pv('v'), undefined, 'Available'],
    ['pre-bound by name only: Available', pv('v', { claim: { name: 'data' } }), undefined, 'Available'],
    ['bound to a claim that exists: Bound', pv('v', { claim: { name: 'data', uid: 'u1' } }), claim, 'Bound'],
    ['its claim was deleted: Released', pv('v', { claim: { name: 'data', uid: 'u1' } }), undefined, 'Released'],
    ['a new claim of the same name is another claim: Released', pv('v', { claim: { name: 'data', uid: 'u0' } }), claim, 'Released'],
  ])('%s', (_name, volume, c, want) => {
    expect(volumePhase(volume, c)).toBe(want);
  });
});

describe('provisionVolume', () => {
  const sc: StorageClass = { metadata: { name: 'standard' }, provisioner: 'berth.dev/local', reclaimPolicy: 'Retain' };
  it('makes a pre-bound hostPath volume under the node root, pinned to the node', () => {
    const v = provisionVolume({ ...pvc({ size: '3Gi' }), metadata: { name: 'data', namespace: 'ns', uid: 'u1', resourceVersion: '7' } }, sc, 'node-2', '/d/volumes/');
    expect(v.metadata?.name).toBe('pvc-u1');
    expect(v.metadata?.finalizers).toEqual(['berth.dev/local-volume-cleanup']);
    expect(v.spec).toMatchObject({ capacity: { storage: '3Gi' }, persistentVolumeReclaimPolicy: 'Retain', storageClassName: 'standard', claimRef: { namespace: 'ns', name: 'data', uid: 'u1' }, hostPath: { path: '/d/volumes/pvc-u1_ns_data', type: 'DirectoryOrCreate' } });
    expect(volumeNodeName(v)).toBe('node-2');
    expect(volumeFitsNode(v, node('node-2'))).toBe(true);
    expect(volumeFitsNode(v, node('node-1'))).toBe(false);
  });
});

describe('defaultClass', () => {
  const sc = (name: string, created: string, isDefault: boolean): StorageClass => ({ metadata: { name, creationTimestamp: created, annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} }, provisioner: 'x' });
  it.each([
    ['none marked', [sc('a', '2024-01-01T00:00:00Z', false)], undefined],
    ['the marked one', [sc('a', '2024-01-01T00:00:00Z', false), sc('b', '2023-01-01T00:00:00Z', true)], 'b'],
    ['the newest of several marked', [sc('old', '2023-01-01T00:00:00Z', true), sc('new', '2024-01-01T00:00:00Z', true)], 'new'],
  ])('%s', (_name, classes, want) => {
    expect(defaultClass(classes)?.metadata?.name).toBe(want);
  });
});

describe('pickProvisioningNode', () => {
  const n = (name: string, o: { ready?: boolean; root?: boolean; cordoned?: boolean } = {}): Node => ({
    metadata: { name, annotations: o.root === false ? {} : { 'berth.dev/local-volume-root': `/r/${name}` } },
    spec: { unschedulable: o.cordoned },
    status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  });
  it.each([
    ['the node with the fewest local volumes', [n('a'), n('b')], [pv('1', { node: 'a' })], 'b'],
    ['ties go by name', [n('b'), n('a')], [], 'a'],
    ['not NotReady, cordoned, or without a local root', [n('a', { ready: false }), n('b', { cordoned: true }), n('c', { root: false }), n('d')], [], 'd'],
    ['none fit', [n('a', { ready: false })], [], undefined],
  ])('%s', (_name, nodes, volumes, want) => {
    expect(pickProvisioningNode(nodes, volumes)?.metadata?.name).toBe(want);
  });
});
