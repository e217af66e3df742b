import { describe, expect, it } from 'vitest';
import type { OwnerReference } from '../resources/types.js';
import { collectedTypes, decideOwnership, type OwnerState } from './garbage-collector.js';

const ref = (uid: string, block = false): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: uid, uid, controller: false, blockOwnerDeletion: block });

describe('decideOwnership', () => {
  const cases: { name: string; refs: OwnerReference[]; states: Record<string, OwnerState>; want: object }[] = [
    { name: 'a solid owner keeps the dependent', refs: [ref('a')], states: { a: 'solid' }, want: { kind: 'none' } },
    { name: 'all owners gone: background delete', refs: [ref('a'), ref('b')], states: { a: 'dangling', b: 'dangling' }, want: { kind: 'delete', policy: 'Background' } },
    { name: 'a solid owner left: dangling references are removed', refs: [ref('a'), ref('b')], states: { a: 'solid', b: 'dangling' }, want: { kind: 'removeRefs', uids: ['b'] } },
    { name: 'a solid owner left: blocking references to foreground-deleting owners are removed', refs: [ref('a'), ref('b', true)], states: { a: 'solid', b: 'waitingForDependents' }, want: { kind: 'removeRefs', uids: ['b'] } },
    { name: 'only a foreground-deleting owner, blocking: foreground delete', refs: [ref('a', true)], states: { a: 'waitingForDependents' }, want: { kind: 'delete', policy: 'Foreground' } },
    { name: 'only a foreground-deleting owner, not blocking: background delete', refs: [ref('a')], states: { a: 'waitingForDependents' }, want: { kind: 'delete', policy: 'Background' } },
    { name: 'an owner of an unknown kind keeps the dependent', refs: [ref('a'), ref('x')], states: { a: 'dangling' }, want: { kind: 'none' } },
  ];
  for (const c of cases) it(c.name, () => expect(decideOwnership(c.refs, new Map(Object.entries(c.states)))).toEqual(c.want));
});

describe('collectedTypes', () => {
  it('covers workloads and config, not events', () => {
    const kinds = collectedTypes().map((t) => t.kind);
    for (const k of ['Pod', 'ReplicaSet', 'Deployment', 'ConfigMap', 'Job']) expect(kinds).toContain(k);
    expect(kinds).not.toContain('Event');
  });
});
