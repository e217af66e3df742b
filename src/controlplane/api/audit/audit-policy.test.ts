import { describe, expect, it } from 'vitest';
import { auditDecision, checkAuditPolicy, DEFAULT_AUDIT_POLICY, type AuditAttributes, type AuditPolicy } from './audit-policy.js';

const alice = { username: 'alice', groups: ['dev', 'system:authenticated'] };
const req = (o: Partial<AuditAttributes>): AuditAttributes => ({ user: alice, verb: 'get', resourceRequest: true, group: '', resource: 'pods', namespace: 'shop', name: 'web', ...o });

/** Kubernetes' documented example policy, shortened. */
const policy: AuditPolicy = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    { level: 'RequestResponse', resources: [{ group: '', resources: ['pods'] }] },
    { level: 'Metadata', resources: [{ group: '', resources: ['pods/log', 'pods/status'] }] },
    { level: 'None', resources: [{ group: '', resources: ['configmaps'], resourceNames: ['controller-leader'] }] },
    { level: 'None', users: ['system:kube-proxy'], verbs: ['watch'], resources: [{ group: '', resources: ['endpoints', 'services'] }] },
    { level: 'None', userGroups: ['system:authenticated'], nonResourceURLs: ['/api*', '/version'] },
    { level: 'Request', resources: [{ group: '', resources: ['configmaps'] }], namespaces: ['kube-system'] },
    { level: 'Metadata', resources: [{ group: '', resources: ['secrets', 'configmaps'] }] },
    { level: 'Request', resources: [{ group: '' }, { group: 'extensions' }] },
    { level: 'Metadata', omitStages: ['ResponseStarted'] },
  ],
};

describe('audit policy: the first matching rule decides', () => {
  const cases: [string, AuditAttributes, string][] = [
    ['pods at RequestResponse', req({}), 'RequestResponse'],
    ['pods/log by its subresource rule (pods does not cover pods/log)', req({ subresource: 'log' }), 'Metadata'],
    ['a named configmap left out', req({ resource: 'configmaps', name: 'controller-leader' }), 'None'],
    ['another configmap in kube-system at Request', req({ resource: 'configmaps', name: 'x', namespace: 'kube-system' }), 'Request'],
    ['a configmap elsewhere at Metadata', req({ resource: 'configmaps', name: 'x' }), 'Metadata'],
    ['kube-proxy watching services left out', req({ user: { username: 'system:kube-proxy', groups: [] }, verb: 'watch', resource: 'services' }), 'None'],
    ['kube-proxy listing services: the verb does not match', req({ user: { username: 'system:kube-proxy', groups: [] }, verb: 'list', resource: 'services' }), 'Request'],
    ['a non-resource URL by prefix', { user: alice, verb: 'get', resourceRequest: false, path: '/apis/apps/v1' }, 'None'],
    ['a resource rule does not match a non-resource request', { user: { username: 'x', groups: [] }, verb: 'get', resourceRequest: false, path: '/healthz' }, 'Metadata'],
    ['any core resource at Request', req({ resource: 'services' }), 'Request'],
    ['another group falls through to the catch-all', req({ group: 'apps', resource: 'deployments' }), 'Metadata'],
  ];
  for (const [name, a, level] of cases) it(name, () => expect(auditDecision(policy, a).level).toBe(level));

  it('joins the policy-wide and the rule omitStages', () => {
    expect([...auditDecision(policy, req({ group: 'apps', resource: 'deployments' })).omitStages].sort()).toEqual(['RequestReceived', 'ResponseStarted']);
  });

  it('matches `*/scale` and `pods/*`', () => {
    const p: AuditPolicy = { rules: [{ level: 'Request', resources: [{ group: 'apps', resources: ['*/scale'] }, { group: '', resources: ['pods/*'] }] }] };
    expect(auditDecision(p, req({ group: 'apps', resource: 'deployments', subresource: 'scale' })).level).toBe('Request');
    expect(auditDecision(p, req({ subresource: 'exec' })).level).toBe('Request');
    expect(auditDecision(p, req({ group: 'apps', resource: 'deployments' })).level).toBe('None');
  });

  it('logs nothing that no rule matches; the default logs everything at Metadata', () => {
    expect(auditDecision({ rules: [{ level: 'Metadata', users: ['bob'] }] }, req({})).level).toBe('None');
    expect(auditDecision(DEFAULT_AUDIT_POLICY, req({})).level).toBe('Metadata');
  });
});

describe('audit policy: checked when loaded', () => {
  const bad: [string, unknown, RegExp][] = [
    ['another kind', { apiVersion: 'v1', kind: 'ConfigMap' }, /expected apiVersion: audit.k8s.io\/v1 and kind: Policy/],
    ['no rules', { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [] }, /rules: at least one rule is required/],
    ['an unknown level', { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Everything' }] }, /rules\[0\]\.level: "Everything" is not one of None, Metadata/],
    ['an unknown stage', { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'None' }, { level: 'Metadata', omitStages: ['Done'] }] }, /rules\[1\]\.omitStages: unknown stage "Done"/],
    ['resources with nonResourceURLs', { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'None', resources: [{ group: '' }], nonResourceURLs: ['/x'] }] }, /rules\[0\]: resources\/namespaces and nonResourceURLs cannot be in the same rule/],
  ];
  for (const [name, v, msg] of bad) it(`refuses ${name}, naming the file`, () => expect(() => checkAuditPolicy(v, 'audit policy p.yaml')).toThrow(new RegExp(`^audit policy p.yaml: ${msg.source}`)));
});
