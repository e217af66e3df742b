import { describe, expect, it } from 'vitest';
import { labelSelectorFromObject } from '../store/selectors.js';
import { compareForDeletion, type PodObject as Pod } from '../resources/pod-state.js';
import { decideReplicas, slowStartBatches, type ReplicaOwner } from './replicaset.js';

const NOW = Date.parse('2024-01-01T00:10:00Z');
const owner: ReplicaOwner = { uid: 'rs-uid', replicas: 3, minReadySeconds: 0, deleting: false, templateLabels: { app: 'a', tier: 'web' } };
const sel = labelSelectorFromObject({ matchLabels: { app: 'a' } });

interface P {
  name: string;
  labels?: Record<string, string>;
  owner?: string;
  node?: string;
  phase?: string;
  ready?: string;
  deleting?: boolean;
  created?: string;
  restarts?: number;
}
function pod(p: P): Pod {
  return {
    metadata: {
      name: p.name,
      labels: p.labels ?? { app: 'a', tier: 'web' },
      creationTimestamp: p.created ?? '2024-01-01T00:00:00Z',
      ownerReferences: p.owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: p.owner, controller: true }] : undefined,
      deletionTimestamp: p.deleting ? '2024-01-01T00:09:00Z' : undefined,
    },
    spec: { nodeName: p.node, containers: [] },
    status: {
      phase: p.phase ?? 'Pending',
      conditions: p.ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: p.ready }] : [],
      containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: !!p.ready, restartCount: p.restarts ?? 0 }],
    },
  };
}
const names = (ps: Pod[]) => ps.map((p) => p.metadata?.name);

describe('decideReplicas', () => {
  const cases: { name: string; owner?: Partial<ReplicaOwner>; pods: P[]; want: { create?: number; delete?: string[]; adopt?: string[]; release?: string[]; status?: object; requeueAfterMs?: number } }[] = [
    { name: 'creates the missing replicas', pods: [{ name: 'a', owner: 'rs-uid' }], want: { create: 2, status: { replicas: 1 } } },
    { name: 'caps creation at the burst', owner: { replicas: 900 }, pods: [], want: { create: 500 } },
    { name: 'terminating and finished pods do not count', pods: [{ name: 'a', owner: 'rs-uid', deleting: true }, { name: 'b', owner: 'rs-uid', phase: 'Succeeded' }, { name: 'c', owner: 'rs-uid' }], want: { create: 2, status: { replicas: 1 } } },
    { name: 'adopts a matching orphan', pods: [{ name: 'o' }, { name: 'a', owner: 'rs-uid' }], want: { adopt: ['o'], create: 1, status: { replicas: 2 } } },
    { name: 'does not adopt pods of another controller', pods: [{ name: 'x', owner: 'other' }], want: { create: 3, adopt: [] } },
    { name: 'releases an owned pod that no longer matches', pods: [{ name: 'r', owner: 'rs-uid', labels: { app: 'b' } }], want: { release: ['r'], create: 3 } },
    { name: 'a deleting owner neither adopts nor creates', owner: { deleting: true }, pods: [{ name: 'o' }], want: { adopt: [], create: 0 } },
    { name: 'deletes the surplus, unassigned first', owner: { replicas: 1 }, pods: [{ name: 'bound', owner: 'rs-uid', node: 'n', phase: 'Running' }, { name: 'free', owner: 'rs-uid' }], want: { delete: ['free'], status: { replicas: 1 } } },
    {
      name: 'counts fully labelled, ready and available (minReadySeconds) pods',
      owner: { minReadySeconds: 60 },
      pods: [
        { name: 'a', owner: 'rs-uid', phase: 'Running', ready: '2024-01-01T00:00:00Z' },
        { name: 'b', owner: 'rs-uid', phase: 'Running', ready: '2024-01-01T00:09:30Z', labels: { app: 'a' } },
        { name: 'c', owner: 'rs-uid', phase: 'Running' },
      ],
      want: { status: { replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1 }, requeueAfterMs: 30_000 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decideReplicas({ ...owner, ...c.owner }, sel, c.pods.map(pod), NOW);
      if (c.want.create !== undefined) expect(d.create).toBe(c.want.create);
      if (c.want.delete) expect(names(d.delete)).toEqual(c.want.delete);
      if (c.want.adopt) expect(names(d.adopt)).toEqual(c.want.adopt);
      if (c.want.release) expect(names(d.release)).toEqual(c.want.release);
      if (c.want.status) expect(d.status).toMatchObject(c.want.status);
      if (c.want.requeueAfterMs !== undefined) expect(d.requeueAfterMs).toBe(c.want.requeueAfterMs);
    });
  }
});

describe('compareForDeletion', () => {
  const cases: { name: string; pods: P[]; first: string }[] = [
    { name: 'unassigned before assigned', pods: [{ name: 'a', node: 'n' }, { name: 'b' }], first: 'b' },
    { name: 'pending before running', pods: [{ name: 'a', node: 'n', phase: 'Running' }, { name: 'b', node: 'n', phase: 'Pending' }], first: 'b' },
    { name: 'unknown before running', pods: [{ name: 'a', node: 'n', phase: 'Running' }, { name: 'b', node: 'n', phase: 'Unknown' }], first: 'b' },
    { name: 'not ready before ready', pods: [{ name: 'a', node: 'n', phase: 'Running', ready: '2024-01-01T00:00:00Z' }, { name: 'b', node: 'n', phase: 'Running' }], first: 'b' },
    { name: 'ready more recently first', pods: [{ name: 'a', node: 'n', phase: 'Running', ready: '2024-01-01T00:00:00Z' }, { name: 'b', node: 'n', phase: 'Running', ready: '2024-01-01T00:05:00Z' }], first: 'b' },
    { name: 'more restarts first', pods: [{ name: 'a', node: 'n', phase: 'Running' }, { name: 'b', node: 'n', phase: 'Running', restarts: 3 }], first: 'b' },
    { name: 'newer first', pods: [{ name: 'a', created: '2024-01-01T00:00:00Z' }, { name: 'b', created: '2024-01-01T00:01:00Z' }], first: 'b' },
  ];
  for (const c of cases) it(c.name, () => expect(c.pods.map(pod).sort(compareForDeletion)[0].metadata?.name).toBe(c.first));
});

describe('slowStartBatches', () => {
  const cases: [number, number[]][] = [
    [0, []],
    [1, [1]],
    [5, [1, 2, 2]],
    [10, [1, 2, 4, 3]],
  ];
  for (const [n, want] of cases) it(`${n}`, () => expect(slowStartBatches(n)).toEqual(want));
});
