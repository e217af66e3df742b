import type { NodeSelectorRequirement, Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { makeNode, makePod, makeSnapshot, runFilter, runScore } from '../testing.js';
import { nodeAffinity } from './node-affinity.js';

const NO = "node(s) didn't match Pod's node affinity/selector";

function required(...terms: { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }[]): Pod {
  return makePod({ spec: { containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } } });
}

describe('NodeAffinity filter', () => {
  const snap = makeSnapshot([
    makeNode({ name: 'ssd', labels: { disk: 'ssd', super: 'true', cores: '8' } }),
    makeNode({ name: 'hdd', labels: { disk: 'hdd', cores: '2' } }),
    makeNode({ name: 'bare' }),
  ]);
  it.each<[string, Pod, Record<string, string>]>([
    ['no selector: every node', makePod(), { ssd: 'ok', hdd: 'ok', bare: 'ok' }],
    ['nodeSelector super=true (the seed pod)', makePod({ spec: { containers: [], nodeSelector: { super: 'true' } } }), { ssd: 'ok', hdd: NO, bare: NO }],
    ['nodeSelector needs every label', makePod({ spec: { containers: [], nodeSelector: { super: 'true', disk: 'hdd' } } }), { ssd: NO, hdd: NO, bare: NO }],
    ['In', required({ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd', 'nvme'] }] }), { ssd: 'ok', hdd: NO, bare: NO }],
    ['NotIn matches nodes without the label', required({ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] }), { ssd: NO, hdd: 'ok', bare: 'ok' }],
    ['Exists', required({ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }), { ssd: 'ok', hdd: 'ok', bare: NO }],
    ['DoesNotExist', required({ matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }), { ssd: NO, hdd: NO, bare: 'ok' }],
    ['Gt compares integers', required({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }), { ssd: 'ok', hdd: NO, bare: NO }],
    ['Lt compares integers', required({ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['4'] }] }), { ssd: NO, hdd: 'ok', bare: NO }],
    ['Gt with a non-integer value matches nothing', required({ matchExpressions: [{ key: 'disk', operator: 'Gt', values: ['1'] }] }), { ssd: NO, hdd: NO, bare: NO }],
    ['expressions in a term are ANDed', required({ matchExpressions: [{ key: 'disk', operator: 'Exists' }, { key: 'super', operator: 'DoesNotExist' }] }), { ssd: NO, hdd: 'ok', bare: NO }],
    ['terms are ORed', required({ matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }] }, { matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }), { ssd: NO, hdd: 'ok', bare: 'ok' }],
    ['matchFields metadata.name (DaemonSet pods)', required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['hdd'] }] }), { ssd: NO, hdd: 'ok', bare: NO }],
    ['matchFields NotIn', required({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['hdd'] }] }), { ssd: 'ok', hdd: NO, bare: 'ok' }],
    ['matchFields on another field matches nothing', required({ matchFields: [{ key: 'metadata.uid', operator: 'In', values: ['x'] }] }), { ssd: NO, hdd: NO, bare: NO }],
    ['an empty term matches nothing', required({}), { ssd: NO, hdd: NO, bare: NO }],
    [
      'nodeSelector and affinity both apply',
      makePod({ spec: { containers: [], nodeSelector: { disk: 'ssd' }, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }] }] } } } } }),
      { ssd: NO, hdd: NO, bare: NO },
    ],
  ])('%s', (_name, pod, want) => {
    expect(runFilter(nodeAffinity(), pod, snap)).toEqual(want);
  });
});

describe('NodeAffinity score', () => {
  const snap = makeSnapshot([makeNode({ name: 'ssd', labels: { disk: 'ssd', zone: 'a' } }), makeNode({ name: 'hdd', labels: { disk: 'hdd', zone: 'a' } }), makeNode({ name: 'bare' })]);
  const preferring = (...prefs: [number, string, string][]) =>
    makePod({
      spec: {
        containers: [],
        affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: prefs.map(([weight, key, value]) => ({ weight, preference: { matchExpressions: [{ key, operator: 'In', values: [value] }] } })) } },
      },
    });
  it.each<[string, Pod, Record<string, number>]>([
    ['no preferences: 0 everywhere', makePod(), { ssd: 0, hdd: 0, bare: 0 }],
    ['one preference', preferring([5, 'disk', 'ssd']), { ssd: 100, hdd: 0, bare: 0 }],
    ['weights add up and normalise by the best', preferring([80, 'disk', 'ssd'], [20, 'zone', 'a']), { ssd: 100, hdd: 20, bare: 0 }],
  ])('%s', (_name, pod, want) => {
    expect(runScore(nodeAffinity(), pod, snap)).toEqual(want);
  });
});
