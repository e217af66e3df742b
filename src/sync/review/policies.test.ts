/** Offline policy verdicts: each binding evaluated on its own, its actions reported, namespaces and params from the objects. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../controlplane/resources/types.js';
import type { RenderedObject } from '../render/index.js';
import { evaluatePolicies, mergePolicySources, type PolicySource } from './policies.js';

const lib = (...objects: KubeObject[]): PolicySource[] => [{ origin: 'library', objects }];

const policy = (name: string, expression: string, ...more: string[]): KubeObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name },
  spec: {
    matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'] }] },
    validations: [{ expression, message: `${name} failed` }, ...more.map((e, i) => ({ expression: e, message: `${name} check ${i + 2} failed` }))],
  },
});
const binding = (name: string, actions: string[], extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  metadata: { name },
  spec: { policyName: name, validationActions: actions, ...extra },
});
const cm = (name: string, data: Record<string, string>, namespace = 'app', line = 1): RenderedObject => ({
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data } as KubeObject,
  source: { file: 'cms.yaml', line },
});

describe('evaluatePolicies', () => {
  it.each([
    { name: 'a passing object', actions: ['Deny'], data: { ok: 'yes' }, want: [] },
    { name: 'Deny', actions: ['Deny'], data: {}, want: [['Deny']] },
    { name: 'Warn is reported', actions: ['Warn'], data: {}, want: [['Warn']] },
    { name: 'Audit is reported', actions: ['Audit'], data: {}, want: [['Audit']] },
    { name: 'Warn and Audit', actions: ['Warn', 'Audit'], data: {}, want: [['Warn', 'Audit']] },
  ])('$name', async ({ actions, data, want }) => {
    const { violations: vs } = await evaluatePolicies(lib(policy('needs-ok', "has(object.data) && 'ok' in object.data"), binding('needs-ok', actions)), [cm('a', data as Record<string, string>, 'app', 5)]);
    expect(vs.map((v) => v.actions)).toEqual(want);
    for (const v of vs) expect(v).toEqual({ policy: 'needs-ok', binding: 'needs-ok', actions, object: 'v1/ConfigMap/app/a', message: 'needs-ok failed', source: { file: 'cms.yaml', line: 5 }, origin: 'library' });
  });

  it('reports every failing binding, not only the first', async () => {
    const { violations: vs } = await evaluatePolicies(lib(policy('p1', 'false'), binding('p1', ['Deny']), policy('p2', 'false'), binding('p2', ['Warn'])), [cm('a', {})]);
    expect(vs.map((v) => v.policy).sort()).toEqual(['p1', 'p2']);
  });

  it('reports every failed validation of a policy on an object, not only the first', async () => {
    const { violations: vs } = await evaluatePolicies(lib(policy('many', 'false', 'true', 'false'), binding('many', ['Deny'])), [cm('a', {}), cm('b', {})]);
    expect(vs.map((v) => `${v.object} ${v.message}`)).toEqual([
      'v1/ConfigMap/app/a many failed',
      'v1/ConfigMap/app/a many check 3 failed',
      'v1/ConfigMap/app/b many failed',
      'v1/ConfigMap/app/b many check 3 failed',
    ]);
  });

  it('dedupes policies by name across sources, the later source winning, and says where each came from', async () => {
    const sources: PolicySource[] = [
      { origin: 'library', objects: [policy('dup', 'false'), binding('dup', ['Deny']), policy('lib-only', 'false'), binding('lib-only', ['Warn'])] },
      { origin: 'server https://x', objects: [policy('dup', 'false'), binding('dup', ['Audit'])] },
    ];
    const { violations, bindings } = await evaluatePolicies(sources, [cm('a', {})]);
    expect(violations.map((v) => [v.policy, v.actions, v.origin])).toEqual([
      ['lib-only', ['Warn'], 'library'],
      ['dup', ['Audit'], 'server https://x'],
    ]);
    expect(bindings.map((b) => [b.binding, b.origin]).sort()).toEqual([['dup', 'server https://x'], ['lib-only', 'library']]);
  });

  it('matches namespaceSelector against the namespace named by the object', async () => {
    const b = binding('never', ['Deny'], { matchResources: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }] } } });
    const { violations: vs } = await evaluatePolicies(lib(policy('never', 'false'), b), [cm('a', {}, 'kube-system'), cm('b', {}, 'app')]);
    expect(vs.map((v) => v.object)).toEqual(['v1/ConfigMap/app/b']);
  });

  it('takes params from the revision own objects', async () => {
    const p = policy('limit', "object.metadata.name != params.data.forbidden");
    (p.spec as Record<string, unknown>).paramKind = { apiVersion: 'v1', kind: 'ConfigMap' };
    const b = binding('limit', ['Deny'], { paramRef: { name: 'rules', namespace: 'cfg', parameterNotFoundAction: 'Allow' } });
    const { violations: vs } = await evaluatePolicies(lib(p, b), [cm('rules', { forbidden: 'bad' }, 'cfg'), cm('bad', {}), cm('good', {})]);
    expect(vs.map((v) => v.object)).toEqual(['v1/ConfigMap/app/bad']);
  });

  it("prefers the revision's own param object to a source's of the same name", async () => {
    const p = policy('limit', 'object.metadata.name != params.data.forbidden');
    (p.spec as Record<string, unknown>).paramKind = { apiVersion: 'v1', kind: 'ConfigMap' };
    const b = binding('limit', ['Deny'], { paramRef: { name: 'rules', namespace: 'cfg', parameterNotFoundAction: 'Allow' } });
    const serverParam = cm('rules', { forbidden: 'good' }, 'cfg').object;
    const sources = [{ origin: 'server x', objects: [p, b, serverParam] }];
    expect((await evaluatePolicies(sources, [cm('good', {}), cm('bad', {})])).violations.map((v) => v.object)).toEqual(['v1/ConfigMap/app/good']);
    expect((await evaluatePolicies(sources, [cm('rules', { forbidden: 'bad' }, 'cfg'), cm('good', {}), cm('bad', {})])).violations.map((v) => v.object)).toEqual(['v1/ConfigMap/app/bad']);
  });

  it('skips kinds berth does not serve', async () => {
    const crd: RenderedObject = { object: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }, source: { file: 'w.yaml', line: 1 } };
    expect((await evaluatePolicies(lib(policy('never', 'false'), binding('never', ['Deny'])), [crd])).violations).toEqual([]);
  });
});

describe('mergePolicySources', () => {
  it.each([
    { name: 'disjoint', sources: [['a', 'l'], ['b', 's']], want: [['a', 'l'], ['b', 's']] },
    { name: 'later wins', sources: [['a', 'l'], ['a', 's']], want: [['a', 's']] },
    { name: 'three sources', sources: [['a', 'l'], ['b', 'd'], ['a', 's'], ['b', 's']], want: [['a', 's'], ['b', 's']] },
  ])('$name', ({ sources, want }) => {
    const m = mergePolicySources(sources.map(([name, origin]) => ({ origin, objects: [policy(name, 'true')] })));
    expect(m.objects.map((o) => [o.metadata?.name, m.origins.get(`ValidatingAdmissionPolicy//${o.metadata?.name}`)])).toEqual(want);
  });
});
