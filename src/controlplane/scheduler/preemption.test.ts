import { describe, expect, it } from 'vitest';
import { profilesFrom } from './config.js';
import { FitError, Framework } from './framework.js';
import { podInfo } from './pod-info.js';
import { findPreemption, type DisruptionBudget } from './preemption.js';
import { labelSelectorFromObject } from '../store/selectors.js';
import { makeNode, makePod, makeSnapshot } from './testing.js';

const framework = () => new Framework(profilesFrom()[0]);
const pod = (name: string, cpu: string, priority: number, labels?: Record<string, string>) => makePod({ name, cpu, priority, labels });

function preempt(nodes: ReturnType<typeof makeNode>[], bound: Record<string, ReturnType<typeof makePod>[]>, preemptor: ReturnType<typeof makePod>, budgets: DisruptionBudget[] = []) {
  const f = framework();
  const snap = makeSnapshot(nodes, bound);
  const p = podInfo(preemptor);
  const fit = f.schedule(p, snap);
  expect(fit).toBeInstanceOf(FitError);
  const r = findPreemption(f, p, snap, fit as FitError, budgets);
  return r && { node: r.node, victims: r.victims.map((v) => v.pod.metadata!.name).sort(), pdbViolations: r.pdbViolations };
}

describe('preemption', () => {
  const two = [makeNode({ name: 'a', cpu: '2' }), makeNode({ name: 'b', cpu: '2' })];

  it('evicts the lowest-priority pod that makes room', () => {
    expect(preempt(two, { a: [pod('a-low', '1', 1), pod('a-mid', '1', 5)], b: [pod('b-mid', '1', 5), pod('b-mid2', '1', 5)] }, pod('hi', '1', 100))).toEqual({ node: 'a', victims: ['a-low'], pdbViolations: 0 });
  });

  it('prefers fewer victims at the same priority', () => {
    expect(preempt(two, { a: [pod('a1', '1', 1), pod('a2', '1', 1)], b: [pod('b1', '2', 1)] }, pod('hi', '2', 100))).toEqual({ node: 'b', victims: ['b1'], pdbViolations: 0 });
  });

  it('keeps pods the preemptor does not need gone', () => {
    expect(preempt([makeNode({ name: 'a', cpu: '3' })], { a: [pod('x', '1', 1), pod('y', '1', 2), pod('z', '1', 3)] }, pod('hi', '1', 100))).toEqual({ node: 'a', victims: ['x'], pdbViolations: 0 });
  });

  it('never evicts pods of equal or higher priority', () => {
    expect(preempt(two, { a: [pod('a1', '2', 100)], b: [pod('b1', '2', 200)] }, pod('hi', '1', 100))).toBeUndefined();
  });

  it('does not preempt where eviction cannot help (unresolvable: node affinity)', () => {
    const p = makePod({ name: 'hi', cpu: '1', priority: 100, spec: { containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }], nodeSelector: { disk: 'ssd' } } });
    expect(preempt(two, { a: [pod('a1', '2', 1)], b: [pod('b1', '2', 1)] }, p)).toBeUndefined();
  });

  it('preemptionPolicy Never does not preempt', () => {
    const p = makePod({ name: 'hi', priority: 100, spec: { containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }], preemptionPolicy: 'Never' } });
    expect(preempt(two, { a: [pod('a1', '2', 1)], b: [pod('b1', '2', 1)] }, p)).toBeUndefined();
  });

  it('respects PodDisruptionBudgets where possible', () => {
    const budget: DisruptionBudget = { namespace: 'default', selector: labelSelectorFromObject({ matchLabels: { app: 'guarded' } }), disruptionsAllowed: 0, disrupted: new Set() };
    const bound = { a: [pod('a1', '2', 1, { app: 'guarded' })], b: [pod('b1', '2', 5)] };
    expect(preempt(two, bound, pod('hi', '1', 100), [budget])).toEqual({ node: 'b', victims: ['b1'], pdbViolations: 0 });
    // when only guarded pods can make room, the budget is violated
    expect(preempt([two[0]], { a: bound.a }, pod('hi', '1', 100), [budget])).toEqual({ node: 'a', victims: ['a1'], pdbViolations: 1 });
  });
});
