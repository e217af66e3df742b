import { describe, expect, it } from 'vitest';
import { makeNode, makePod, makeSnapshot, runScore } from '../testing.js';
import { balancedScore, nodeResourcesBalancedAllocation } from './node-resources-balanced-allocation.js';

describe('NodeResourcesBalancedAllocation', () => {
  it.each([
    ['equal fractions', [1, 2], [4, 8], 100],
    ['half vs none', [2, 0], [4, 8], 75],
    ['full vs none', [4, 0], [4, 8], 50],
    ['over-full counts as full', [8, 0], [4, 8], 50],
    ['a resource without allocatable is left out', [1, 5], [4, 0], 100],
    ['three resources use the standard deviation', [1, 0, 1], [1, 1, 1], 52],
  ])('balancedScore: %s', (_name, requested, allocatable, want) => {
    expect(balancedScore(requested, allocatable)).toBe(want);
  });

  it('prefers the node the pod balances', () => {
    const snap = makeSnapshot([makeNode({ name: 'cpu-heavy', cpu: '4', memory: '4Gi' }), makeNode({ name: 'mem-heavy', cpu: '4', memory: '4Gi' })], {
      'cpu-heavy': [makePod({ cpu: '2' })],
      'mem-heavy': [makePod({ memory: '2Gi' })],
    });
    expect(runScore(nodeResourcesBalancedAllocation(), makePod({ cpu: '2' }), snap)).toEqual({ 'cpu-heavy': 50, 'mem-heavy': 100 });
  });

  it('skips pods that request nothing', () => {
    const snap = makeSnapshot([makeNode({ name: 'a' })], { a: [makePod({ cpu: '2' })] });
    expect(runScore(nodeResourcesBalancedAllocation(), makePod(), snap)).toEqual({ a: 0 });
  });
});
