/**
 * RBAC rule matching, exactly as Kubernetes' rbac/v1 helpers: which rules allow a request, and
 * whether one set of rules covers another (the escalation check). Pure functions over plain rule
 * objects, so the authorizer, the escalation check and the rules review share them.
 */
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import type { AuthorizationAttributes } from '../../controlplane/api/admission.js';

export type { PolicyRule };

/** The request attributes rule matching looks at (AuthorizationAttributes without the user). */
export type RuleRequest = Omit<AuthorizationAttributes, 'user'>;

const has = (list: readonly string[] | undefined, v: string): boolean => list !== undefined && (list.includes('*') || list.includes(v));

/** `verbs` lists the verb or `*`. */
export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return has(rule.verbs, verb);
}

/** `apiGroups` lists the group (`""` is core) or `*`. */
export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return has(rule.apiGroups, group);
}

/**
 * `resources` lists `*`, the resource (`pods`), the resource with its subresource (`pods/log`), or
 * `*\/log` for that subresource of any resource. `pods` alone does not allow `pods/log`.
 */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

/** An empty `resourceNames` allows every name; otherwise the request must name one of them. */
export function resourceNameMatches(rule: PolicyRule, name: string | undefined): boolean {
  if (!rule.resourceNames || rule.resourceNames.length === 0) return true;
  return name !== undefined && rule.resourceNames.includes(name);
}

/** `nonResourceURLs` lists the path, `*`, or a prefix ending in `*` (`/healthz/*`). */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

/** Whether `rule` allows the request (Kubernetes' RuleAllows). */
export function ruleAllows(rule: PolicyRule, req: RuleRequest): boolean {
  if (!verbMatches(rule, req.verb)) return false;
  if (req.resourceRequest) {
    return apiGroupMatches(rule, req.group ?? '') && resourceMatches(rule, req.resource ?? '', req.subresource) && resourceNameMatches(rule, req.name);
  }
  return nonResourceURLMatches(rule, req.path ?? '');
}

/** Whether any of `rules` allows the request. */
export function rulesAllow(rules: readonly PolicyRule[], req: RuleRequest): boolean {
  for (const r of rules) if (ruleAllows(r, req)) return true;
  return false;
}

/**
 * Splits rules into rules of one verb, one group, one resource and one name (or one URL), as
 * Kubernetes' BreakdownRule does: a request for many things is covered when each piece is.
 */
export function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const verb of rule.verbs ?? []) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        if (rule.resourceNames && rule.resourceNames.length > 0) {
          for (const name of rule.resourceNames) out.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name] });
        } else {
          out.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
        }
      }
    }
    for (const url of rule.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
  }
  return out;
}

function coversList(owner: readonly string[] | undefined, requested: string): boolean {
  return (owner ?? []).includes('*') || (owner ?? []).includes(requested);
}

function resourceCovers(owner: PolicyRule, requested: string): boolean {
  for (const r of owner.resources ?? []) {
    if (r === '*' || r === requested) return true;
    const slash = requested.indexOf('/');
    if (slash >= 0 && r === `*${requested.slice(slash)}`) return true;
  }
  return false;
}

function urlCovers(owner: PolicyRule, requested: string): boolean {
  for (const u of owner.nonResourceURLs ?? []) {
    if (u === '*' || u === requested) return true;
    if (u.endsWith('*') && requested.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

/** Whether one owner rule covers one atomic requested rule (from `breakdown`). */
function ruleCovers(owner: PolicyRule, req: PolicyRule): boolean {
  if (!coversList(owner.verbs, req.verbs![0])) return false;
  if (req.nonResourceURLs?.length) return urlCovers(owner, req.nonResourceURLs[0]);
  if (!coversList(owner.apiGroups, req.apiGroups![0])) return false;
  if (!resourceCovers(owner, req.resources![0])) return false;
  if (!owner.resourceNames || owner.resourceNames.length === 0) return true;
  return (req.resourceNames?.length ?? 0) > 0 && owner.resourceNames.includes(req.resourceNames![0]);
}

/**
 * Whether `owner` rules cover every permission in `requested` (Kubernetes' validation.Covers).
 * Returns the requested atomic rules that are not covered; empty means covered.
 */
export function uncovered(owner: readonly PolicyRule[], requested: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of requested) {
    for (const atom of breakdown(rule)) {
      if (!owner.some((o) => ruleCovers(o, atom))) missing.push(atom);
    }
  }
  return missing;
}

/** A rule as Kubernetes prints it in escalation errors (`{APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}`). */
export function formatRule(r: PolicyRule): string {
  const parts: string[] = [];
  const q = (l: readonly string[]) => l.map((s) => JSON.stringify(s)).join(' ');
  if (r.apiGroups?.length) parts.push(`APIGroups:[${q(r.apiGroups)}]`);
  if (r.resources?.length) parts.push(`Resources:[${q(r.resources)}]`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:[${q(r.resourceNames)}]`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:[${q(r.nonResourceURLs)}]`);
  parts.push(`Verbs:[${q(r.verbs ?? [])}]`);
  return `{${parts.join(', ')}}`;
}
