/**
 * Privilege-escalation prevention, as Kubernetes enforces it in the RBAC storage: a Role or
 * ClusterRole can be written only by someone who holds every permission in it (at the same scope)
 * or may `escalate` it; a binding only by someone who holds the referenced role's permissions or may
 * `bind` it. Runs as a validating admission plugin on every write of the four RBAC kinds.
 */
import type { ClusterRole, PolicyRule, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import type { AdmissionAttributes, AdmissionPlugin, Authorizer } from '../../controlplane/api/admission.js';
import { errors } from '../../controlplane/api/errors.js';
import { MASTERS_GROUP } from './authorizer.js';
import type { RbacIndex } from './rbac-index.js';
import { formatRule, uncovered } from './rules.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

export function escalationPlugin(index: RbacIndex, authorizer: Authorizer): AdmissionPlugin {
  const may = async (a: AdmissionAttributes, verb: string, resource: string, name: string, namespace: string) =>
    (await authorizer.authorize({ user: a.user, verb, group: RBAC_GROUP, version: 'v1', resource, namespace: namespace || undefined, name, resourceRequest: true })).allowed;

  const refuse = (a: AdmissionAttributes, missing: PolicyRule[]) => {
    const u = a.user;
    const what = `${a.type.resource}.${RBAC_GROUP} "${a.name}"`;
    const list = missing.map(formatRule).join('\n');
    return errors.forbidden(`${what} is forbidden: user "${u.username}" (groups=${JSON.stringify(u.groups)}) is attempting to grant RBAC permissions not currently held:\n${list}`);
  };

  return {
    name: 'RBACEscalation',
    async validate(a) {
      if (a.type.group !== RBAC_GROUP || (a.operation !== 'CREATE' && a.operation !== 'UPDATE') || !a.object) return;
      if (a.user.groups.includes(MASTERS_GROUP)) return;
      const ns = a.type.namespaced ? a.namespace : '';
      if (a.type.resource === 'roles' || a.type.resource === 'clusterroles') {
        const rules = (a.object as unknown as ClusterRole).rules ?? [];
        const missing = uncovered(index.rulesFor(a.user, ns), rules);
        if (missing.length === 0 || (await may(a, 'escalate', a.type.resource, a.name, ns))) return;
        throw refuse(a, missing);
      }
      if (a.type.resource === 'rolebindings' || a.type.resource === 'clusterrolebindings') {
        const roleRef = (a.object as unknown as RoleBinding).roleRef;
        if (!roleRef) return;
        const roleResource = roleRef.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
        if (await may(a, 'bind', roleResource, roleRef.name, ns)) return;
        const missing = uncovered(index.rulesFor(a.user, ns), index.roleRules(roleRef.kind, roleRef.name, ns));
        if (missing.length === 0) return;
        throw refuse(a, missing);
      }
    },
  };
}
