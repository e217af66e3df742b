/** Table tests of the report: base and head object sets (and violations) → added/changed/removed, verdict, summary. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../controlplane/resources/types.js';
import type { RenderedObject } from '../render/index.js';
import { accessNeeds, buildReport, objectId, type AccessCheck, type PolicyViolation } from './report.js';

const cm = (name: string, data: Record<string, string>, namespace = 'app', file = `${name}.yaml`, line = 1): RenderedObject => ({
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data } as KubeObject,
  source: { file, line },
});
const ns = (name: string): RenderedObject => ({ object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, source: { file: 'ns.yaml', line: 1 } });
const violation = (actions: PolicyViolation['actions'], policy = 'p'): PolicyViolation => ({ policy, binding: policy, actions, object: 'v1/ConfigMap/app/a', message: 'no', source: { file: 'a.yaml', line: 3 }, origin: 'library' });

describe('objectId', () => {
  it.each([
    [cm('a', {}).object, 'v1/ConfigMap/app/a'],
    [ns('prod').object, 'v1/Namespace//prod'],
  ])('%j → %s', (o, want) => expect(objectId(o)).toBe(want));
});

describe('buildReport', () => {
  const revs = { base: 'main', head: 'feature' };
  it.each([
    { name: 'nothing', base: [], head: [], added: [], changed: [], removed: [], unchanged: 0 },
    { name: 'same objects', base: [cm('a', { x: '1' })], head: [cm('a', { x: '1' }, 'app', 'moved.yaml', 9)], added: [], changed: [], removed: [], unchanged: 1 },
    { name: 'an added object', base: [], head: [cm('a', {})], added: ['v1/ConfigMap/app/a'], changed: [], removed: [], unchanged: 0 },
    { name: 'a removed object', base: [cm('a', {})], head: [], added: [], changed: [], removed: ['v1/ConfigMap/app/a'], unchanged: 0 },
    { name: 'a changed value', base: [cm('a', { x: '1' })], head: [cm('a', { x: '2' })], added: [], changed: ['v1/ConfigMap/app/a'], removed: [], unchanged: 0 },
    { name: 'same name, other namespace', base: [cm('a', {}, 'one')], head: [cm('a', {}, 'two')], added: ['v1/ConfigMap/two/a'], changed: [], removed: ['v1/ConfigMap/one/a'], unchanged: 0 },
    { name: 'sorted by key', base: [], head: [cm('b', {}), ns('z'), cm('a', {})], added: ['v1/ConfigMap/app/a', 'v1/ConfigMap/app/b', 'v1/Namespace//z'], changed: [], removed: [], unchanged: 0 },
  ])('$name', ({ base, head, added, changed, removed, unchanged }) => {
    const r = buildReport(revs, base, head, []);
    expect(r.added.map((o) => o.id)).toEqual(added);
    expect(r.changed.map((o) => o.id)).toEqual(changed);
    expect(r.removed.map((o) => o.id)).toEqual(removed);
    expect(r.unchanged).toBe(unchanged);
    expect(r.passed).toBe(true);
  });

  it('diffs a changed object as YAML, base to head, with where each was written', () => {
    const r = buildReport(revs, [cm('a', { x: '1' }, 'app', 'old.yaml')], [cm('a', { x: '2' }, 'app', 'new.yaml', 4)], []);
    expect(r.changed[0].source).toEqual({ file: 'new.yaml', line: 4 });
    expect(r.changed[0].diff).toContain('--- main old.yaml\n+++ feature new.yaml');
    expect(r.changed[0].diff).toMatch(/^- {2}x: "1"$/m);
    expect(r.changed[0].diff).toMatch(/^\+ {2}x: "2"$/m);
  });

  it.each([
    { name: 'no violations', violations: [], passed: true, summary: 'PASS: 1 added, 0 changed, 0 removed; 0 denied, 0 warning/audit violations' },
    { name: 'a Deny', violations: [violation(['Deny'])], passed: false, summary: 'FAIL: 1 added, 0 changed, 0 removed; 1 denied, 0 warning/audit violations' },
    { name: 'Warn and Audit only', violations: [violation(['Warn']), violation(['Audit'], 'q')], passed: true, summary: 'PASS: 1 added, 0 changed, 0 removed; 0 denied, 2 warning/audit violations' },
    { name: 'Deny with Audit', violations: [violation(['Deny', 'Audit'])], passed: false, summary: 'FAIL: 1 added, 0 changed, 0 removed; 1 denied, 0 warning/audit violations' },
    { name: 'one Warn', violations: [violation(['Warn'])], passed: true, summary: 'PASS: 1 added, 0 changed, 0 removed; 0 denied, 1 warning/audit violation' },
  ])('verdict: $name', ({ violations, passed, summary }) => {
    const r = buildReport(revs, [], [cm('a', {})], violations);
    expect(r.passed).toBe(passed);
    expect(r.summary).toBe(summary);
  });

  it('sorts violations by object, then policy', () => {
    const r = buildReport(revs, [], [], [{ ...violation(['Deny'], 'z'), object: 'b' }, { ...violation(['Deny'], 'y'), object: 'a' }, { ...violation(['Deny'], 'x'), object: 'b' }]);
    expect(r.violations.map((v) => `${v.object} ${v.policy}`)).toEqual(['a y', 'b x', 'b z']);
  });
});

describe('RBAC in the report', () => {
  const revs = { base: 'main', head: 'feature' };
  const check = (object: string, verb: AccessCheck['verb'], allowed: boolean): AccessCheck => ({ object, verb, allowed, reason: allowed ? 'allowed' : 'no', source: { file: 'x.yaml', line: 1 } });
  it('needs create for added, update for changed, delete for removed', () => {
    const r = buildReport(revs, [cm('a', { x: '1' }), cm('gone', {})], [cm('a', { x: '2' }), cm('new', {})], []);
    expect(accessNeeds(r).map((n) => `${n.verb} ${n.entry.id}`)).toEqual(['create v1/ConfigMap/app/new', 'update v1/ConfigMap/app/a', 'delete v1/ConfigMap/app/gone']);
  });
  it.each([
    { name: 'all allowed', checks: [check('b', 'create', true), check('a', 'update', true)], passed: true, summary: 'PASS: 0 added, 0 changed, 0 removed; 0 denied, 0 warning/audit violations; RBAC for dana: 0 of 2 forbidden' },
    { name: 'one forbidden fails', checks: [check('b', 'create', true), check('a', 'delete', false)], passed: false, summary: 'FAIL: 0 added, 0 changed, 0 removed; 0 denied, 0 warning/audit violations; RBAC for dana: 1 of 2 forbidden' },
    { name: 'nothing to check', checks: [], passed: true, summary: 'PASS: 0 added, 0 changed, 0 removed; 0 denied, 0 warning/audit violations; RBAC for dana: 0 of 0 forbidden' },
  ])('$name', ({ checks, passed, summary }) => {
    const r = buildReport(revs, [], [], [], [], { subject: { user: 'dana', groups: [] }, checks });
    expect(r.passed).toBe(passed);
    expect(r.summary).toBe(summary);
    expect(r.access!.checks.map((c) => c.object)).toEqual([...checks.map((c) => c.object)].sort());
  });
  it('has no access section when no server was asked', () => expect(buildReport(revs, [], [], [])).not.toHaveProperty('access'));
});
