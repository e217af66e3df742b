import type { Pod, PodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { makeNode, makePod, makeSnapshot, runFilter, runScore } from '../testing.js';
import { ERR_AFFINITY, ERR_ANTI_AFFINITY, ERR_EXISTING_ANTI_AFFINITY, interPodAffinity } from './inter-pod-affinity.js';

const term = (labels: Record<string, string>, topologyKey: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({ labelSelector: { matchLabels: labels }, topologyKey, ...extra });

function pod(labels: Record<string, string>, affinity: NonNullable<Pod['spec']>['affinity'] = {}, namespace = 'default'): Pod {
  return makePod({ labels, namespace, spec: { containers: [], affinity } });
}

const nodes = [
  makeNode({ name: 'a1', labels: { zone: 'a' } }),
  makeNode({ name: 'a2', labels: { zone: 'a' } }),
  makeNode({ name: 'b1', labels: { zone: 'b' } }),
  makeNode({ name: 'nozone' }),
];

describe('InterPodAffinity filter', () => {
  const snap = makeSnapshot(nodes, { a1: [pod({ app: 'db' })], b1: [pod({ app: 'web' }, { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'cache' }, 'zone')] } })] }, { other: { team: 'x' } });
  it.each<[string, Pod, Record<string, string>]>([
    ['no affinity anywhere it is not repelled', pod({ app: 'x' }), { a1: 'ok', a2: 'ok', b1: 'ok', nozone: 'ok' }],
    ['affinity to db by zone: zone a only', pod({}, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, 'zone')] } }), { a1: 'ok', a2: 'ok', b1: ERR_AFFINITY, nozone: ERR_AFFINITY }],
    ['affinity to db by hostname: a1 only', pod({}, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, 'kubernetes.io/hostname')] } }), { a1: 'ok', a2: ERR_AFFINITY, b1: ERR_AFFINITY, nozone: ERR_AFFINITY }],
    ['anti-affinity to db by zone: not zone a; nodes without the key are fine', pod({}, { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, 'zone')] } }), { a1: ERR_ANTI_AFFINITY, a2: ERR_ANTI_AFFINITY, b1: 'ok', nozone: 'ok' }],
    ["an existing pod's anti-affinity keeps a matching pod out of its zone", pod({ app: 'cache' }), { a1: 'ok', a2: 'ok', b1: ERR_EXISTING_ANTI_AFFINITY, nozone: 'ok' }],
    [
      'the first pod of a self-affine group may go where the topology key exists',
      pod({ app: 'new' }, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'new' }, 'zone')] } }),
      { a1: 'ok', a2: 'ok', b1: 'ok', nozone: ERR_AFFINITY },
    ],
    ['affinity to pods of another namespace only looks there', pod({}, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, 'zone', { namespaces: ['other'] })] } }), { a1: ERR_AFFINITY, a2: ERR_AFFINITY, b1: ERR_AFFINITY, nozone: ERR_AFFINITY }],
    ['an empty namespaceSelector looks in every namespace', pod({}, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, 'zone', { namespaceSelector: {} })] } }, 'other'), { a1: 'ok', a2: 'ok', b1: ERR_AFFINITY, nozone: ERR_AFFINITY }],
  ])('%s', (_name, p, want) => {
    expect(runFilter(interPodAffinity(), p, snap)).toEqual(want);
  });
});

describe('InterPodAffinity score', () => {
  const snap = makeSnapshot(nodes, { a1: [pod({ app: 'db' })], b1: [pod({ app: 'web' }, { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term({ app: 'cache' }, 'zone') }] } })] });
  it.each<[string, Pod, Record<string, number>]>([
    ['no preferences and nobody prefers it: 0', pod({ app: 'x' }), { a1: 0, a2: 0, b1: 0, nozone: 0 }],
    ['preferred affinity to db by zone', pod({}, { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term({ app: 'db' }, 'zone') }] } }), { a1: 100, a2: 100, b1: 0, nozone: 0 }],
    ['preferred anti-affinity to db by zone', pod({}, { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term({ app: 'db' }, 'zone') }] } }), { a1: 0, a2: 0, b1: 100, nozone: 100 }],
    ["an existing pod's preference attracts the pod it names (symmetry)", pod({ app: 'cache' }), { a1: 0, a2: 0, b1: 100, nozone: 0 }],
  ])('%s', (_name, p, want) => {
    expect(runScore(interPodAffinity(), p, snap)).toEqual(want);
  });
});
