/**
 * RBAC checks (rbac/validation): rules need verbs and either resources with API groups or
 * non-resource URLs (cluster roles only); bindings point at a Role/ClusterRole in
 * rbac.authorization.k8s.io, their subjects are ServiceAccounts, Users or Groups, and roleRef
 * never changes.
 */
import type { ClusterRoleBinding, PolicyRule, RoleBinding, Subject } from 'kubernetes-types/rbac/v1.js';
import type { StatusCause } from '../../api/errors.js';
import { jsonEqual } from '../object.js';
import { child, index, invalid, notSupported, required } from './field.js';
import { isDNS1123Subdomain, nameIsPathSegment } from './names.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

export function validateRules(rules: PolicyRule[] | undefined, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  (rules ?? []).forEach((r, i) => {
    const path = index('rules', i);
    if (!r.verbs?.length) causes.push(required(child(path, 'verbs'), 'verbs must contain at least one value'));
    if (r.nonResourceURLs?.length) {
      if (namespaced) causes.push(invalid(child(path, 'nonResourceURLs'), r.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
      if (r.apiGroups?.length || r.resources?.length || r.resourceNames?.length) {
        causes.push(invalid(child(path, 'nonResourceURLs'), r.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
      }
      return;
    }
    if (!r.apiGroups?.length) causes.push(required(child(path, 'apiGroups'), 'resource rules must supply at least one api group'));
    if (!r.resources?.length) causes.push(required(child(path, 'resources'), 'resource rules must supply at least one resource'));
  });
  return causes;
}

function validateSubject(s: Subject, path: string, clusterBinding: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!s.name) causes.push(required(child(path, 'name')));
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.apiGroup) causes.push(notSupported(child(path, 'apiGroup'), s.apiGroup, ['']));
      if (s.name) for (const msg of isDNS1123Subdomain(s.name)) causes.push(invalid(child(path, 'name'), s.name, msg));
      if (clusterBinding && !s.namespace) causes.push(required(child(path, 'namespace')));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RBAC_GROUP) causes.push(notSupported(child(path, 'apiGroup'), s.apiGroup ?? '', [RBAC_GROUP]));
      break;
    default:
      causes.push(notSupported(child(path, 'kind'), s.kind, ['ServiceAccount', 'User', 'Group']));
  }
  return causes;
}

/** RoleBinding (`clusterBinding` false) or ClusterRoleBinding. */
export function validateBinding(b: RoleBinding | ClusterRoleBinding, clusterBinding: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const ref = b.roleRef ?? ({} as RoleBinding['roleRef']);
  if (ref.apiGroup !== RBAC_GROUP) causes.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = clusterBinding ? ['ClusterRole'] : ['Role', 'ClusterRole'];
  if (!kinds.includes(ref.kind)) causes.push(notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) causes.push(required('roleRef.name'));
  else for (const msg of nameIsPathSegment(ref.name, false)) causes.push(invalid('roleRef.name', ref.name, msg));
  (b.subjects ?? []).forEach((s, i) => causes.push(...validateSubject(s, index('subjects', i), clusterBinding)));
  return causes;
}

export function validateBindingUpdate(b: RoleBinding | ClusterRoleBinding, old: RoleBinding | ClusterRoleBinding): StatusCause[] {
  return jsonEqual(b.roleRef, old.roleRef) ? [] : [invalid('roleRef', b.roleRef, 'cannot change roleRef')];
}
