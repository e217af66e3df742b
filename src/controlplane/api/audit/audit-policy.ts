/**
 * Which requests the audit log records, and how much of each: Kubernetes' audit Policy
 * (audit.k8s.io/v1) — rules in order, the first that matches a request decides its level (None,
 * Metadata, Request, RequestResponse) and which stages are left out. A pure module: the file is
 * read once at start-up and checked, so a typo fails `berth up` with the file and the rule named.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type AuditLevel = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
export type AuditStage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';

const LEVELS: readonly AuditLevel[] = ['None', 'Metadata', 'Request', 'RequestResponse'];
const STAGES: readonly AuditStage[] = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];

/** A group and resources in it, as audit Policy rules name them (`pods`, `pods/log`, `*\/scale`, `pods/*`). */
export interface GroupResources {
  group?: string;
  resources?: string[];
  resourceNames?: string[];
}

export interface PolicyRule {
  level: AuditLevel;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  namespaces?: string[];
  nonResourceURLs?: string[];
  omitStages?: AuditStage[];
}

export interface AuditPolicy {
  apiVersion?: string;
  kind?: string;
  rules: PolicyRule[];
  omitStages?: AuditStage[];
}

/** What the level decision reads of a request. */
export interface AuditAttributes {
  user: { username: string; groups: string[] };
  verb: string;
  resourceRequest: boolean;
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  path?: string;
}

export interface AuditDecision {
  level: AuditLevel;
  omitStages: ReadonlySet<AuditStage>;
}

/**
 * berth's default: every request at Metadata (who, what, the decision, the code — no bodies), the
 * RequestReceived stage left out, as most clusters' policies start.
 */
export const DEFAULT_AUDIT_POLICY: AuditPolicy = { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived'], rules: [{ level: 'Metadata' }] };

function resourceMatches(gr: GroupResources, a: AuditAttributes): boolean {
  if ((gr.group ?? '') !== (a.group ?? '') && gr.group !== '*') return false;
  if (gr.resourceNames?.length && !gr.resourceNames.includes(a.name ?? '')) return false;
  if (!gr.resources?.length) return true;
  const full = a.subresource ? `${a.resource}/${a.subresource}` : (a.resource ?? '');
  return gr.resources.some((r) => r === '*' || r === full || (r === `${a.resource}/*`) || (a.subresource !== undefined && r === `*/${a.subresource}`));
}

function urlMatches(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : pattern === path;
}

/** Kubernetes' rule matching (apiserver/pkg/audit/policy/checker.go). */
export function ruleMatches(r: PolicyRule, a: AuditAttributes): boolean {
  if (r.users?.length && !r.users.includes(a.user.username)) return false;
  if (r.userGroups?.length && !r.userGroups.some((g) => a.user.groups.includes(g))) return false;
  if (r.verbs?.length && !r.verbs.includes(a.verb)) return false;
  if (r.namespaces?.length || r.resources?.length) {
    if (!a.resourceRequest) return false;
    if (r.namespaces?.length && !r.namespaces.includes(a.namespace ?? '')) return false;
    if (r.resources?.length && !r.resources.some((gr) => resourceMatches(gr, a))) return false;
  }
  if (r.nonResourceURLs?.length) {
    if (a.resourceRequest || !r.nonResourceURLs.some((p) => urlMatches(p, a.path ?? ''))) return false;
  }
  return true;
}

/** The level and omitted stages for a request: the first rule that matches, else None. */
export function auditDecision(policy: AuditPolicy, a: AuditAttributes): AuditDecision {
  for (const r of policy.rules) {
    if (ruleMatches(r, a)) return { level: r.level, omitStages: new Set([...(policy.omitStages ?? []), ...(r.omitStages ?? [])]) };
  }
  return { level: 'None', omitStages: new Set() };
}

/** Checks a parsed policy; throws naming `where` (the file) and the rule. */
export function checkAuditPolicy(v: unknown, where: string): AuditPolicy {
  const p = v as AuditPolicy;
  if (typeof p !== 'object' || p === null) throw new Error(`${where}: not an audit Policy (expected apiVersion: audit.k8s.io/v1, kind: Policy)`);
  if (p.kind !== 'Policy' || !['audit.k8s.io/v1', 'audit.k8s.io/v1beta1'].includes(p.apiVersion ?? '')) throw new Error(`${where}: expected apiVersion: audit.k8s.io/v1 and kind: Policy, got ${p.apiVersion ?? '(none)'} ${p.kind ?? '(none)'}`);
  if (!Array.isArray(p.rules) || p.rules.length === 0) throw new Error(`${where}: rules: at least one rule is required (an empty policy logs nothing; use level: None rules to leave requests out)`);
  const stages = (field: string, s: unknown) => {
    if (s === undefined) return;
    if (!Array.isArray(s)) throw new Error(`${where}: ${field}: must be a list of stages`);
    for (const x of s) if (!STAGES.includes(x as AuditStage)) throw new Error(`${where}: ${field}: unknown stage ${JSON.stringify(x)} (one of ${STAGES.join(', ')})`);
  };
  stages('omitStages', p.omitStages);
  p.rules.forEach((r, i) => {
    if (!LEVELS.includes(r?.level)) throw new Error(`${where}: rules[${i}].level: ${JSON.stringify(r?.level)} is not one of ${LEVELS.join(', ')}`);
    stages(`rules[${i}].omitStages`, r.omitStages);
    for (const f of ['users', 'userGroups', 'verbs', 'namespaces', 'nonResourceURLs'] as const) {
      if (r[f] !== undefined && !Array.isArray(r[f])) throw new Error(`${where}: rules[${i}].${f}: must be a list of strings`);
    }
    if ((r.resources?.length || r.namespaces?.length) && r.nonResourceURLs?.length) throw new Error(`${where}: rules[${i}]: resources/namespaces and nonResourceURLs cannot be in the same rule`);
  });
  return p;
}

/** Reads and checks an audit Policy file (YAML or JSON). */
export function loadAuditPolicy(file: string): AuditPolicy {
  let v: unknown;
  try {
    v = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`audit policy ${file}: ${(e as Error).message}`);
  }
  return checkAuditPolicy(v, `audit policy ${file}`);
}
