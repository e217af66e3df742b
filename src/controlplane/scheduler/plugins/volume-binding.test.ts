import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { describe, expect, it } from 'vitest';
import { makeNode, makePod, makeSnapshot, runFilter } from '../testing.js';
import type { VolumeLister } from '../types.js';
import { claimsToSelect, volumeBinding } from './volume-binding.js';

const classes: Record<string, StorageClass> = {
  standard: { metadata: { name: 'standard' }, provisioner: 'berth.dev/local', volumeBindingMode: 'WaitForFirstConsumer' },
  manual: { metadata: { name: 'manual' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' },
  now: { metadata: { name: 'now' }, provisioner: 'berth.dev/local', volumeBindingMode: 'Immediate' },
};

function claim(name: string, o: { cls?: string; volume?: string } = {}): PersistentVolumeClaim {
  return { metadata: { name, namespace: 'default' }, spec: { storageClassName: o.cls, volumeName: o.volume, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
}

function localPV(name: string, node: string, cls = 'manual'): PersistentVolume {
  return {
    metadata: { name },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: cls, local: { path: `/mnt/${name}` }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } },
    status: { phase: 'Available' },
  };
}

const claims = [claim('bound-a', { volume: 'pv-a' }), claim('wffc', { cls: 'standard' }), claim('static', { cls: 'manual' }), claim('immediate', { cls: 'now' })];
const volumes = [{ ...localPV('pv-a', 'a'), status: { phase: 'Bound' as const } }, localPV('free-b', 'b')];
volumes[0].spec!.claimRef = { namespace: 'default', name: 'bound-a' };
const lister: VolumeLister = {
  claim: (_ns, name) => claims.find((c) => c.metadata?.name === name),
  volume: (name) => volumes.find((v) => v.metadata?.name === name),
  volumes: () => volumes,
  storageClass: (name) => classes[name],
};

const withRoot = (name: string) => {
  const n = makeNode({ name });
  n.metadata!.annotations = { 'berth.dev/local-volume-root': `/data/${name}` };
  return n;
};

const podWith = (...names: string[]) => makePod({ spec: { containers: [], volumes: names.map((n) => ({ name: n, persistentVolumeClaim: { claimName: n } })) } });

describe('VolumeBinding', () => {
  const snap = { ...makeSnapshot([withRoot('a'), withRoot('b'), makeNode({ name: 'sim' })]), volumes: lister };
  it.each([
    ['no claims: every node', podWith(), { a: 'ok', b: 'ok', sim: 'ok' }],
    ['a bound local volume: only its node', podWith('bound-a'), { a: 'ok', b: 'node(s) had volume node affinity conflict', sim: 'node(s) had volume node affinity conflict' }],
    ['WaitForFirstConsumer, local provisioner: nodes with a local root', podWith('wffc'), { a: 'ok', b: 'ok', sim: "node(s) didn't find available persistent volumes to bind" }],
    ['WaitForFirstConsumer, static volumes: where a matching one is', podWith('static'), { a: "node(s) didn't find available persistent volumes to bind", b: 'ok', sim: "node(s) didn't find available persistent volumes to bind" }],
    ['both: the intersection', podWith('bound-a', 'static'), { a: "node(s) didn't find available persistent volumes to bind", b: 'node(s) had volume node affinity conflict', sim: 'node(s) had volume node affinity conflict' }],
    ['an unbound Immediate claim: nowhere yet', podWith('immediate'), { a: 'pod has unbound immediate PersistentVolumeClaims', b: 'pod has unbound immediate PersistentVolumeClaims', sim: 'pod has unbound immediate PersistentVolumeClaims' }],
    ['a missing claim: nowhere', podWith('nope'), { a: 'persistentvolumeclaim "nope" not found', b: 'persistentvolumeclaim "nope" not found', sim: 'persistentvolumeclaim "nope" not found' }],
  ])('%s', (_name, pod, want) => {
    expect(runFilter(volumeBinding(), pod, snap)).toEqual(want);
  });

  it('claimsToSelect lists the unbound WaitForFirstConsumer claims only', () => {
    expect(claimsToSelect(podWith('bound-a', 'wffc', 'static'), lister).map((c) => c.metadata?.name)).toEqual(['wffc', 'static']);
    expect(claimsToSelect(podWith('immediate'), lister)).toEqual([]);
    expect(claimsToSelect(podWith('wffc'), undefined)).toEqual([]);
  });
});
