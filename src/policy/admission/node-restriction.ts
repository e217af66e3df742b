/**
 * NodeRestriction, the part berth needs: a node agent (`system:node:<name>` in system:nodes) may
 * write Secrets in kube-node-lease — RBAC grants that to the whole group, as a role cannot name a
 * Secret per node (resourceNames neither restricts create nor varies by user) — but only its own
 * agent key, `berth-agent-<name>`. Without this any node could replace another node's key and cut
 * the API server off from that node's pods.
 */
import type { AdmissionPlugin, AdmissionAttributes } from '../../controlplane/api/admission.js';
import { errors } from '../../controlplane/api/errors.js';
import type { UserInfo } from '../../controlplane/api/request.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const NODES_GROUP = 'system:nodes';

/** The Secret (in kube-node-lease) holding the key an agent's server accepts from the API server. */
export function agentKeySecretName(nodeName: string): string {
  return `berth-agent-${nodeName}`;
}

/** The node a user is, as Kubernetes' node identifier reads it; undefined for anyone else. */
export function nodeOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.username.startsWith('system:node:')) return undefined;
  return user.username.slice('system:node:'.length) || undefined;
}

export function nodeRestrictionPlugin(): AdmissionPlugin {
  return {
    name: 'NodeRestriction',
    validate(a: AdmissionAttributes) {
      const node = nodeOf(a.user);
      if (!node || a.type.group !== '' || a.type.resource !== 'secrets' || a.namespace !== NODE_LEASE_NAMESPACE) return;
      if (a.name === agentKeySecretName(node)) return;
      throw errors.forbidden(`node "${node}" is not allowed to modify secret ${a.namespace}/${a.name}: a node writes only its own agent key, ${agentKeySecretName(node)}`);
    },
  };
}
