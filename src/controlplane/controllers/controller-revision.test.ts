import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { planRevision, REVISION_HASH_LABEL, revisionData, revisionsToPrune, stableJson, templateHash } from './controller-revision.js';

const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'mon', namespace: 'default', uid: 'u1' } };
const t1: PodTemplateSpec = { metadata: { labels: { app: 'mon' } }, spec: { containers: [{ name: 'c', image: 'v1' }] } };
const t2: PodTemplateSpec = { metadata: { labels: { app: 'mon' } }, spec: { containers: [{ name: 'c', image: 'v2' }] } };

function rev(name: string, template: PodTemplateSpec, revision: number): ControllerRevision {
  return { metadata: { name, labels: { [REVISION_HASH_LABEL]: name.slice(4) } }, data: revisionData(template), revision };
}

describe('templateHash', () => {
  it('ignores key order, differs by content and collision count, uses the safe alphabet', () => {
    expect(templateHash({ a: 1, b: 2 })).toBe(templateHash({ b: 2, a: 1 }));
    expect(templateHash(t1)).not.toBe(templateHash(t2));
    expect(templateHash(t1, 1)).not.toBe(templateHash(t1));
    expect(templateHash(t1)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(stableJson({ b: [1, { d: 1, c: 2 }], a: undefined })).toBe('{"b":[1,{"c":2,"d":1}]}');
  });
});

describe('planRevision', () => {
  const h1 = templateHash(t1);
  const cases: { name: string; revisions: ControllerRevision[]; template: PodTemplateSpec; action: string; revision: number; collisionCount?: number }[] = [
    { name: 'first revision is created as 1', revisions: [], template: t1, action: 'create', revision: 1 },
    { name: 'an equal revision is reused', revisions: [rev(`mon-${h1}`, t1, 1)], template: t1, action: 'none', revision: 1 },
    { name: 'a new template makes revision max+1', revisions: [rev(`mon-${h1}`, t1, 1)], template: t2, action: 'create', revision: 2 },
    { name: 'going back to an old template renumbers it (rollback)', revisions: [rev(`mon-${h1}`, t1, 1), rev('mon-xyz', t2, 2)], template: t1, action: 'bump', revision: 3 },
    { name: 'a name taken by another template bumps the collision count', revisions: [rev(`mon-${templateHash(t2)}`, t1, 1)], template: t2, action: 'create', revision: 2, collisionCount: 1 },
  ];
  it.each(cases)('$name', (c) => {
    const p = planRevision({ owner, apiVersion: 'apps/v1', kind: 'DaemonSet', revisions: c.revisions, template: c.template, collisionCount: 0 });
    expect(p.action).toBe(c.action);
    expect(p.revision).toBe(c.revision);
    expect(p.collisionCount).toBe(c.collisionCount ?? 0);
    if (p.action === 'create') {
      expect(p.object.metadata?.name).toBe(`mon-${p.hash}`);
      expect(p.object.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', uid: 'u1', controller: true });
    }
  });
});

describe('revisionsToPrune', () => {
  const revs = [1, 2, 3, 4, 5].map((i) => rev(`mon-r${i}`, t1, i));
  const cases = [
    { name: 'within the limit', live: ['mon-r5'], limit: 10, want: [] },
    { name: 'oldest dead ones beyond the limit', live: ['mon-r5'], limit: 2, want: ['mon-r1', 'mon-r2'] },
    { name: 'live ones are never pruned', live: ['mon-r1', 'mon-r5'], limit: 0, want: ['mon-r2', 'mon-r3', 'mon-r4'] },
  ];
  it.each(cases)('$name', (c) => {
    expect(revisionsToPrune(revs, new Set(c.live), c.limit)).toEqual(c.want);
  });
});
