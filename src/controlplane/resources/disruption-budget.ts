/**
 * PodDisruptionBudget decisions, as Kubernetes' disruption controller (pkg/controller/disruption)
 * and the eviction subresource (pkg/registry/core/pod/storage/eviction.go) make them: the status a
 * budget should have for the pods it selects, and whether one eviction may go ahead. Pure: the
 * callers read pods, budgets and controller scales and write the results.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import type { Condition } from 'kubernetes-types/meta/v1.js';
import { labelSelectorFromObject } from '../store/selectors.js';
import { isReady, ms, scaledValue } from './pod-state.js';

/** How long an eviction's entry in status.disruptedPods waits for the pod to go (DeletionTimeout). */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60 * 1000;
/** Entries in disruptedPods beyond which evictions are refused (MaxDisruptedPodSize). */
export const MAX_DISRUPTED_PODS = 2000;

/**
 * The pods a budget selects in its namespace. policy/v1: a null selector selects nothing, an empty
 * one (`{}`) every pod; an invalid one nothing.
 */
export function selectsPod(pdb: PodDisruptionBudget, pod: Pod): boolean {
  if (pod.metadata?.namespace !== pdb.metadata?.namespace) return false;
  try {
    return labelSelectorFromObject(pdb.spec?.selector as never).matches(pod.metadata?.labels);
  } catch {
    return false;
  }
}

/** Whether the budget counts pods by the scale of their controllers (percentages, maxUnavailable). */
export function needsExpectedScale(pdb: PodDisruptionBudget): boolean {
  return pdb.spec?.maxUnavailable !== undefined || typeof pdb.spec?.minAvailable === 'string';
}

export interface BudgetInput {
  pdb: PodDisruptionBudget;
  /** the pods the budget selects */
  pods: Pod[];
  /** Σ replicas of the selected pods' distinct controllers (needsExpectedScale budgets only) */
  expectedScale: number;
  now: number;
}

export interface BudgetResult {
  status: PodDisruptionBudgetStatus;
  /** when a disruptedPods entry expires and the budget must be computed again */
  requeueAfterMs?: number;
}

function disruptionCondition(allowed: number, generation: number | undefined, previous: Condition[] | undefined, now: number): Condition[] {
  const status = allowed > 0 ? 'True' : 'False';
  const old = previous?.find((c) => c.type === 'DisruptionAllowed');
  const cond: Condition = {
    type: 'DisruptionAllowed',
    status,
    reason: allowed > 0 ? 'SufficientPods' : 'InsufficientPods',
    message: '',
    observedGeneration: generation,
    lastTransitionTime: old?.status === status ? old.lastTransitionTime : new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  return [...(previous ?? []).filter((c) => c.type !== 'DisruptionAllowed'), cond];
}

/** The status the disruption controller writes (`trySync` → `updatePdbStatus`). */
export function budgetStatus({ pdb, pods, expectedScale, now }: BudgetInput): BudgetResult {
  const spec = pdb.spec ?? {};
  let expected = pods.length;
  let desired = 0;
  if (spec.maxUnavailable !== undefined) {
    expected = expectedScale;
    desired = Math.max(0, expected - scaledValue(spec.maxUnavailable as number | string, expected, true, 0));
  } else if (typeof spec.minAvailable === 'number') {
    desired = spec.minAvailable;
  } else if (typeof spec.minAvailable === 'string') {
    expected = expectedScale;
    desired = scaledValue(spec.minAvailable, expected, true, 0);
  }
  // evictions not yet followed by the pod's deletion, until they time out
  const byName = new Map(pods.map((p) => [p.metadata?.name ?? '', p]));
  const disrupted: Record<string, string> = {};
  let recheck: number | undefined;
  for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
    const pod = byName.get(name);
    const since = ms(at);
    if (!pod || pod.metadata?.deletionTimestamp || since === undefined) continue;
    const expires = since + DISRUPTED_POD_TIMEOUT_MS;
    if (expires <= now) continue;
    disrupted[name] = at;
    recheck = Math.min(recheck ?? Infinity, expires - now);
  }
  const healthy = pods.filter((p) => !p.metadata?.deletionTimestamp && !((p.metadata?.name ?? '') in disrupted) && isReady(p)).length;
  const allowed = expected <= 0 ? 0 : Math.max(0, healthy - desired);
  const status: PodDisruptionBudgetStatus = {
    observedGeneration: pdb.metadata?.generation,
    disruptedPods: Object.keys(disrupted).length ? disrupted : undefined,
    disruptionsAllowed: allowed,
    currentHealthy: healthy,
    desiredHealthy: desired,
    expectedPods: expected,
    conditions: disruptionCondition(allowed, pdb.metadata?.generation, pdb.status?.conditions, now),
  };
  return { status, requeueAfterMs: recheck };
}

export type EvictionDecision =
  /** delete without touching a budget */
  | { action: 'delete' }
  /** take one disruption from `pdb` (status.disruptionsAllowed - 1, the pod in disruptedPods), then delete */
  | { action: 'charge'; pdb: PodDisruptionBudget; status: PodDisruptionBudgetStatus }
  /** refuse: 429 TooManyRequests with `cause` (DisruptionBudget), or 500 / 403 with `message` */
  | { action: 'refuse'; code: 429 | 403 | 500; message: string; cause?: string; retryAfterSeconds?: number };

export const BUDGET_VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

/** Whether an eviction of `pod` may go ahead given the budgets of its namespace (`checkAndDecrement`). */
export function decideEviction(pod: Pod, budgets: PodDisruptionBudget[], now: number): EvictionDecision {
  const phase = pod.status?.phase;
  // terminal, pending and terminating pods are evicted without asking a budget (canIgnorePDB)
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata?.deletionTimestamp) return { action: 'delete' };
  const matching = budgets.filter((b) => selectsPod(b, pod));
  if (matching.length === 0) return { action: 'delete' };
  if (matching.length > 1) return { action: 'refuse', code: 500, message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.' };
  const pdb = matching[0];
  const st: Partial<PodDisruptionBudgetStatus> = pdb.status ?? {};
  const name = pdb.metadata?.name ?? '';
  if ((st.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 1)) {
    return { action: 'refuse', code: 429, message: BUDGET_VIOLATION, cause: `The disruption budget ${name} is still being processed by the server.`, retryAfterSeconds: 10 };
  }
  // an unready pod does not count as healthy: while the budget is met it may go (IfHealthyBudget,
  // the default), with AlwaysAllow always
  if (!isReady(pod)) {
    const policy = pdb.spec?.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
    if (policy === 'AlwaysAllow') return { action: 'delete' };
    if ((st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.desiredHealthy ?? 0) > 0) return { action: 'delete' };
  }
  if ((st.disruptionsAllowed ?? 0) < 0) return { action: 'refuse', code: 403, message: 'pdb disruptions allowed is negative' };
  if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    return { action: 'refuse', code: 403, message: 'DisruptedPods map too big - too many evictions not confirmed by PDB controller' };
  }
  if ((st.disruptionsAllowed ?? 0) === 0) {
    return { action: 'refuse', code: 429, message: BUDGET_VIOLATION, cause: `The disruption budget ${name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently` };
  }
  const allowed = (st.disruptionsAllowed ?? 0) - 1;
  const status: PodDisruptionBudgetStatus = {
    currentHealthy: st.currentHealthy ?? 0,
    desiredHealthy: st.desiredHealthy ?? 0,
    expectedPods: st.expectedPods ?? 0,
    ...st,
    disruptionsAllowed: allowed,
    disruptedPods: { ...st.disruptedPods, [pod.metadata?.name ?? '']: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z') },
    conditions: allowed === 0 ? disruptionCondition(0, pdb.metadata?.generation, st.conditions, now) : st.conditions,
  };
  return { action: 'charge', pdb, status };
}
