import { describe, expect, it } from 'vitest';
import { makeNode, makePod, makeSnapshot, runFilter } from '../testing.js';
import { nodeUnschedulable } from './node-unschedulable.js';

describe('NodeUnschedulable', () => {
  const snap = makeSnapshot([makeNode({ name: 'open' }), makeNode({ name: 'cordoned', unschedulable: true })]);
  it.each([
    ['a plain pod avoids the cordoned node', makePod(), { open: 'ok', cordoned: 'node(s) were unschedulable' }],
    [
      'a pod tolerating the unschedulable taint goes anywhere',
      makePod({ spec: { containers: [], tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } }),
      { open: 'ok', cordoned: 'ok' },
    ],
    ['an Exists toleration without key tolerates it too', makePod({ spec: { containers: [], tolerations: [{ operator: 'Exists' }] } }), { open: 'ok', cordoned: 'ok' }],
    [
      'a NoExecute-only toleration does not',
      makePod({ spec: { containers: [], tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }] } }),
      { open: 'ok', cordoned: 'node(s) were unschedulable' },
    ],
  ])('%s', (_name, pod, want) => {
    expect(runFilter(nodeUnschedulable(), pod, snap)).toEqual(want);
  });
});
