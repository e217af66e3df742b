/**
 * Admission policies' verdicts on a revision's objects, offline: policy directories (the default
 * library in policies/ and the repository's own) are loaded from disk, and each
 * ValidatingAdmissionPolicyBinding is evaluated on its own, with its actions reported rather than
 * enforced, so every binding's violation is found, Warn and Audit ones included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { registry } from '../../controlplane/resources/registry.js';
import { admit, memoryStore } from '../../policy/admission/offline.js';
import type { RenderedObject } from '../render/index.js';
import { objectId, type PolicyAction, type PolicyViolation } from './report.js';

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
const MESSAGE = /denied request: (.*)$/s;

/**
 * The violations of `objects` against `policies` (policies, bindings, params). Namespaces the
 * objects name are taken from the objects when present, else made up with their metadata.name label.
 * The objects also serve as the bindings' params. Objects of kinds berth does not serve are not
 * evaluated.
 */
export async function evaluatePolicies(policies: KubeObject[], objects: RenderedObject[]): Promise<PolicyViolation[]> {
  const bindings = policies.filter((p) => p.kind === BINDING);
  const others = policies.filter((p) => p.kind !== BINDING);
  const namespaces = namespacesOf(objects.map((r) => r.object));
  // the revision's own objects (a ConfigMap of registries, say) are the bindings' params, as on a server
  const params = objects.map((r) => r.object).filter((o) => o.kind !== 'Namespace');
  const out: PolicyViolation[] = [];
  for (const b of bindings) {
    const spec = (b.spec ?? {}) as { policyName?: string; validationActions?: PolicyAction[] };
    const actions = spec.validationActions ?? ['Deny'];
    // report, not enforce: the binding alone, as Deny, so its first violation comes back as the denial
    const store = memoryStore([...others, ...params, ...namespaces, { ...b, spec: { ...spec, validationActions: ['Deny'] } }]);
    for (const r of objects) {
      // kinds berth does not serve (custom resources) pass no admission policy here
      if (!registry.findKind(r.object.apiVersion ?? '', r.object.kind ?? '')) continue;
      const v = await admit(store, r.object);
      if (v.allowed) continue;
      out.push({
        policy: spec.policyName ?? '',
        binding: b.metadata?.name ?? '',
        actions,
        object: objectId(r.object),
        message: MESSAGE.exec(v.message ?? '')?.[1] ?? v.message ?? '',
        source: r.source,
      });
    }
  }
  return out;
}

function namespacesOf(objects: KubeObject[]): KubeObject[] {
  const given = objects.filter((o) => o.kind === 'Namespace' && o.apiVersion === 'v1');
  const names = new Set(objects.filter((o) => o.kind !== 'Namespace').map((o) => o.metadata?.namespace ?? 'default'));
  for (const g of given) names.delete(g.metadata?.name ?? '');
  const made = [...names].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } }));
  return [...given.map((g) => ({ ...g, metadata: { ...g.metadata, labels: { ...g.metadata?.labels, 'kubernetes.io/metadata.name': g.metadata?.name ?? '' } } })), ...made];
}
