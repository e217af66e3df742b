import { describe, expect, it } from 'vitest';
import type { AdmissionAttributes, AdmissionOperation } from '../../controlplane/api/admission.js';
import { registry } from '../../controlplane/resources/registry.js';
import { matchesResources, type MatchResources } from './match.js';

const attrs = (apiVersion: string, kind: string, operation: AdmissionOperation, name = 'x', subresource?: string): AdmissionAttributes => {
  const type = registry.findKind(apiVersion, kind)!;
  return { operation, type, subresource, namespace: type.namespaced ? 'ns' : '', name, object: { apiVersion, kind, metadata: { name, labels: { app: 'web' } } }, user: { username: 'u', groups: [] }, dryRun: false, warnings: [] };
};

describe('matchesResources', () => {
  // one stored MatchResources checked against many requests: each verdict must follow the request
  const mr: MatchResources = {
    resourceRules: [
      { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments', 'deployments/scale'] },
      { apiGroups: [''], apiVersions: ['*'], operations: ['*'], resources: ['configmaps'], resourceNames: ['allowed'] },
    ],
    excludeResourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'], scope: 'Cluster' }],
  };
  const cases: [string, AdmissionAttributes, boolean][] = [
    ['a Deployment create', attrs('apps/v1', 'Deployment', 'CREATE'), true],
    ['a Deployment update', attrs('apps/v1', 'Deployment', 'UPDATE'), false],
    ['a Deployment create again', attrs('apps/v1', 'Deployment', 'CREATE'), true],
    ['the scale subresource', attrs('apps/v1', 'Deployment', 'CREATE', 'x', 'scale'), true],
    ['the status subresource', attrs('apps/v1', 'Deployment', 'CREATE', 'x', 'status'), false],
    ['a StatefulSet create', attrs('apps/v1', 'StatefulSet', 'CREATE'), false],
    ['the ConfigMap named in resourceNames', attrs('v1', 'ConfigMap', 'DELETE', 'allowed'), true],
    ['another ConfigMap', attrs('v1', 'ConfigMap', 'DELETE', 'other'), false],
    ['the named ConfigMap again', attrs('v1', 'ConfigMap', 'DELETE', 'allowed'), true],
  ];
  for (const [name, a, want] of cases) it(`${name}: ${want}`, () => expect(matchesResources(mr, a, undefined, true)).toBe(want));

  it('selects by object labels, on the object or the old object', () => {
    const sel: MatchResources = { objectSelector: { matchLabels: { app: 'web' } } };
    const a = attrs('apps/v1', 'Deployment', 'UPDATE');
    expect(matchesResources(sel, a, undefined, false)).toBe(true);
    expect(matchesResources(sel, { ...a, object: { metadata: { labels: {} } }, oldObject: undefined }, undefined, false)).toBe(false);
    expect(matchesResources(sel, { ...a, object: { metadata: { labels: {} } }, oldObject: { metadata: { labels: { app: 'web' } } } }, undefined, false)).toBe(true);
  });

  it('requires resourceRules of a policy, not of a binding', () => {
    expect(matchesResources({}, attrs('apps/v1', 'Deployment', 'CREATE'), undefined, true)).toBe(false);
    expect(matchesResources({}, attrs('apps/v1', 'Deployment', 'CREATE'), undefined, false)).toBe(true);
  });
});
