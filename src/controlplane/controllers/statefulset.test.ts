import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { REVISION_HASH_LABEL } from './controller-revision.js';
import { decideStatefulSet, newStatefulPod, POD_INDEX_LABEL, POD_NAME_LABEL, type StatefulSetRevision } from './statefulset.js';

const NOW = Date.parse('2025-01-01T01:00:00Z');
const R1: StatefulSetRevision = { name: 'web-r1', template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v1' }] } } };
const R2: StatefulSetRevision = { name: 'web-r2', template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v2' }] } } };

interface StsOpts {
  replicas?: number;
  parallel?: boolean;
  onDelete?: boolean;
  partition?: number;
  claims?: boolean;
  whenScaled?: 'Retain' | 'Delete';
  whenDeleted?: 'Retain' | 'Delete';
}

function sts(o: StsOpts = {}): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', uid: 'sts-uid', generation: 3 },
    spec: {
      replicas: o.replicas ?? 3,
      serviceName: 'nginx',
      selector: { matchLabels: { app: 'web' } },
      podManagementPolicy: o.parallel ? 'Parallel' : 'OrderedReady',
      updateStrategy: o.onDelete ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { partition: o.partition ?? 0 } },
      template: R2.template!,
      volumeClaimTemplates: o.claims === false ? [] : [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      persistentVolumeClaimRetentionPolicy: { whenDeleted: o.whenDeleted ?? 'Retain', whenScaled: o.whenScaled ?? 'Retain' },
    },
  };
}

function pod(ordinal: number, o: { rev?: string; state?: 'ready' | 'pending' | 'failed' | 'terminating' } = {}): Pod {
  const state = o.state ?? 'ready';
  return {
    metadata: { name: `web-${ordinal}`, uid: `pod-uid-${ordinal}`, labels: { app: 'web', [REVISION_HASH_LABEL]: o.rev ?? 'web-r2' }, ...(state === 'terminating' ? { deletionTimestamp: '2025-01-01T00:59:00Z' } : {}) },
    spec: { containers: [] },
    status: { phase: state === 'failed' ? 'Failed' : state === 'pending' ? 'Pending' : 'Running', conditions: [{ type: 'Ready', status: state === 'ready' || state === 'terminating' ? 'True' : 'False' }] },
  };
}

function claim(ordinal: number): PersistentVolumeClaim {
  return { metadata: { name: `www-web-${ordinal}` }, spec: {} };
}

const claimsFor = (...ords: number[]) => ords.map((o) => claim(o));

describe('decideStatefulSet', () => {
  const cases: {
    name: string;
    sts: StatefulSet;
    pods?: Pod[];
    claims?: PersistentVolumeClaim[];
    current?: StatefulSetRevision;
    createClaims?: string[];
    create?: string[];
    delete?: string[];
    status?: Record<string, unknown>;
  }[] = [
    { name: 'OrderedReady: ordinal 0 first, with its claim', sts: sts(), createClaims: ['www-web-0'], create: ['web-0'] },
    { name: 'OrderedReady: waits while web-0 is not Ready', sts: sts(), pods: [pod(0, { state: 'pending' })], claims: claimsFor(0), create: [] },
    { name: 'OrderedReady: the next ordinal once the previous is Running and Ready', sts: sts(), pods: [pod(0)], claims: claimsFor(0), createClaims: ['www-web-1'], create: ['web-1'] },
    { name: 'Parallel: all at once', sts: sts({ parallel: true }), createClaims: ['www-web-0', 'www-web-1', 'www-web-2'], create: ['web-0', 'web-1', 'web-2'] },
    { name: 'a deleted pod comes back with its existing claim', sts: sts(), pods: [pod(1), pod(2)], claims: claimsFor(0, 1, 2), createClaims: [], create: ['web-0'] },
    {
      name: 'scale down: highest ordinal first, one at a time; claims stay',
      sts: sts({ replicas: 1 }),
      pods: [pod(0), pod(1), pod(2)],
      claims: claimsFor(0, 1, 2),
      delete: ['web-2'],
      status: { replicas: 3, readyReplicas: 3 },
    },
    { name: 'scale down waits for the terminating pod', sts: sts({ replicas: 1 }), pods: [pod(0), pod(1), pod(2, { state: 'terminating' })], claims: claimsFor(0, 1, 2), delete: [] },
    { name: 'scale down waits for unhealthy pods below', sts: sts({ replicas: 1 }), pods: [pod(0, { state: 'pending' }), pod(1), pod(2)], claims: claimsFor(0, 1, 2), delete: [] },
    { name: 'Parallel scale down removes all condemned at once', sts: sts({ replicas: 1, parallel: true }), pods: [pod(0), pod(1), pod(2)], claims: claimsFor(0, 1, 2), delete: ['web-2', 'web-1'] },
    { name: 'a failed pod is recreated', sts: sts(), pods: [pod(0, { state: 'failed' })], claims: claimsFor(0), delete: ['web-0'] },
    {
      name: 'rolling update starts at the highest ordinal',
      sts: sts(),
      current: R1,
      pods: [pod(0, { rev: 'web-r1' }), pod(1, { rev: 'web-r1' }), pod(2, { rev: 'web-r1' })],
      claims: claimsFor(0, 1, 2),
      delete: ['web-2'],
      status: { currentReplicas: 3, updatedReplicas: 0, currentRevision: 'web-r1', updateRevision: 'web-r2' },
    },
    {
      name: 'rolling update: the next lower once the updated one is healthy',
      sts: sts(),
      current: R1,
      pods: [pod(0, { rev: 'web-r1' }), pod(1, { rev: 'web-r1' }), pod(2)],
      claims: claimsFor(0, 1, 2),
      delete: ['web-1'],
    },
    {
      name: 'rolling update honours the partition',
      sts: sts({ partition: 2 }),
      current: R1,
      pods: [pod(0, { rev: 'web-r1' }), pod(1, { rev: 'web-r1' }), pod(2)],
      claims: claimsFor(0, 1, 2),
      delete: [],
    },
    { name: 'OnDelete never deletes for an update', sts: sts({ onDelete: true }), current: R1, pods: [pod(0, { rev: 'web-r1' }), pod(1, { rev: 'web-r1' }), pod(2, { rev: 'web-r1' })], claims: claimsFor(0, 1, 2), delete: [] },
    {
      name: 'a finished rollout makes the update revision current',
      sts: sts(),
      current: R1,
      pods: [pod(0), pod(1), pod(2)],
      claims: claimsFor(0, 1, 2),
      status: { currentRevision: 'web-r2', currentReplicas: 3, updatedReplicas: 3, replicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 3 },
    },
  ];
  it.each(cases)('$name', (c) => {
    const d = decideStatefulSet({ sts: c.sts, pods: c.pods ?? [], claims: c.claims ?? [], currentRevision: c.current ?? R2, updateRevision: R2, collisionCount: 0, now: NOW });
    expect(d.createClaims.map((x) => x.metadata?.name)).toEqual(c.createClaims ?? []);
    expect(d.create.map((x) => x.metadata?.name)).toEqual(c.create ?? []);
    expect(d.delete).toEqual(c.delete ?? []);
    if (c.status) expect(d.status).toMatchObject(c.status);
  });

  it('pods below the partition are created at the current revision', () => {
    const d = decideStatefulSet({ sts: sts({ partition: 2, parallel: true }), pods: [], claims: [], currentRevision: R1, updateRevision: R2, collisionCount: 0, now: NOW });
    expect(d.create.map((p) => p.metadata?.labels?.[REVISION_HASH_LABEL])).toEqual(['web-r1', 'web-r1', 'web-r2']);
    expect(d.create[0].spec?.containers[0].image).toBe('v1');
  });

  it.each([
    { name: 'Retain: no owner references', opts: {}, replicas: 3, want: [] },
    { name: 'whenDeleted Delete: the set owns every claim', opts: { whenDeleted: 'Delete' as const }, replicas: 3, want: ['www-web-0:sts-uid', 'www-web-1:sts-uid', 'www-web-2:sts-uid'] },
    { name: 'whenScaled Delete: a condemned pod owns its claim', opts: { whenScaled: 'Delete' as const }, replicas: 2, want: ['www-web-2:pod-uid-2'] },
  ])('retention policy: $name', (c) => {
    const d = decideStatefulSet({ sts: sts({ ...c.opts, replicas: c.replicas }), pods: [pod(0), pod(1), pod(2)], claims: claimsFor(0, 1, 2), currentRevision: R2, updateRevision: R2, collisionCount: 0, now: NOW });
    expect(d.updateClaims.flatMap((u) => u.ownerReferences.map((r) => `${u.name}:${r.uid}`))).toEqual(c.want);
  });

  it('the pod: stable name, hostname, subdomain, identity labels, claim volumes, controller reference', () => {
    const p = newStatefulPod(sts(), 4, R2);
    expect(p.metadata).toMatchObject({
      name: 'web-4',
      labels: { app: 'web', [POD_NAME_LABEL]: 'web-4', [POD_INDEX_LABEL]: '4', [REVISION_HASH_LABEL]: 'web-r2' },
      ownerReferences: [{ kind: 'StatefulSet', name: 'web', uid: 'sts-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(p.spec).toMatchObject({ hostname: 'web-4', subdomain: 'nginx', volumes: [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-4' } }] });
  });
});
