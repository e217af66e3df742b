/** Offline policy verdicts: each binding evaluated on its own, its actions reported, namespaces and params from the objects. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../controlplane/resources/types.js';
import type { RenderedObject } from '../render/index.js';
import { evaluatePolicies } from './policies.js';

const policy = (name: string, expression: string): KubeObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name },
  spec: {
    matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'] }] },
    validations: [{ expression, message: `${name} failed` }],
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
    const vs = await evaluatePolicies([policy('needs-ok', "has(object.data) && 'ok' in object.data"), binding('needs-ok', actions)], [cm('a', data as Record<string, string>, 'app', 5)]);
    expect(vs.map((v) => v.actions)).toEqual(want);
    for (const v of vs) expect(v).toMatchObject({ policy: 'needs-ok', binding: 'needs-ok', object: 'v1/ConfigMap/app/a', message: 'needs-ok failed', source: { file: 'cms.yaml', line: 5 } });
  });

  it('reports every failing binding, not only the first', async () => {
    const vs = await evaluatePolicies([policy('p1', 'false'), binding('p1', ['Deny']), policy('p2', 'false'), binding('p2', ['Warn'])], [cm('a', {})]);
    expect(vs.map((v) => v.policy).sort()).toEqual(['p1', 'p2']);
  });

  it('matches namespaceSelector against the namespace named by the object', async () => {
    const b = binding('never', ['Deny'], { matchResources: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }] } } });
    const vs = await evaluatePolicies([policy('never', 'false'), b], [cm('a', {}, 'kube-system'), cm('b', {}, 'app')]);
    expect(vs.map((v) => v.object)).toEqual(['v1/ConfigMap/app/b']);
  });

  it('takes params from the revision own objects', async () => {
    const p = policy('limit', "object.metadata.name != params.data.forbidden");
    (p.spec as Record<string, unknown>).paramKind = { apiVersion: 'v1', kind: 'ConfigMap' };
    const b = binding('limit', ['Deny'], { paramRef: { name: 'rules', namespace: 'cfg', parameterNotFoundAction: 'Allow' } });
    const vs = await evaluatePolicies([p, b], [cm('rules', { forbidden: 'bad' }, 'cfg'), cm('bad', {}), cm('good', {})]);
    expect(vs.map((v) => v.object)).toEqual(['v1/ConfigMap/app/bad']);
  });

  it('skips kinds berth does not serve', async () => {
    const crd: RenderedObject = { object: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }, source: { file: 'w.yaml', line: 1 } };
    expect(await evaluatePolicies([policy('never', 'false'), binding('never', ['Deny'])], [crd])).toEqual([]);
  });
});
