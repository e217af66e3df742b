/**
 * ClusterRole aggregation (Kubernetes' clusterrole-aggregation controller): a ClusterRole with an
 * `aggregationRule` gets the union of the rules of every ClusterRole its selectors match. The rules
 * are computed by a pure function; the controller writes them back whenever a role changes, so
 * chains (view → edit → admin) settle after a few rounds.
 */
import type { ClusterRole, PolicyRule } from 'kubernetes-types/rbac/v1.js';
import { selectorMatches } from '../../controlplane/resources/selectors.js';

/** The rules `target` should hold given all cluster roles, without duplicates, in a stable order. */
export function aggregateRules(target: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] {
  const selectors = target.aggregationRule?.clusterRoleSelectors ?? [];
  const out: PolicyRule[] = [];
  const seen = new Set<string>();
  const sorted = [...all].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  for (const role of sorted) {
    if (role.metadata?.name === target.metadata?.name) continue;
    if (!selectors.some((s) => selectorMatches(s, role.metadata?.labels))) continue;
    for (const r of role.rules ?? []) {
      const key = JSON.stringify(r);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(r);
    }
  }
  return out;
}

/** The aggregated roles whose stored rules differ from what aggregation gives, with their new rules. */
export function aggregationChanges(all: readonly ClusterRole[]): { role: ClusterRole; rules: PolicyRule[] }[] {
  const out: { role: ClusterRole; rules: PolicyRule[] }[] = [];
  for (const role of all) {
    if (!role.aggregationRule) continue;
    const rules = aggregateRules(role, all);
    if (JSON.stringify(rules) !== JSON.stringify(role.rules ?? [])) out.push({ role, rules });
  }
  return out;
}
