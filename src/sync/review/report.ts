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
  /** true when no violation carries the Deny action */
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

/** The review of `head` against `base` objects, with the given policy violations on head and the bindings evaluated. */
export function buildReport(revisions: { base: string; head: string }, base: RenderedObject[], head: RenderedObject[], violations: PolicyViolation[], policies: EvaluatedBinding[] = []): ReviewReport {
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
    const d = unifiedYamlDiff(old.object, r.object, { live: `${revisions.base} ${old.source.file}`, desired: `${revisions.head} ${r.source.file}` });
    if (d === '') unchanged++;
    else changed.push({ ...entry(r), diff: d });
  }
  for (const [id, r] of before) if (!after.has(id)) removed.push(entry(r));
  const sorted = [...violations].sort((a, b) => byId({ id: `${a.object} ${a.policy} ${a.binding} ${a.message}` }, { id: `${b.object} ${b.policy} ${b.binding} ${b.message}` }));
  const denies = sorted.filter(isDeny).length;
  const passed = denies === 0;
  const summary =
    `${passed ? 'PASS' : 'FAIL'}: ${added.length} added, ${changed.length} changed, ${removed.length} removed; ` +
    `${denies} denied, ${sorted.length - denies} warning/audit ${plural(sorted.length - denies, 'violation')}`;
  return { ...revisions, added: added.sort(byId), changed: changed.sort(byId), removed: removed.sort(byId), unchanged, violations: sorted, policies: [...policies].sort((a, b) => byId({ id: a.binding }, { id: b.binding })), passed, summary };
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
