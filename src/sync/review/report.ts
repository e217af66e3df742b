/**
 * The review of a change as data: which objects a head revision adds, changes and removes against a
 * base revision (keyed by apiVersion/kind/namespace/name), and the admission policies' verdicts on
 * the head objects. Pure, so it has table tests; the formatters turn it into text, Markdown, JSON
 * and SARIF.
 */
import type { KubeObject } from '../../controlplane/resources/types.js';
import { unifiedYamlDiff } from '../diff/index.js';
import type { RenderedObject } from '../render/index.js';

/** Where a manifest was written: repository-relative file and 1-based line. */
export interface SourceLocation {
  file: string;
  line: number;
}

/** An object's identity in a review: `apiVersion/kind/namespace/name` (namespace '' when cluster-scoped). */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/** An object the head revision adds or the base revision had and the head removes. */
export interface ObjectEntry extends ObjectRef {
  /** the key, `apiVersion/kind/namespace/name` */
  id: string;
  source: SourceLocation;
}

/** An object both revisions have, with the unified YAML diff between them. */
export interface ChangedEntry extends ObjectEntry {
  /** `--- base` / `+++ head` hunks */
  diff: string;
}

/** The actions a policy binding takes on a violation. */
export type PolicyAction = 'Deny' | 'Warn' | 'Audit';

/** One policy's violation by one head object. */
export interface PolicyViolation {
  policy: string;
  binding: string;
  /** the binding's validationActions; a violation with Deny fails the review */
  actions: PolicyAction[];
  object: string;
  message: string;
  source: SourceLocation;
  /** where the binding came from: `library`, a policy directory, `server https://…` */
  origin: string;
}

/** A ValidatingAdmissionPolicyBinding the review evaluated, and where it came from. */
export interface EvaluatedBinding {
  binding: string;
  policy: string;
  actions: PolicyAction[];
  origin: string;
}

/** The verbs a sync needs on the objects a change adds, changes and removes. */
export type AccessVerb = 'create' | 'update' | 'delete';

/** Whether the deploying identity may do what the change needs to one object (a SubjectAccessReview). */
export interface AccessCheck {
  object: string;
  verb: AccessVerb;
  allowed: boolean;
  /** the authorizer's reason, or why the check could not be made */
  reason: string;
  source: SourceLocation;
}

/** The identity RBAC was checked for. */
export interface Subject {
  user: string;
  groups: string[];
}

/** The review of head against base. Arrays are sorted, so the JSON form is stable. */
export interface ReviewReport {
  base: string;
  head: string;
  added: ObjectEntry[];
  changed: ChangedEntry[];
  removed: ObjectEntry[];
  /** objects both revisions render the same */
  unchanged: number;
  violations: PolicyViolation[];
  /** the bindings evaluated, by name */
  policies: EvaluatedBinding[];
  /** RBAC, when a server was asked: the identity and one check per added, changed and removed object */
  access?: { subject: Subject; checks: AccessCheck[] };
  /** true when no violation carries the Deny action and RBAC forbids nothing */
  passed: boolean;
  /** one line: counts of changes and violations */
  summary: string;
}

/** The key of an object in a review. */
export function objectId(o: KubeObject): string {
  return `${o.apiVersion ?? ''}/${o.kind ?? ''}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

function entry(r: RenderedObject): ObjectEntry {
  const o = r.object;
  return {
    id: objectId(o),
    apiVersion: o.apiVersion ?? '',
    kind: o.kind ?? '',
    namespace: o.metadata?.namespace ?? '',
    name: o.metadata?.name ?? '',
    source: { file: r.source.file, line: r.source.line },
  };
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Whether a violation fails the review. */
export function isDeny(v: PolicyViolation): boolean {
  return v.actions.includes('Deny');
}

/** The changes between `base` and `head` objects: added, changed (with a YAML diff), removed, and how many are the same. */
export function compareRevisions(revisions: { base: string; head: string }, base: RenderedObject[], head: RenderedObject[]): Pick<ReviewReport, 'added' | 'changed' | 'removed' | 'unchanged'> {
  const before = new Map(base.map((r) => [objectId(r.object), r]));
  const after = new Map(head.map((r) => [objectId(r.object), r]));
  const added: ObjectEntry[] = [];
  const changed: ChangedEntry[] = [];
  const removed: ObjectEntry[] = [];
  let unchanged = 0;
  for (const [id, r] of after) {
    const old = before.get(id);
    if (!old) {
      added.push(entry(r));
      continue;
    }
    // most objects of a change are untouched: equal JSON needs no YAML diff
    if (JSON.stringify(old.object) === JSON.stringify(r.object)) {
      unchanged++;
      continue;
    }
    const d = unifiedYamlDiff(old.object, r.object, { live: `${revisions.base} ${old.source.file}`, desired: `${revisions.head} ${r.source.file}` });
    if (d === '') unchanged++;
    else changed.push({ ...entry(r), diff: d });
  }
  for (const [id, r] of before) if (!after.has(id)) removed.push(entry(r));
  return { added: added.sort(byId), changed: changed.sort(byId), removed: removed.sort(byId), unchanged };
}

/** The verb a sync needs for each change: create what is added, update what changed, delete what is removed. */
export function accessNeeds(changes: Pick<ReviewReport, 'added' | 'changed' | 'removed'>): { verb: AccessVerb; entry: ObjectEntry }[] {
  return [
    ...changes.added.map((entry) => ({ verb: 'create' as const, entry })),
    ...changes.changed.map((entry) => ({ verb: 'update' as const, entry })),
    ...changes.removed.map((entry) => ({ verb: 'delete' as const, entry })),
  ];
}

/**
 * The review of `head` against `base` objects, with the policy violations on head, the bindings
 * evaluated and (when a server was asked) the RBAC checks.
 */
export function buildReport(
  revisions: { base: string; head: string },
  base: RenderedObject[],
  head: RenderedObject[],
  violations: PolicyViolation[],
  policies: EvaluatedBinding[] = [],
  access?: { subject: Subject; checks: AccessCheck[] },
): ReviewReport {
  const { added, changed, removed, unchanged } = compareRevisions(revisions, base, head);
  const sorted = [...violations].sort((a, b) => byId({ id: `${a.object} ${a.policy} ${a.binding} ${a.message}` }, { id: `${b.object} ${b.policy} ${b.binding} ${b.message}` }));
  const denies = sorted.filter(isDeny).length;
  const checks = access && { subject: access.subject, checks: [...access.checks].sort((a, b) => byId({ id: `${a.object} ${a.verb}` }, { id: `${b.object} ${b.verb}` })) };
  const forbidden = checks?.checks.filter((c) => !c.allowed).length ?? 0;
  const passed = denies === 0 && forbidden === 0;
  const summary =
    `${passed ? 'PASS' : 'FAIL'}: ${added.length} added, ${changed.length} changed, ${removed.length} removed; ` +
    `${denies} denied, ${sorted.length - denies} warning/audit ${plural(sorted.length - denies, 'violation')}` +
    (checks ? `; RBAC for ${checks.subject.user}: ${forbidden} of ${checks.checks.length} forbidden` : '');
  return {
    ...revisions,
    added,
    changed,
    removed,
    unchanged,
    violations: sorted,
    policies: [...policies].sort((a, b) => byId({ id: a.binding }, { id: b.binding })),
    ...(checks ? { access: checks } : {}),
    passed,
    summary,
  };
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
