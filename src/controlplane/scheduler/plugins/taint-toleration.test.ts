import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { makeNode, makePod, makeSnapshot, runFilter, runScore } from '../testing.js';
import { taintToleration, toleratesTaint } from './taint-toleration.js';

const key1: Taint = { key: 'key1', value: 'value1', effect: 'NoSchedule' };

describe('toleratesTaint', () => {
  it.each<[string, Toleration, Taint, boolean]>([
    ['Equal with the same key, value and effect', { key: 'key1', operator: 'Equal', value: 'value1', effect: 'NoSchedule' }, key1, true],
    ['Equal is the default operator', { key: 'key1', value: 'value1' }, key1, true],
    ['Equal with another value', { key: 'key1', operator: 'Equal', value: 'other', effect: 'NoSchedule' }, key1, false],
    ['another effect', { key: 'key1', operator: 'Equal', value: 'value1', effect: 'NoExecute' }, key1, false],
    ['Exists ignores the value', { key: 'key1', operator: 'Exists' }, key1, true],
    ['empty key with Exists tolerates everything', { operator: 'Exists' }, { key: 'x', value: 'y', effect: 'NoExecute' }, true],
    ['another key', { key: 'key2', operator: 'Exists' }, key1, false],
    ['an unknown operator tolerates nothing', { key: 'key1', operator: 'Gt', value: 'value1' }, key1, false],
  ])('%s', (_name, t, taint, want) => {
    expect(toleratesTaint(t, taint)).toBe(want);
  });
});

describe('TaintToleration', () => {
  const snap = makeSnapshot([
    makeNode({ name: 'clean' }),
    makeNode({ name: 'tainted', taints: [key1] }),
    makeNode({ name: 'evicting', taints: [{ key: 'key1', value: 'value1', effect: 'NoExecute' }] }),
    makeNode({ name: 'soft', taints: [{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }] }),
  ]);
  const tolerant = makePod({
    spec: {
      containers: [],
      tolerations: [
        { key: 'key1', operator: 'Equal', value: 'value1', effect: 'NoSchedule' },
        { key: 'key1', operator: 'Equal', value: 'value1', effect: 'NoExecute' },
      ],
    },
  });
  it.each([
    ['a plain pod avoids NoSchedule and NoExecute taints, not PreferNoSchedule', makePod(), { clean: 'ok', tainted: 'node(s) had untolerated taint {key1: value1}', evicting: 'node(s) had untolerated taint {key1: value1}', soft: 'ok' }],
    ['the seed tolerations pod goes to the tainted nodes too', tolerant, { clean: 'ok', tainted: 'ok', evicting: 'ok', soft: 'ok' }],
  ])('filter: %s', (_name, pod, want) => {
    expect(runFilter(taintToleration(), pod, snap)).toEqual(want);
  });

  it.each([
    ['fewer PreferNoSchedule taints score higher', makePod(), { clean: 100, tainted: 100, evicting: 100, soft: 0 }],
    ['a tolerated PreferNoSchedule taint does not count', makePod({ spec: { containers: [], tolerations: [{ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }] } }), { clean: 100, tainted: 100, evicting: 100, soft: 0 }],
    ['tolerating both makes all equal', makePod({ spec: { containers: [], tolerations: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists' }] } }), { clean: 100, tainted: 100, evicting: 100, soft: 100 }],
  ])('score: %s', (_name, pod, want) => {
    expect(runScore(taintToleration(), pod, snap)).toEqual(want);
  });

  it('score: one of two soft taints tolerated scores half', () => {
    const two = makeSnapshot([makeNode({ name: 'one', taints: [{ key: 'a', effect: 'PreferNoSchedule' }] }), makeNode({ name: 'two', taints: [{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }] }), makeNode({ name: 'none' })]);
    expect(runScore(taintToleration(), makePod(), two)).toEqual({ one: 50, two: 0, none: 100 });
  });
});
