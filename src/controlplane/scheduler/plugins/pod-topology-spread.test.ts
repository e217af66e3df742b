import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { makeNode, makePod, makeSnapshot, runFilter, runScore } from '../testing.js';
import { ERR_SPREAD, ERR_SPREAD_LABEL, podTopologySpread } from './pod-topology-spread.js';

const web = (n: number) => Array.from({ length: n }, () => makePod({ labels: { app: 'web' } }));

function spread(c: Partial<TopologySpreadConstraint>, extra: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return makePod({
    labels: { app: 'web' },
    spec: { containers: [], topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...c }], ...extra },
  });
}

const nodes = [
  makeNode({ name: 'a1', labels: { zone: 'a' } }),
  makeNode({ name: 'a2', labels: { zone: 'a' } }),
  makeNode({ name: 'b1', labels: { zone: 'b' } }),
  makeNode({ name: 'c1', labels: { zone: 'c', tier: 'x' } }),
  makeNode({ name: 'nozone' }),
];

describe('PodTopologySpread filter', () => {
  const snap = makeSnapshot(nodes, { a1: web(2), b1: web(1), c1: web(1) });
  it.each<[string, Pod, Record<string, string>]>([
    ['zones a=2 b=1 c=1, maxSkew 1: b and c only', spread({}), { a1: ERR_SPREAD, a2: ERR_SPREAD, b1: 'ok', c1: 'ok', nozone: ERR_SPREAD_LABEL }],
    ['maxSkew 2 allows a', spread({ maxSkew: 2 }), { a1: 'ok', a2: 'ok', b1: 'ok', c1: 'ok', nozone: ERR_SPREAD_LABEL }],
    ['by hostname: empty nodes only (min is 0)', spread({ topologyKey: 'kubernetes.io/hostname' }), { a1: ERR_SPREAD, a2: 'ok', b1: ERR_SPREAD, c1: ERR_SPREAD, nozone: 'ok' }],
    ['minDomains 4 over 3 zones treats the minimum as 0', spread({ minDomains: 4, maxSkew: 1 }), { a1: ERR_SPREAD, a2: ERR_SPREAD, b1: ERR_SPREAD, c1: ERR_SPREAD, nozone: ERR_SPREAD_LABEL }],
    ['a pod that does not match its own selector adds nothing', makePod({ labels: { app: 'other' }, spec: { containers: [], topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }] } }), { a1: 'ok', a2: 'ok', b1: 'ok', c1: 'ok', nozone: ERR_SPREAD_LABEL }],
    ['ScheduleAnyway does not filter', spread({ whenUnsatisfiable: 'ScheduleAnyway' }), { a1: 'ok', a2: 'ok', b1: 'ok', c1: 'ok', nozone: 'ok' }],
  ])('%s', (_name, p, want) => {
    expect(runFilter(podTopologySpread(), p, snap)).toEqual(want);
  });

  it.each<[string, 'Honor' | 'Ignore', string]>([
    ['Honor counts only zones the pod may use: c alone, so the minimum is its own 2', 'Honor', 'ok'],
    ['Ignore counts every zone: the minimum is b’s 1', 'Ignore', ERR_SPREAD],
  ])('nodeAffinityPolicy %s', (_name, nodeAffinityPolicy, want) => {
    const s = makeSnapshot(nodes, { a1: web(2), b1: web(1), c1: web(2) });
    expect(runFilter(podTopologySpread(), spread({ nodeAffinityPolicy }, { nodeSelector: { tier: 'x' } }), s).c1).toBe(want);
  });

  it('matchLabelKeys narrows the selector to the pod’s own values', () => {
    const s = makeSnapshot(nodes, { a1: [makePod({ labels: { app: 'web', rev: '1' } }), makePod({ labels: { app: 'web', rev: '1' } })], b1: [makePod({ labels: { app: 'web', rev: '2' } })] });
    const p = makePod({ labels: { app: 'web', rev: '2' }, spec: { containers: [], topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, matchLabelKeys: ['rev'] }] } });
    // rev=2 counts: a=0, b=1, c=0 → a and c fit, b does not
    expect(runFilter(podTopologySpread(), p, s)).toEqual({ a1: 'ok', a2: 'ok', b1: ERR_SPREAD, c1: 'ok', nozone: ERR_SPREAD_LABEL });
  });
});

describe('PodTopologySpread score', () => {
  it('ScheduleAnyway prefers emptier zones; nodes without the key score 0', () => {
    const snap = makeSnapshot(nodes, { a1: web(2), b1: web(1) });
    // counts a=2 b=1 c=0, weight ln(3+2); raw = round(count·w): a=3, b=2, c=0 (nozone ignored)
    // normalised 100·(max+min−raw)/max: a=0, b=33, c=100
    expect(runScore(podTopologySpread(), spread({ whenUnsatisfiable: 'ScheduleAnyway' }), snap)).toEqual({ a1: 0, a2: 0, b1: 33, c1: 100, nozone: 0 });
  });

  it('by hostname counts per node', () => {
    const snap = makeSnapshot(nodes.slice(0, 3), { a1: web(2), b1: web(1) });
    expect(runScore(podTopologySpread(), spread({ whenUnsatisfiable: 'ScheduleAnyway', topologyKey: 'kubernetes.io/hostname' }), snap)).toEqual({ a1: 0, a2: 100, b1: 33 });
  });

  it('DoNotSchedule constraints do not score', () => {
    const snap = makeSnapshot(nodes, { a1: web(2) });
    expect(runScore(podTopologySpread(), spread({}), snap)).toEqual({ a1: 0, a2: 0, b1: 0, c1: 0, nozone: 0 });
  });
});
