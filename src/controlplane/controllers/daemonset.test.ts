import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { REVISION_HASH_LABEL } from './controller-revision.js';
import { daemonPodNode, decideDaemonSet, nodeShouldRunDaemonPod } from './daemonset.js';

const NOW = Date.parse('2025-01-01T00:10:00Z');

function node(name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node {
  return { metadata: { name, labels }, spec: { taints } };
}

function ds(over: { nodeSelector?: Record<string, string>; maxUnavailable?: number | string; maxSurge?: number | string; onDelete?: boolean; minReadySeconds?: number; tolerations?: Toleration[] } = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'mon', namespace: 'default', uid: 'ds-uid', generation: 2 },
    spec: {
      selector: { matchLabels: { app: 'mon' } },
      minReadySeconds: over.minReadySeconds,
      template: { metadata: { labels: { app: 'mon' } }, spec: { nodeSelector: over.nodeSelector, tolerations: over.tolerations, containers: [{ name: 'main', image: 'mon' }] } },
      updateStrategy: over.onDelete ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: over.maxUnavailable ?? 1, maxSurge: over.maxSurge ?? 0 } },
    },
  };
}

function pod(name: string, nodeName: string, hash: string, state: 'ready' | 'pending' | 'failed' | 'terminating' = 'ready', created = '2025-01-01T00:00:00Z'): Pod {
  return {
    metadata: { name, labels: { app: 'mon', [REVISION_HASH_LABEL]: hash }, creationTimestamp: created, ...(state === 'terminating' ? { deletionTimestamp: created } : {}) },
    spec: { nodeName, containers: [] },
    status: {
      phase: state === 'failed' ? 'Failed' : state === 'pending' ? 'Pending' : 'Running',
      conditions: [{ type: 'Ready', status: state === 'ready' ? 'True' : 'False', lastTransitionTime: '2025-01-01T00:09:50Z' }],
    },
  };
}

describe('nodeShouldRunDaemonPod', () => {
  const cases: { name: string; node: Node; ds?: DaemonSet; run: boolean; stay: boolean }[] = [
    { name: 'plain node', node: node('a'), run: true, stay: true },
    { name: 'nodeSelector matches', node: node('a', { disk: 'ssd' }), ds: ds({ nodeSelector: { disk: 'ssd' } }), run: true, stay: true },
    { name: 'nodeSelector does not match', node: node('a', { disk: 'hdd' }), ds: ds({ nodeSelector: { disk: 'ssd' } }), run: false, stay: false },
    { name: 'not-ready NoExecute is tolerated', node: node('a', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]), run: true, stay: true },
    { name: 'unreachable NoExecute is tolerated', node: node('a', {}, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]), run: true, stay: true },
    { name: 'unschedulable is tolerated', node: node('a', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]), run: true, stay: true },
    { name: 'disk pressure is tolerated', node: node('a', {}, [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }]), run: true, stay: true },
    { name: 'network-unavailable is not (without hostNetwork)', node: node('a', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), run: false, stay: true },
    { name: 'foreign NoSchedule keeps running pods', node: node('a', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]), run: false, stay: true },
    { name: 'foreign NoExecute evicts', node: node('a', {}, [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }]), run: false, stay: false },
    { name: 'tolerated foreign taint', node: node('a', {}, [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }]), ds: ds({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db' }] }), run: true, stay: true },
    { name: 'PreferNoSchedule is ignored', node: node('a', {}, [{ key: 'x', effect: 'PreferNoSchedule' }]), run: true, stay: true },
  ];
  it.each(cases)('$name', (c) => {
    expect(nodeShouldRunDaemonPod(c.ds ?? ds(), c.node)).toEqual({ shouldRun: c.run, shouldContinueRunning: c.stay });
  });
});

describe('decideDaemonSet', () => {
  const cases: {
    name: string;
    ds?: DaemonSet;
    nodes: Node[];
    pods?: Pod[];
    create: string[];
    delete: string[];
    status?: Record<string, number>;
  }[] = [
    { name: 'a pod per node', nodes: [node('a'), node('b')], create: ['a', 'b'], delete: [], status: { desiredNumberScheduled: 2, currentNumberScheduled: 0 } },
    {
      name: 'only nodes labelled disk=ssd',
      ds: ds({ nodeSelector: { disk: 'ssd' } }),
      nodes: [node('a', { disk: 'ssd' }), node('b'), node('c', { disk: 'ssd' })],
      create: ['a', 'c'],
      delete: [],
    },
    { name: 'a node that joins later gets a pod', nodes: [node('a'), node('b')], pods: [pod('p-a', 'a', 'h2')], create: ['b'], delete: [], status: { desiredNumberScheduled: 2, currentNumberScheduled: 1, numberReady: 1, numberAvailable: 1, updatedNumberScheduled: 1, numberUnavailable: 1 } },
    {
      name: 'a node that loses its label loses its pod (misscheduled)',
      ds: ds({ nodeSelector: { disk: 'ssd' } }),
      nodes: [node('a')],
      pods: [pod('p-a', 'a', 'h2')],
      create: [],
      delete: ['p-a'],
      status: { desiredNumberScheduled: 0, numberMisscheduled: 1 },
    },
    { name: 'pods of removed nodes go', nodes: [node('a')], pods: [pod('p-a', 'a', 'h2'), pod('p-x', 'x', 'h2')], create: [], delete: ['p-x'] },
    { name: 'a failed pod is replaced', nodes: [node('a')], pods: [pod('p-a', 'a', 'h2', 'failed')], create: ['a'], delete: ['p-a'] },
    { name: 'a terminating pod is left alone and replaced', nodes: [node('a')], pods: [pod('p-a', 'a', 'h2', 'terminating')], create: ['a'], delete: [] },
    {
      name: 'duplicates: the oldest stays',
      nodes: [node('a')],
      pods: [pod('p-new', 'a', 'h2', 'ready', '2025-01-01T00:05:00Z'), pod('p-old', 'a', 'h2', 'ready', '2025-01-01T00:01:00Z')],
      create: [],
      delete: ['p-new'],
    },
    {
      name: 'rolling update deletes maxUnavailable old pods at a time',
      nodes: [node('a'), node('b'), node('c')],
      pods: [pod('p-a', 'a', 'h1'), pod('p-b', 'b', 'h1'), pod('p-c', 'c', 'h1')],
      create: [],
      delete: ['p-a'],
      status: { updatedNumberScheduled: 0, numberAvailable: 3 },
    },
    {
      name: 'rolling update waits while a new pod is unavailable',
      nodes: [node('a'), node('b'), node('c')],
      pods: [pod('p-a', 'a', 'h2', 'pending'), pod('p-b', 'b', 'h1'), pod('p-c', 'c', 'h1')],
      create: [],
      delete: [],
      status: { updatedNumberScheduled: 1, numberAvailable: 2, numberUnavailable: 1 },
    },
    {
      name: 'rolling update counts a missing pod as unavailable',
      nodes: [node('a'), node('b')],
      pods: [pod('p-b', 'b', 'h1')],
      create: ['a'],
      delete: [],
    },
    {
      name: 'unavailable old pods are replaced regardless of the budget',
      ds: ds({ maxUnavailable: 1 }),
      nodes: [node('a'), node('b'), node('c')],
      pods: [pod('p-a', 'a', 'h1', 'pending'), pod('p-b', 'b', 'h1', 'pending'), pod('p-c', 'c', 'h1')],
      create: [],
      delete: ['p-a', 'p-b'],
    },
    {
      name: 'maxUnavailable as a percentage rounds up',
      ds: ds({ maxUnavailable: '50%' }),
      nodes: [node('a'), node('b'), node('c')],
      pods: [pod('p-a', 'a', 'h1'), pod('p-b', 'b', 'h1'), pod('p-c', 'c', 'h1')],
      create: [],
      delete: ['p-a', 'p-b'],
    },
    {
      name: 'maxSurge creates new pods beside available old ones',
      ds: ds({ maxUnavailable: 0, maxSurge: 1 }),
      nodes: [node('a'), node('b')],
      pods: [pod('p-a', 'a', 'h1'), pod('p-b', 'b', 'h1')],
      create: ['a'],
      delete: [],
    },
    {
      name: 'maxSurge deletes the old pod once the new one is available',
      ds: ds({ maxUnavailable: 0, maxSurge: 1 }),
      nodes: [node('a'), node('b')],
      pods: [pod('p-a', 'a', 'h1'), pod('p-a2', 'a', 'h2'), pod('p-b', 'b', 'h1')],
      create: ['b'],
      delete: ['p-a'],
    },
    { name: 'OnDelete never replaces old pods', ds: ds({ onDelete: true }), nodes: [node('a')], pods: [pod('p-a', 'a', 'h1')], create: [], delete: [] },
  ];
  it.each(cases)('$name', (c) => {
    const d = decideDaemonSet({ ds: c.ds ?? ds(), nodes: c.nodes, pods: c.pods ?? [], hash: 'h2', collisionCount: 0, now: NOW });
    expect(d.create.map((x) => x.nodeName)).toEqual(c.create);
    expect(d.delete.sort()).toEqual(c.delete);
    if (c.status) expect(d.status).toMatchObject(c.status);
    expect(d.status.observedGeneration).toBe(2);
  });

  it('new pods are pinned to their node, tolerate node problems and carry the revision hash', () => {
    const d = decideDaemonSet({ ds: ds(), nodes: [node('a')], pods: [], hash: 'h2', collisionCount: 0, now: NOW });
    const p = d.create[0].pod;
    expect(p.metadata).toMatchObject({
      generateName: 'mon-',
      namespace: 'default',
      labels: { app: 'mon', [REVISION_HASH_LABEL]: 'h2', 'pod-template-generation': '2' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'mon', uid: 'ds-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(daemonPodNode(p)).toBe('a');
    expect(p.spec?.nodeName).toBeUndefined();
    expect(p.spec?.tolerations?.map((t) => t.key)).toContain('node.kubernetes.io/unreachable');
  });

  it('asks to look again when a pod becomes available after minReadySeconds', () => {
    const d = decideDaemonSet({ ds: ds({ minReadySeconds: 30 }), nodes: [node('a')], pods: [pod('p-a', 'a', 'h2')], hash: 'h2', collisionCount: 0, now: NOW });
    expect(d.status.numberAvailable).toBe(0);
    expect(d.requeueAfterMs).toBe(20_000);
  });
});
