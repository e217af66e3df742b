import { describe, expect, it } from 'vitest';
import { ruleAllows, uncovered, type PolicyRule, type RuleRequest } from './rules.js';

const res = (verb: string, group: string, resource: string, extra: Partial<RuleRequest> = {}): RuleRequest => ({ verb, group, resource, resourceRequest: true, ...extra });
const url = (verb: string, path: string): RuleRequest => ({ verb, path, resourceRequest: false });

describe('ruleAllows', () => {
  const cases: [string, PolicyRule, RuleRequest, boolean][] = [
    ['exact verb, group, resource', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('get', '', 'pods'), true],
    ['other verb', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('delete', '', 'pods'), false],
    ['other group', { verbs: ['get'], apiGroups: [''], resources: ['deployments'] }, res('get', 'apps', 'deployments'), false],
    ['verb *', { verbs: ['*'], apiGroups: ['apps'], resources: ['deployments'] }, res('patch', 'apps', 'deployments'), true],
    ['group *', { verbs: ['get'], apiGroups: ['*'], resources: ['deployments'] }, res('get', 'apps', 'deployments'), true],
    ['resource * covers subresources', { verbs: ['get'], apiGroups: [''], resources: ['*'] }, res('get', '', 'pods', { subresource: 'log' }), true],
    ['pods does not cover pods/log', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('get', '', 'pods', { subresource: 'log' }), false],
    ['pods/log', { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, res('get', '', 'pods', { subresource: 'log' }), true],
    ['*/status', { verbs: ['update'], apiGroups: ['*'], resources: ['*/status'] }, res('update', 'apps', 'deployments', { subresource: 'status' }), true],
    ['*/status is not the main resource', { verbs: ['update'], apiGroups: ['*'], resources: ['*/status'] }, res('update', 'apps', 'deployments'), false],
    ['resourceNames match', { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }, res('get', '', 'configmaps', { name: 'a' }), true],
    ['resourceNames other name', { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }, res('get', '', 'configmaps', { name: 'b' }), false],
    ['resourceNames never allow list', { verbs: ['list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }, res('list', '', 'configmaps'), false],
    ['nonResourceURL exact', { verbs: ['get'], nonResourceURLs: ['/healthz'] }, url('get', '/healthz'), true],
    ['nonResourceURL prefix *', { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, url('get', '/apis/apps/v1'), true],
    ['nonResourceURL rule never allows resources', { verbs: ['*'], nonResourceURLs: ['*'] }, res('get', '', 'pods'), false],
    ['resource rule never allows URLs', { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, url('get', '/healthz'), false],
  ];
  for (const [name, rule, req, want] of cases) it(name, () => expect(ruleAllows(rule, req)).toBe(want));
});

describe('uncovered (escalation check)', () => {
  const edit: PolicyRule[] = [{ verbs: ['get', 'list', 'create'], apiGroups: ['', 'apps'], resources: ['pods', 'deployments'] }];
  const cases: [string, PolicyRule[], PolicyRule[], number][] = [
    ['subset is covered', edit, [{ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] }], 0],
    ['extra verb is not', edit, [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }], 1],
    ['wildcard request needs wildcard owner', edit, [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }], 1],
    ['owner * covers everything', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['delete'], apiGroups: ['x'], resources: ['y/z'] }], 0],
    ['owner names restrict', [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }], 1],
    ['named request under named owner', [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }], 0],
    ['owner */scale covers x/scale', [{ verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] }], [{ verbs: ['update'], apiGroups: ['apps'], resources: ['deployments/scale'] }], 0],
    ['URL prefix', [{ verbs: ['get'], nonResourceURLs: ['/api/*'] }], [{ verbs: ['get'], nonResourceURLs: ['/api/v1', '/healthz'] }], 1],
  ];
  for (const [name, owner, requested, missing] of cases) it(name, () => expect(uncovered(owner, requested)).toHaveLength(missing));
});
