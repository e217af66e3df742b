/**
 * Admission policies' verdicts on a revision's objects, offline: policy directories (the default
 * library in policies/ and the repository's own) are loaded from disk, a server's are listed by the
 * caller, and every ValidatingAdmissionPolicyBinding is evaluated with its actions reported rather
 * than enforced, so every failed validation is found, Warn and Audit ones included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { registry } from '../../controlplane/resources/registry.js';
import { admit, memoryStore } from '../../policy/admission/offline.js';
import type { AuditEvent } from '../../policy/admission/validating-policy.js';
import type { RenderedObject } from '../render/index.js';
import { objectId, type EvaluatedBinding, type PolicyAction, type PolicyViolation } from './report.js';

/** The default policy library shipped with berth. */
export const DEFAULT_POLICIES_DIR = fileURLToPath(new URL('../../../policies', import.meta.url));

/** Every object in the policy files under `dir` (recursively; `tests.yaml` files are test cases, skipped). */
export function loadPolicyObjects(dir: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...loadPolicyObjects(p));
    else if (/\.ya?ml$/.test(e.name) && !/^tests\.ya?ml$/.test(e.name)) {
      for (const d of parseAllDocuments(readFileSync(p, 'utf8'))) {
        if (d.errors.length > 0) throw new Error(`${p}: ${d.errors[0].message}`);
        const o = d.toJS() as KubeObject | null;
        if (o?.kind) out.push(o);
      }
    }
  }
  return out;
}

const BINDING = 'ValidatingAdmissionPolicyBinding';
const MUTATION_FAILED = /MutatingAdmissionPolicy '([^']*)' with binding '([^']*)' failed: (.*)$/s;

/** Policy objects from one place (the default library, a directory, a server), named for the report. */
export interface PolicySource {
  /** where the objects came from, as the report shows it: `library`, a directory, `server https://…` */
  origin: string;
  objects: KubeObject[];
}

/** The identity of a policy object across sources: kind, namespace (params have one) and name. */
export const policyKey = (o: KubeObject) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** The policy objects of `sources` with duplicates (same kind, namespace and name) removed: a later source wins. */
export function mergePolicySources(sources: PolicySource[]): { objects: KubeObject[]; origins: Map<string, string> } {
  const byKey = new Map<string, KubeObject>();
  const origins = new Map<string, string>();
  for (const s of sources) {
    for (const o of s.objects) {
      const key = policyKey(o);
      byKey.delete(key); // re-insert, so the order follows the winning source
      byKey.set(key, o);
      origins.set(key, s.origin);
    }
  }
  return { objects: [...byKey.values()], origins };
}

/** What evaluatePolicies found: every violation, and the bindings it evaluated with their origin. */
export interface PolicyVerdicts {
  violations: PolicyViolation[];
  bindings: EvaluatedBinding[];
}

/**
 * Every violation of `objects` against the policies of `sources` (policies, bindings, params; the
 * same kind, namespace and name in a later source replaces an earlier one, and the revision's own
 * object replaces a source's param): each failed validation of each
 * binding on each object, Warn and Audit included. Namespaces the objects name are taken from the
 * objects when present, else made up with their metadata.name label. The objects also serve as
 * the bindings' params. Objects of kinds berth does not serve are not evaluated.
 */
export async function evaluatePolicies(sources: PolicySource[], objects: RenderedObject[]): Promise<PolicyVerdicts> {
  const { objects: policies, origins } = mergePolicySources(sources);
  const bindings = policies.filter((p) => p.kind === BINDING);
  // params a source brought (a server's ConfigMap) give way to the revision's own object of that name
  const mine = new Set(objects.map((r) => `${r.object.apiVersion}/${policyKey(r.object)}`));
  const others = policies.filter((p) => p.kind !== BINDING && !mine.has(`${p.apiVersion}/${policyKey(p)}`));
  const evaluated: EvaluatedBinding[] = bindings.map((b) => {
    const spec = (b.spec ?? {}) as { policyName?: string; validationActions?: PolicyAction[] };
    const name = b.metadata?.name ?? '';
    return { binding: name, policy: spec.policyName ?? '', actions: spec.validationActions ?? ['Deny'], origin: origins.get(policyKey(b)) ?? '' };
  });
  const byBinding = new Map(evaluated.map((e) => [e.binding, e]));
  const namespaces = namespacesOf(objects.map((r) => r.object));
  // the revision's own objects (a ConfigMap of registries, say) are the bindings' params, as on a server
  const params = objects.map((r) => r.object).filter((o) => o.kind !== 'Namespace');
  // report, not enforce: every binding as Audit only, so no failure stops the evaluation and each
  // failed validation of each binding comes back as an audit event
  const audited = bindings.map((b) => ({ ...b, spec: { ...(b.spec as object), validationActions: ['Audit'] } }));
  const store = memoryStore([...others, ...params, ...namespaces, ...audited]);
  const out: PolicyViolation[] = [];
  for (const r of objects) {
    // kinds berth does not serve (custom resources) pass no admission policy here
    if (!registry.findKind(r.object.apiVersion ?? '', r.object.kind ?? '')) continue;
    const events: AuditEvent[] = [];
    const v = await admit(store, r.object, undefined, undefined, (e) => events.push(e));
    const object = objectId(r.object);
    for (const e of events) {
      const b = byBinding.get(e.binding);
      out.push({ policy: e.policy, binding: e.binding, actions: b?.actions ?? ['Deny'], object, message: e.message, source: r.source, origin: b?.origin ?? '' });
    }
    if (!v.allowed) {
      // only a mutating policy can refuse here (the validating bindings all Audit); a server would deny
      const m = MUTATION_FAILED.exec(v.message ?? '');
      const binding = m?.[2] ?? '';
      out.push({ policy: m?.[1] ?? 'admission', binding, actions: ['Deny'], object, message: m?.[3] ?? v.message ?? '', source: r.source, origin: origins.get(policyKey({ kind: 'MutatingAdmissionPolicyBinding', metadata: { name: binding } })) ?? '' });
    }
  }
  return { violations: out, bindings: evaluated };
}

function namespacesOf(objects: KubeObject[]): KubeObject[] {
  const given = objects.filter((o) => o.kind === 'Namespace' && o.apiVersion === 'v1');
  const names = new Set(objects.filter((o) => o.kind !== 'Namespace').map((o) => o.metadata?.namespace ?? 'default'));
  for (const g of given) names.delete(g.metadata?.name ?? '');
  const made = [...names].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } }));
  return [...given.map((g) => ({ ...g, metadata: { ...g.metadata, labels: { ...g.metadata?.labels, 'kubernetes.io/metadata.name': g.metadata?.name ?? '' } } })), ...made];
}
