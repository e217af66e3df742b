/**
 * Kubernetes' RBAC authorizer over the in-memory index, plus the privileged-group shortcut
 * kube-apiserver puts in front of it (system:masters may do everything, even before any binding is
 * loaded). Allows only; RBAC has no deny (AccessPolicy adds that, see access/).
 */
import type { AuthorizationAttributes, AuthorizationDecision, Authorizer } from '../../controlplane/api/admission.js';
import type { RbacIndex } from './rbac-index.js';
import { rulesAllow } from './rules.js';

/** The group whose members are allowed everything (Kubernetes' user.SystemPrivilegedGroup). */
export const MASTERS_GROUP = 'system:masters';

export class RbacAuthorizer implements Authorizer {
  constructor(private readonly index: RbacIndex) {}

  authorize(attrs: AuthorizationAttributes): AuthorizationDecision {
    if (attrs.user.groups.includes(MASTERS_GROUP)) return { allowed: true, reason: `user is in group "${MASTERS_GROUP}"` };
    const namespace = attrs.resourceRequest ? (attrs.namespace ?? '') : '';
    for (const b of this.index.bindingsFor(attrs.user, namespace)) {
      if (rulesAllow(b.rules, attrs)) {
        const kind = b.namespace ? `RoleBinding "${b.binding.metadata?.name}/${b.namespace}"` : `ClusterRoleBinding "${b.binding.metadata?.name}"`;
        return { allowed: true, reason: `RBAC: allowed by ${kind} of ${b.binding.roleRef.kind} "${b.binding.roleRef.name}"` };
      }
    }
    return { allowed: false };
  }
}
