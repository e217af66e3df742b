/**
 * MutatingAdmissionPolicy + Binding (admissionregistration.k8s.io/v1beta1): matched like the
 * validating kind, then each mutation's CEL result is applied to the object being written —
 * `JSONPatch` (a list of {op, path, value}) or `ApplyConfiguration` (a partial object merged in:
 * maps merge, lists and scalars replace, null removes). The CEL library cannot parse message
 * construction, so `Object{spec: Object.spec{replicas: 3}}` and `JSONPatch{op: "add", ...}` are
 * rewritten to the equivalent map literals (`{'spec': {'replicas': 3}}`) before compiling; plain
 * map literals are accepted as they are.
 */
import fjp from 'fast-json-patch';
import type { AdmissionPlugin } from '../../controlplane/api/admission.js';
import { errors, type StatusCause } from '../../controlplane/api/errors.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { CelCompileError, compile, fromCel } from '../cel/cel.js';
import { CostBudget } from '../cel/cost-meter.js';
import { matchesResources, type MatchResources } from './match.js';
import type { PolicyStore } from './policy-store.js';
import { ADMISSION_VARIABLES, admissionInputs, bindingParams, evaluationFailure, policyCompileErrors, prepare } from './validating-policy.js';

interface Mutation {
  patchType?: 'JSONPatch' | 'ApplyConfiguration';
  jsonPatch?: { expression?: string };
  applyConfiguration?: { expression?: string };
}

interface MutatingPolicy extends KubeObject {
  spec?: {
    paramKind?: { apiVersion?: string; kind?: string };
    matchConstraints?: MatchResources;
    matchConditions?: { name: string; expression: string }[];
    variables?: { name: string; expression: string }[];
    mutations?: Mutation[];
    failurePolicy?: string;
  };
}

interface MutatingBinding extends KubeObject {
  spec?: { policyName?: string; paramRef?: Parameters<typeof bindingParams>[3]; matchResources?: MatchResources };
}

const CONSTRUCTOR = /^(?:Object|JSONPatch)(?:\.[A-Za-z_]\w*)*\s*\{/;
const FIELD = /^(\s*)([A-Za-z_]\w*)(\s*):/;

/** Rewrites `Object.x{field: v}` / `JSONPatch{op: v}` message construction into map literals. */
const desugared = new Map<string, string>();

/** desugarConstruction, remembered per expression (it runs on every admission). */
function desugarCached(src: string): string {
  let out = desugared.get(src);
  if (out === undefined) {
    if (desugared.size > 10_000) desugared.clear();
    desugared.set(src, (out = desugarConstruction(src)));
  }
  return out;
}

export function desugarConstruction(src: string): string {
  let out = '';
  const stack: boolean[] = [];
  let expectField = false;
  for (let i = 0; i < src.length; ) {
    const c = src[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (expectField) {
      const f = FIELD.exec(src.slice(i));
      expectField = false;
      if (f) {
        out += `${f[1]}'${f[2]}'${f[3]}:`;
        i += f[0].length;
        continue;
      }
    }
    const prev = i > 0 ? src[i - 1] : ' ';
    const ctor = /[\w.]/.test(prev) ? null : CONSTRUCTOR.exec(src.slice(i));
    if (ctor) {
      out += '{';
      stack.push(true);
      expectField = true;
      i += ctor[0].length;
      continue;
    }
    if (c === '{' || c === '[' || c === '(') stack.push(false);
    else if (c === '}' || c === ']' || c === ')') stack.pop();
    else if (c === ',' && stack[stack.length - 1]) expectField = true;
    out += c;
    i++;
  }
  return out;
}

/** Merges an apply configuration into `target`: maps merge, everything else replaces, null removes. */
export function mergeApplyConfiguration(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof target[k] === 'object' && target[k] !== null && !Array.isArray(target[k])) {
      mergeApplyConfiguration(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
}

function mutationExpression(m: Mutation): string | undefined {
  return m.patchType === 'JSONPatch' ? m.jsonPatch?.expression : m.applyConfiguration?.expression;
}

function mutationErrors(p: MutatingPolicy): StatusCause[] {
  const causes = policyCompileErrors(p.spec);
  (p.spec?.mutations ?? []).forEach((m, i) => {
    const expr = mutationExpression(m);
    const field = `spec.mutations[${i}].${m.patchType === 'JSONPatch' ? 'jsonPatch' : 'applyConfiguration'}.expression`;
    if (!expr) return causes.push({ field, reason: 'FieldValueRequired', message: 'Required value' });
    try {
      compile(desugarConstruction(expr), ADMISSION_VARIABLES);
    } catch (e) {
      if (!(e instanceof CelCompileError)) throw e;
      causes.push({ field, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(expr)}: compilation failed: ${e.message}` });
    }
  });
  return causes;
}

export function mutatingPolicyPlugin(opts: { store: PolicyStore }): AdmissionPlugin {
  const { store } = opts;
  return {
    name: 'MutatingAdmissionPolicy',
    async mutate(a) {
      if (a.type.group === 'admissionregistration.k8s.io' && a.type.kind === 'MutatingAdmissionPolicy' && a.object) {
        const causes = mutationErrors(a.object as MutatingPolicy);
        if (causes.length > 0) throw errors.invalid(a.type.kind, a.type.group, a.name, causes);
      }
      if (!a.object) return;
      const nsObj = a.type.namespaced ? store.namespace(a.namespace) : undefined;
      for (const b of store.list('MutatingAdmissionPolicyBinding') as MutatingBinding[]) {
        const policyName = b.spec?.policyName ?? '';
        const policy = store.get('MutatingAdmissionPolicy', policyName) as MutatingPolicy | undefined;
        if (!policy?.spec) continue;
        if (!matchesResources(policy.spec.matchConstraints, a, nsObj, true) || !matchesResources(b.spec?.matchResources, a, nsObj, false)) continue;
        try {
          const found = bindingParams(store, policyName, policy.spec.paramKind, b.spec?.paramRef, a, b.metadata?.name ?? '');
          for (const params of found instanceof Promise ? await found : found) {
            const budget = new CostBudget();
            for (const m of policy.spec.mutations ?? []) {
              const vars = prepare(policy.spec, admissionInputs(a, store), params, budget);
              if (!vars) break;
              const result = fromCel(compile(desugarCached(mutationExpression(m) ?? ''), ADMISSION_VARIABLES).evaluate(vars, budget));
              if (m.patchType === 'JSONPatch') {
                const patched = fjp.applyPatch(a.object, result as fjp.Operation[], true, false).newDocument;
                Object.assign(a.object, patched);
              } else {
                mergeApplyConfiguration(a.object as Record<string, unknown>, result as Record<string, unknown>);
              }
            }
          }
        } catch (e) {
          if (policy.spec.failurePolicy === 'Ignore') continue;
          throw errors.forbidden(`${a.type.resource} "${a.name}" is forbidden: MutatingAdmissionPolicy '${policyName}' with binding '${b.metadata?.name}' failed: ${evaluationFailure(e)}`);
        }
      }
    },
  };
}
