/**
 * The status berth writes on each ValidatingAdmissionPolicy, as Kubernetes' type-checking
 * controller does: `observedGeneration`, `typeChecking.expressionWarnings` (expressions that select
 * fields the matched kinds do not have; see type-checking.ts), and a `Ready` condition saying the
 * policy is in force and whether it has warnings. A pure function; policy.ts writes the result
 * through the status subresource when it differs from what is stored.
 */
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyStatus } from 'kubernetes-types/admissionregistration/v1.js';
import { isDeepStrictEqual } from 'node:util';
import { typeCheckPolicy } from './type-checking.js';

/** The status `policy` should have; `now` stamps a condition whose status or reason changes. */
export function policyStatus(policy: ValidatingAdmissionPolicy, now: string): ValidatingAdmissionPolicyStatus {
  const generation = policy.metadata?.generation ?? 1;
  const expressionWarnings = typeCheckPolicy(policy);
  const reason = expressionWarnings.length ? 'ExpressionWarnings' : 'TypeChecked';
  const message = expressionWarnings.length
    ? `${expressionWarnings.length} expression(s) select fields the matched kinds do not have: ${expressionWarnings.map((w) => w.fieldRef).join(', ')}`
    : 'every expression compiled and type-checked against the matched kinds';
  const old = policy.status?.conditions?.find((c) => c.type === 'Ready');
  const lastTransitionTime = old && old.status === 'True' && old.reason === reason ? old.lastTransitionTime : now;
  return {
    observedGeneration: generation,
    typeChecking: { expressionWarnings },
    conditions: [{ type: 'Ready', status: 'True', reason, message, observedGeneration: generation, lastTransitionTime }],
  };
}

/**
 * The status to write, or undefined when the stored one is current. A status observed at the
 * policy's generation is current (the type check depends on the spec alone), so informer resyncs
 * and the echo of berth's own status write cost no type check.
 */
export function statusUpdate(policy: ValidatingAdmissionPolicy, now: string): ValidatingAdmissionPolicyStatus | undefined {
  if (policy.status?.observedGeneration === (policy.metadata?.generation ?? 1) && policy.status.typeChecking) return undefined;
  const next = policyStatus(policy, now);
  return isDeepStrictEqual(next, policy.status) ? undefined : next;
}
