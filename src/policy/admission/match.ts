/**
 * Which admission requests an admission policy or binding applies to (Kubernetes' MatchResources):
 * resource rules with operations and scope, exclusions, namespace and object selectors. Pure; the
 * validating and mutating policy plugins share it.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { AdmissionAttributes } from '../../controlplane/api/admission.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { labelSelectorFromObject } from '../../controlplane/store/selectors.js';

/** A resource rule of matchConstraints / matchResources. */
export interface ResourceRule {
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  operations?: string[];
  scope?: string;
  resourceNames?: string[];
}

/** Kubernetes' MatchResources. */
export interface MatchResources {
  resourceRules?: ResourceRule[];
  excludeResourceRules?: ResourceRule[];
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  matchPolicy?: string;
}

/** Parsed selectors of stored policies and bindings (replaced on update, never edited); null: invalid. */
const parsedSelectors = new WeakMap<LabelSelector, ReturnType<typeof labelSelectorFromObject> | null>();

/** Whether `selector` selects `labels` (an invalid selector selects nothing), parsed once per object. */
function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  let s = parsedSelectors.get(selector);
  if (s === undefined) {
    try {
      s = labelSelectorFromObject(selector);
    } catch {
      s = null;
    }
    parsedSelectors.set(selector, s);
  }
  return s !== null && s.matches(labels);
}

const any = (list: readonly string[] | undefined, v: string) => list !== undefined && (list.includes('*') || list.includes(v));

/** `resources` entries split into [resource, subresource], once per stored list (replaced on update, never edited). */
const splitResources = new WeakMap<readonly string[], [string, string | undefined][]>();

function resourceMatches(resources: readonly string[] | undefined, resource: string, sub: string | undefined): boolean {
  if (!resources) return false;
  let split = splitResources.get(resources);
  if (!split) splitResources.set(resources, (split = resources.map((r) => r.split('/', 2) as [string, string | undefined])));
  for (const [res, s] of split) {
    if (s === undefined) {
      if (!sub && (res === '*' || res === resource)) return true;
    } else if ((res === '*' || res === resource) && (s === '*' || s === (sub ?? '\u0000'))) return true;
  }
  return false;
}

/** Whether one rule (apiGroups, apiVersions, resources, operations, scope, resourceNames) matches. */
export function ruleMatches(rule: ResourceRule, a: AdmissionAttributes): boolean {
  if (!any(rule.operations, a.operation)) return false;
  if (!any(rule.apiGroups, a.type.group) || !any(rule.apiVersions, a.type.version)) return false;
  if (!resourceMatches(rule.resources, a.type.resource, a.subresource)) return false;
  const scope = rule.scope ?? '*';
  if (scope === 'Cluster' && a.type.namespaced) return false;
  if (scope === 'Namespaced' && !a.type.namespaced) return false;
  if (rule.resourceNames?.length && !rule.resourceNames.includes(a.name)) return false;
  return true;
}

/**
 * Verdicts of stored rule lists (replaced on update, never edited) per kind of request: with every
 * policy matched against every write, the rules are checked once per resource and operation. Null:
 * a rule names resources (resourceNames), so the verdict depends on the object's name.
 */
const ruleVerdicts = new WeakMap<readonly ResourceRule[], Map<string, boolean> | null>();

/** The kind of each request as ruleVerdicts keys it, built once per request. */
const requestKinds = new WeakMap<AdmissionAttributes, string>();

function requestKind(a: AdmissionAttributes): string {
  let k = requestKinds.get(a);
  if (k === undefined) requestKinds.set(a, (k = `${a.operation} ${a.type.group}/${a.type.version}/${a.type.resource}/${a.subresource ?? ''} ${a.type.namespaced}`));
  return k;
}

/** Whether any of `rules` matches the request. */
function anyRuleMatches(rules: readonly ResourceRule[], a: AdmissionAttributes): boolean {
  let verdicts = ruleVerdicts.get(rules);
  if (verdicts === undefined) ruleVerdicts.set(rules, (verdicts = rules.some((r) => r.resourceNames?.length) ? null : new Map()));
  const key = verdicts && requestKind(a);
  let verdict = key === null ? undefined : verdicts!.get(key);
  if (verdict === undefined) {
    verdict = false;
    for (const r of rules) if ((verdict = ruleMatches(r, a))) break;
    if (key !== null) verdicts!.set(key, verdict);
  }
  return verdict;
}

const NO_RULES: readonly ResourceRule[] = [];

/**
 * Whether `mr` selects the request. `namespaceObject` is the request's namespace (for a Namespace
 * itself, the namespace selector looks at its own labels). `requireRules`: a policy's
 * matchConstraints must list resourceRules; a binding's may leave them out (no constraint).
 */
export function matchesResources(mr: MatchResources | undefined, a: AdmissionAttributes, namespaceObject: KubeObject | undefined, requireRules: boolean): boolean {
  if (!mr) return !requireRules;
  if (mr.resourceRules || requireRules) {
    if (!anyRuleMatches(mr.resourceRules ?? NO_RULES, a)) return false;
  }
  if (mr.excludeResourceRules && anyRuleMatches(mr.excludeResourceRules, a)) return false;
  if (mr.namespaceSelector) {
    const nsLabels = a.type.resource === 'namespaces' && a.type.group === '' ? (a.object ?? a.oldObject)?.metadata?.labels : a.type.namespaced ? namespaceObject?.metadata?.labels : undefined;
    const applies = a.type.namespaced || (a.type.resource === 'namespaces' && a.type.group === '');
    if (applies && !selectorMatches(mr.namespaceSelector, nsLabels ?? {})) return false;
  }
  if (mr.objectSelector) {
    const s = mr.objectSelector;
    if (!(a.object && selectorMatches(s, a.object.metadata?.labels ?? {})) && !(a.oldObject && selectorMatches(s, a.oldObject.metadata?.labels ?? {}))) return false;
  }
  return true;
}

/** The `request` variable of admission CEL (an AdmissionRequest, as Kubernetes builds it). */
export function admissionRequest(a: AdmissionAttributes): Record<string, unknown> {
  const gvk = { group: a.type.group, version: a.type.version, kind: a.type.kind };
  const gvr = { group: a.type.group, version: a.type.version, resource: a.type.resource };
  return {
    kind: gvk,
    resource: gvr,
    subResource: a.subresource ?? '',
    requestKind: gvk,
    requestResource: gvr,
    requestSubResource: a.subresource ?? '',
    name: a.name,
    namespace: a.namespace,
    operation: a.operation,
    userInfo: { username: a.user.username, uid: a.user.uid ?? '', groups: a.user.groups, extra: a.user.extra ?? {} },
    dryRun: a.dryRun,
  };
}
