/**
 * ValidatingAdmissionPolicy + ValidatingAdmissionPolicyBinding, as Kubernetes evaluates them:
 * matchConstraints ∩ binding matchResources, paramKind/paramRef (each parameter object evaluated on
 * its own), matchConditions, variables, validations with message/messageExpression/reason, and the
 * binding's validationActions (Deny fails the request, Warn adds a `Warning` header, Audit records
 * the failure in the request's audit event as `validation.policy.admission.k8s.io/validation_failure`),
 * auditAnnotations (`<policy>/<key>` in the audit event), failurePolicy for expressions that error.
 * Also refuses, at write time, policies whose expressions do not compile (422 naming the field and
 * the position).
 */
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from 'kubernetes-types/admissionregistration/v1.js';
import { addAuditAnnotation, type AdmissionAttributes, type AdmissionPlugin } from '../../controlplane/api/admission.js';
import { errors, StatusError, type StatusCause, type StatusReason } from '../../controlplane/api/errors.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { CelCompileError, compile, fromCel, toCel, toCelCached } from '../cel/cel.js';
import { CelCostError, CostBudget } from '../cel/cost-meter.js';
import { ExpressionMemo } from './expression-memo.js';
import { admissionRequest, matchesResources } from './match.js';
import type { PolicyStore } from './policy-store.js';

/** The variables every admission policy expression may use. */
export const ADMISSION_VARIABLES = ['object', 'oldObject', 'request', 'params', 'namespaceObject', 'variables'] as const;

const REASONS = new Set<StatusReason>(['Unauthorized', 'Forbidden', 'Invalid', 'RequestEntityTooLarge']);

export interface AuditEvent {
  policy: string;
  binding: string;
  message: string;
  request: { operation: string; resource: string; namespace: string; name: string; user: string };
}

/** The CEL inputs of one request, converted once and shared by every policy. */
export interface AdmissionInputs {
  object: unknown;
  oldObject: unknown;
  request: unknown;
  namespaceObject: unknown;
  /** values of the matchConditions and variables evaluated with these inputs */
  memo: ExpressionMemo;
}

/** The `request` variable of each request: the same for its mutating and validating policies. */
const requests = new WeakMap<AdmissionAttributes, unknown>();

/** The inputs as they are now (the object as mutated so far). */
export function admissionInputs(a: AdmissionAttributes, store: PolicyStore): AdmissionInputs {
  const ns = a.type.namespaced ? store.namespace(a.namespace) : undefined;
  let request = requests.get(a);
  if (request === undefined) requests.set(a, (request = toCel(admissionRequest(a))));
  return {
    object: a.object ? toCel(a.object) : null,
    oldObject: a.oldObject ? toCel(a.oldObject) : null,
    request,
    namespaceObject: ns ? toCelCached(ns) : null,
    memo: new ExpressionMemo(),
  };
}

interface Violation {
  message: string;
  reason: StatusReason;
  /** which validation failed (absent when the evaluation itself failed) */
  expressionIndex?: number;
}

/** The audit annotation Kubernetes records Audit-action failures under. */
export const VALIDATION_FAILURE_ANNOTATION = 'validation.policy.admission.k8s.io/validation_failure';

type Named = { name: string; expression: string };

/**
 * Evaluates matchConditions then variables; returns the variables, or undefined when a condition
 * is false. Throws on evaluation errors (the caller applies failurePolicy), CelCostError when an
 * expression passes the per-call limit or `budget` (one per policy, binding and param) runs out.
 * A condition or variable another policy already evaluated with the same inputs is not run again
 * (its cost is still charged: see expression-memo.ts).
 */
export function prepare(spec: { matchConditions?: Named[]; variables?: Named[] }, inputs: AdmissionInputs, params: unknown, budget: CostBudget): Record<string, unknown> | undefined {
  const { memo } = inputs;
  const vars: Record<string, unknown> = {
    object: inputs.object,
    oldObject: inputs.oldObject,
    request: inputs.request,
    namespaceObject: inputs.namespaceObject,
    params: params === undefined || params === null ? null : toCelCached(params),
    variables: {},
  };
  for (const c of spec.matchConditions ?? []) {
    const v = memo.evaluate(compile(c.expression, ADMISSION_VARIABLES), vars, budget);
    if (v !== true) return undefined;
  }
  const variables: Record<string, unknown> = {};
  vars.variables = variables;
  for (const v of spec.variables ?? []) variables[v.name] = memo.evaluate(compile(v.expression, ADMISSION_VARIABLES), vars, budget);
  return vars;
}

/** Why an evaluation failed (its first line); a cut-off worded as Kubernetes words it. */
export function evaluationFailure(e: unknown): string {
  if (e instanceof CelCostError) return e.budget ? e.message : `expression '${e.expression}' resulted in error: ${e.message}`;
  return (e as Error).message.split('\n')[0];
}

function evaluateValidations(policy: ValidatingAdmissionPolicy, vars: Record<string, unknown>, budget: CostBudget): Violation[] {
  const out: Violation[] = [];
  for (const [expressionIndex, v] of (policy.spec?.validations ?? []).entries()) {
    const ok = compile(v.expression, ADMISSION_VARIABLES).evaluate(vars, budget);
    if (ok === true) continue;
    if (ok !== false) throw new Error(`expression '${v.expression}' resulted in a ${typeof ok}, not a bool`);
    let message = v.message || `failed expression: ${v.expression}`;
    if (v.messageExpression) {
      try {
        const m = fromCel(compile(v.messageExpression, ADMISSION_VARIABLES).evaluate(vars, budget));
        if (typeof m === 'string' && m.trim() && !m.includes('\n')) message = m;
      } catch {
        // Kubernetes falls back to the static message when messageExpression fails
      }
    }
    const reason = (REASONS.has(v.reason as StatusReason) ? v.reason : 'Invalid') as StatusReason;
    out.push({ message, reason, expressionIndex });
  }
  return out;
}

/** Evaluates auditAnnotations into the request's audit annotations as `<policy>/<key>` (null: none). */
function evaluateAuditAnnotations(a: AdmissionAttributes, policy: ValidatingAdmissionPolicy, vars: Record<string, unknown>, budget: CostBudget): void {
  for (const an of policy.spec?.auditAnnotations ?? []) {
    const v = fromCel(compile(an.valueExpression, ADMISSION_VARIABLES).evaluate(vars, budget));
    if (v === null) continue;
    if (typeof v !== 'string') throw new Error(`auditAnnotations key ${an.key}: valueExpression '${an.valueExpression}' resulted in a ${typeof v}, not a string`);
    addAuditAnnotation(a, `${policy.metadata?.name}/${an.key}`, v.slice(0, 10 * 1024));
  }
}

/** Compile errors of every expression in a policy, as 422 causes (field path, expression, position). */
export function policyCompileErrors(spec: { matchConditions?: Named[]; variables?: Named[]; validations?: { expression: string; messageExpression?: string }[]; auditAnnotations?: { valueExpression: string }[] } | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const check = (field: string, expr: string | undefined) => {
    if (!expr) return;
    try {
      compile(expr, ADMISSION_VARIABLES);
    } catch (e) {
      if (!(e instanceof CelCompileError)) throw e;
      causes.push({ field, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(expr)}: compilation failed: ${e.message}` });
    }
  };
  (spec?.matchConditions ?? []).forEach((c, i) => check(`spec.matchConditions[${i}].expression`, c.expression));
  (spec?.variables ?? []).forEach((v, i) => check(`spec.variables[${i}].expression`, v.expression));
  (spec?.validations ?? []).forEach((v, i) => {
    check(`spec.validations[${i}].expression`, v.expression);
    check(`spec.validations[${i}].messageExpression`, v.messageExpression);
  });
  (spec?.auditAnnotations ?? []).forEach((a, i) => check(`spec.auditAnnotations[${i}].valueExpression`, a.valueExpression));
  return causes;
}

const WITHOUT_PARAMS: readonly undefined[] = [undefined];

/**
 * The parameter objects a binding selects, [undefined] when the policy takes none, [] to skip it.
 * Only a policy with a paramKind waits for them: the others go on without yielding.
 */
export function bindingParams(
  store: PolicyStore,
  policyName: string,
  paramKind: { apiVersion?: string; kind?: string } | undefined,
  paramRef: { name?: string; namespace?: string; selector?: LabelSelector; parameterNotFoundAction?: string } | undefined,
  a: AdmissionAttributes,
  bindingName: string,
): readonly (KubeObject | undefined)[] | Promise<KubeObject[]> {
  if (!paramKind?.kind) return WITHOUT_PARAMS;
  return paramObjects(store, policyName, paramKind.apiVersion ?? 'v1', paramKind.kind, paramRef, a, bindingName);
}

async function paramObjects(
  store: PolicyStore,
  policyName: string,
  apiVersion: string,
  kind: string,
  paramRef: Parameters<typeof bindingParams>[3],
  a: AdmissionAttributes,
  bindingName: string,
): Promise<KubeObject[]> {
  if (!paramRef) throw new Error(`policy ${policyName} has paramKind but binding ${bindingName} has no paramRef`);
  const ns = paramRef.namespace || (a.type.namespaced ? a.namespace : undefined);
  const found = await store.params(apiVersion, kind, ns, paramRef.name, paramRef.selector);
  if (found.length > 0) return found;
  if (paramRef.parameterNotFoundAction === 'Allow') return [];
  throw new StatusError('Forbidden', `no params found for policy binding with \`Deny\` parameterNotFoundAction`);
}

export interface ValidatingPolicyOptions {
  store: PolicyStore;
  /** also receives Audit-action failures (they always go to the request's audit annotations) */
  audit?: (e: AuditEvent) => void;
}

function denial(a: AdmissionAttributes, policy: string, binding: string, v: Violation): StatusError {
  const text = `ValidatingAdmissionPolicy '${policy}' with binding '${binding}' denied request: ${v.message}`;
  const what = `${a.type.resource}${a.type.group ? '.' + a.type.group : ''}`;
  if (v.reason === 'Invalid') return new StatusError('Invalid', `${what} "${a.name}" is invalid: ${text}`, { name: a.name, group: a.type.group || undefined, kind: a.type.resource, causes: [{ message: text, reason: 'FieldValueInvalid', field: '' }] });
  if (v.reason === 'Forbidden') return errors.forbidden(`${what} "${a.name}" is forbidden: ${text}`);
  return new StatusError(v.reason, text);
}

export function validatingPolicyPlugin(opts: ValidatingPolicyOptions): AdmissionPlugin {
  const { store } = opts;
  const audit = opts.audit ?? (() => {});
  return {
    name: 'ValidatingAdmissionPolicy',
    async validate(a) {
      if (a.type.group === 'admissionregistration.k8s.io' && a.object && (a.type.kind === 'ValidatingAdmissionPolicy' || a.type.kind === 'MutatingAdmissionPolicy')) {
        const causes = policyCompileErrors((a.object as { spec?: Parameters<typeof policyCompileErrors>[0] }).spec);
        if (causes.length > 0) throw errors.invalid(a.type.kind, a.type.group, a.name, causes);
      }
      const bindings = store.list('ValidatingAdmissionPolicyBinding') as ValidatingAdmissionPolicyBinding[];
      if (bindings.length === 0) return;
      let inputs: AdmissionInputs | undefined;
      const auditFailures: unknown[] = [];
      const nsObj = a.type.namespaced ? store.namespace(a.namespace) : undefined;
      for (const b of bindings) {
        const policyName = b.spec?.policyName ?? '';
        const policy = store.get('ValidatingAdmissionPolicy', policyName) as ValidatingAdmissionPolicy | undefined;
        if (!policy?.spec) continue;
        if (!matchesResources(policy.spec.matchConstraints, a, nsObj, true)) continue;
        if (!matchesResources(b.spec?.matchResources, a, nsObj, false)) continue;
        inputs ??= admissionInputs(a, store);
        const actions = b.spec?.validationActions ?? ['Deny'];
        const bindingName = b.metadata?.name ?? '';
        const fail = policy.spec.failurePolicy !== 'Ignore';
        let violations: Violation[] = [];
        try {
          const found = bindingParams(store, policyName, policy.spec.paramKind, b.spec?.paramRef, a, bindingName);
          for (const params of found instanceof Promise ? await found : found) {
            const budget = new CostBudget();
            const vars = prepare(policy.spec as Parameters<typeof prepare>[0], inputs, params, budget);
            if (!vars) continue;
            violations.push(...evaluateValidations(policy, vars, budget));
            evaluateAuditAnnotations(a, policy, vars, budget);
          }
        } catch (e) {
          if (e instanceof StatusError && e.reason === 'Forbidden') violations = [{ message: e.message, reason: 'Forbidden' }];
          else if (fail) violations = [{ message: e instanceof CelCostError ? evaluationFailure(e) : `expression evaluation failed: ${evaluationFailure(e)}`, reason: 'Invalid' }];
          else continue;
        }
        for (const v of violations) {
          if (actions.includes('Audit')) {
            auditFailures.push({ message: v.message, policy: policyName, binding: bindingName, expressionIndex: v.expressionIndex ?? 0, validationActions: actions });
            if (a.auditAnnotations) a.auditAnnotations[VALIDATION_FAILURE_ANNOTATION] = JSON.stringify(auditFailures);
            audit({ policy: policyName, binding: bindingName, message: v.message, request: { operation: a.operation, resource: a.type.resource, namespace: a.namespace, name: a.name, user: a.user.username } });
          }
          if (actions.includes('Warn')) a.warnings.push(`Validation failed for ValidatingAdmissionPolicy '${policyName}' with binding '${bindingName}': ${v.message}`);
          if (actions.includes('Deny')) throw denial(a, policyName, bindingName, v);
        }
      }
    },
  };
}
