/**
 * Job decisions (Kubernetes `pkg/controller/job`): how many pods to run (completions, parallelism,
 * Indexed completion), when to give up (backoffLimit with exponential retry delay,
 * activeDeadlineSeconds), suspend/resume, and the status with its conditions. Finished pods are
 * counted through `uncountedTerminatedPods` before their `batch.kubernetes.io/job-tracking`
 * finalizer is removed, so a crash between the two never counts a pod twice or loses it. Pure: the
 * reconciler lists the Job's pods and carries out the decision.
 */
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { EnvVar, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { byCreation, controllerRef, isReady, isTerminal, isTerminating, ms, soonest } from '../resources/pod-state.js';
import type { ControllerEvent } from './workload-decision.js';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/** Retry delay after failed pods: base·2^(n−1), capped (Kubernetes: 10 s, capped at 6 min). */
export interface JobBackoff {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_JOB_BACKOFF: JobBackoff = { baseMs: 10_000, maxMs: 360_000 };

export interface JobInput {
  job: Job;
  /** pods the Job controls, terminating and finished ones included */
  pods: Pod[];
  now: number;
  backoff?: JobBackoff;
}

export interface JobDecision {
  create: Pod[];
  /** names of pods to delete */
  delete: string[];
  /**
   * Written first when `removeFinalizers` is not empty: the old status with the newly finished pods
   * listed in `uncountedTerminatedPods`.
   */
  interimStatus?: JobStatus;
  /** names of pods whose tracking finalizer goes once `interimStatus` is written */
  removeFinalizers: string[];
  /** the status after everything (counters include all finished pods) */
  status: JobStatus;
  events: ControllerEvent[];
  requeueAfterMs?: number;
}

function hasCondition(job: Job, type: string): JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

/** Whether the Job is done: Complete or Failed is True. */
export function jobFinished(job: Job): 'Complete' | 'Failed' | undefined {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  return undefined;
}

/** When the Job finished (its Complete/Failed condition's transition), for ttlSecondsAfterFinished. */
export function jobFinishTime(job: Job): number | undefined {
  const c = hasCondition(job, 'Complete') ?? hasCondition(job, 'Failed');
  return c ? (ms(c.lastTransitionTime) ?? ms(job.status?.completionTime)) : undefined;
}

/** Sets a condition; the transition time changes only when its status does. */
function setCondition(conds: JobCondition[], now: string, type: string, status: 'True' | 'False', reason: string, message: string): JobCondition[] {
  const old = conds.find((c) => c.type === type);
  if (old && old.status === status && old.reason === reason && old.message === message) return conds;
  const c: JobCondition = { type, status, reason, message, lastProbeTime: now, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now };
  return old ? conds.map((x) => (x === old ? c : x)) : [...conds, c];
}

/** Parses `completedIndexes` ("1,3-5") into a set. */
export function parseIndexes(s: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map((x) => Number.parseInt(x, 10));
    if (Number.isNaN(a)) continue;
    for (let i = a; i <= (Number.isNaN(b ?? NaN) ? a : b); i++) out.add(i);
  }
  return out;
}

/** Formats indexes as Kubernetes does: sorted, runs as `a-b`. */
export function formatIndexes(set: Set<number>): string {
  const xs = [...set].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(i === j ? String(xs[i]) : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The completion index of an Indexed Job's pod, or undefined if absent or malformed. */
export function podIndex(pod: Pod): number | undefined {
  const v = pod.metadata?.annotations?.[JOB_COMPLETION_INDEX] ?? pod.metadata?.labels?.[JOB_COMPLETION_INDEX];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** When a finished pod finished: its containers' latest finishedAt, else the best time it has. */
function finishTime(pod: Pod): number {
  let t = 0;
  for (const s of pod.status?.containerStatuses ?? []) t = Math.max(t, ms(s.state?.terminated?.finishedAt) ?? 0);
  if (t) return t;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return ms(ready?.lastTransitionTime) ?? ms(pod.metadata?.deletionTimestamp) ?? ms(pod.status?.startTime) ?? ms(pod.metadata?.creationTimestamp) ?? 0;
}

/** A new pod for the Job (with `index` for Indexed Jobs). */
export function newJobPod(job: Job, index?: number): Pod {
  const name = job.metadata?.name ?? '';
  const t = job.spec?.template;
  const labels = { ...(t?.metadata?.labels ?? {}) };
  const annotations = { ...(t?.metadata?.annotations ?? {}) };
  let spec: PodSpec = { ...(t?.spec ?? { containers: [] }) };
  if (index !== undefined) {
    labels[JOB_COMPLETION_INDEX] = String(index);
    annotations[JOB_COMPLETION_INDEX] = String(index);
    const env: EnvVar = { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']` } } };
    const addEnv = <C extends { env?: EnvVar[] }>(c: C): C => ({ ...c, env: [...(c.env ?? []).filter((e) => e.name !== env.name), env] });
    spec = {
      ...spec,
      hostname: spec.hostname ?? `${name}-${index}`,
      containers: spec.containers.map(addEnv),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map(addEnv) } : {}),
    };
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
      namespace: job.metadata?.namespace,
      labels,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      finalizers: [JOB_TRACKING_FINALIZER],
      ownerReferences: [controllerRef(job, 'batch/v1', 'Job')],
    },
    spec,
  };
}

function restarts(pod: Pod): number {
  let n = 0;
  for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) n += s.restartCount ?? 0;
  return n;
}

/** Decides pods, finalizers and status for one Job. */
export function decideJob(input: JobInput): JobDecision {
  const { job, now } = input;
  const nowIso = new Date(now).toISOString();
  const spec = job.spec ?? { template: {} };
  const old = job.status ?? {};
  const backoff = input.backoff ?? DEFAULT_JOB_BACKOFF;
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions ?? undefined;
  const parallelism = spec.parallelism ?? 1;
  const backoffLimit = spec.backoffLimit ?? 6;
  const events: ControllerEvent[] = [];
  const del = new Set<string>();
  const create: Pod[] = [];
  const delays: (number | undefined)[] = [];

  // Failed = phase Failed, or deleted before succeeding (unless only Failed pods are replaced).
  const onlyFailed = spec.podReplacementPolicy === 'Failed' || !!spec.podFailurePolicy;
  const failedPod = (p: Pod) => p.status?.phase === 'Failed' || (!onlyFailed && isTerminating(p) && p.status?.phase !== 'Succeeded');
  const succeededPod = (p: Pod) => p.status?.phase === 'Succeeded';
  const finishedPod = (p: Pod) => succeededPod(p) || failedPod(p);
  const tracked = (p: Pod) => (p.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
  const uid = (p: Pod) => p.metadata?.uid ?? '';

  // Counting: counters + uncounted (recorded before a crash) + newly finished tracked pods.
  const uncounted = { succeeded: new Set(old.uncountedTerminatedPods?.succeeded ?? []), failed: new Set(old.uncountedTerminatedPods?.failed ?? []) };
  const removeFinalizers: string[] = [];
  const completed = parseIndexes(old.completedIndexes);
  for (const p of input.pods) {
    if (!tracked(p) || !finishedPod(p)) continue;
    removeFinalizers.push(p.metadata?.name ?? '');
    if (uncounted.succeeded.has(uid(p)) || uncounted.failed.has(uid(p))) continue;
    if (succeededPod(p)) uncounted.succeeded.add(uid(p));
    else uncounted.failed.add(uid(p));
  }
  for (const p of input.pods) {
    const i = podIndex(p);
    if (indexed && succeededPod(p) && i !== undefined && (completions === undefined || i < completions) && (tracked(p) || uncounted.succeeded.has(uid(p)))) completed.add(i);
  }
  const succeeded = indexed ? completed.size : (old.succeeded ?? 0) + uncounted.succeeded.size;
  const failed = (old.failed ?? 0) + uncounted.failed.size;

  const active = input.pods.filter((p) => !isTerminal(p) && !isTerminating(p)).sort(byCreation);
  const terminating = input.pods.filter((p) => isTerminating(p) && !isTerminal(p));
  let conditions = [...(old.conditions ?? [])];
  let startTime = old.startTime;
  let completionTime = old.completionTime;
  const finished = jobFinished(job);

  const suspended = spec.suspend === true;
  let stillActive = active;
  const remove = (ps: Pod[]) => {
    for (const p of ps) del.add(p.metadata?.name ?? '');
    stillActive = stillActive.filter((p) => !ps.includes(p));
  };

  // a Job being deleted starts nothing; the garbage collector removes its pods
  const deleting = !!job.metadata?.deletionTimestamp;
  if (finished) {
    remove(active);
  } else if (deleting) {
    // counting goes on (above); no new pods
  } else {
    // Already decided to end? (SuccessCriteriaMet / FailureTarget written before a final condition.)
    let target = conditions.find((c) => (c.type === 'SuccessCriteriaMet' || c.type === 'FailureTarget') && c.status === 'True');
    if (!target) {
      const restartFailures = spec.template?.spec?.restartPolicy === 'OnFailure' ? active.reduce((n, p) => n + restarts(p), 0) : 0;
      const pastBackoff = failed > backoffLimit || (spec.template?.spec?.restartPolicy === 'OnFailure' && (backoffLimit === 0 ? restartFailures > 0 : restartFailures >= backoffLimit));
      const deadlineAt = spec.activeDeadlineSeconds != null && startTime && !suspended ? (ms(startTime) ?? now) + spec.activeDeadlineSeconds * 1000 : undefined;
      const doneCount = completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0;
      if (doneCount) {
        conditions = setCondition(conditions, nowIso, 'SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods');
      } else if (pastBackoff) {
        conditions = setCondition(conditions, nowIso, 'FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
        events.push({ type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
      } else if (deadlineAt !== undefined && deadlineAt <= now) {
        conditions = setCondition(conditions, nowIso, 'FailureTarget', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline');
        events.push({ type: 'Warning', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
      }
      target = conditions.find((c) => (c.type === 'SuccessCriteriaMet' || c.type === 'FailureTarget') && c.status === 'True');
    }

    if (target) {
      // Ending: no pod keeps running; the final condition waits until none is left terminating.
      remove(active);
      if (active.length === 0 && terminating.length === 0) {
        if (target.type === 'SuccessCriteriaMet') {
          conditions = setCondition(conditions, nowIso, 'Complete', 'True', target.reason ?? 'CompletionsReached', target.message ?? '');
          completionTime = nowIso;
          events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
        } else {
          conditions = setCondition(conditions, nowIso, 'Failed', 'True', target.reason ?? 'BackoffLimitExceeded', target.message ?? '');
        }
      }
    } else if (suspended) {
      remove(active);
      if (!conditions.some((c) => c.type === 'Suspended' && c.status === 'True')) events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
      conditions = setCondition(conditions, nowIso, 'Suspended', 'True', 'JobSuspended', 'Job suspended');
    } else {
      if (conditions.some((c) => c.type === 'Suspended' && c.status === 'True')) {
        conditions = setCondition(conditions, nowIso, 'Suspended', 'False', 'JobResumed', 'Job resumed');
        events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
        startTime = nowIso;
      }
      startTime ??= nowIso;
      if (spec.activeDeadlineSeconds != null) delays.push((ms(startTime) ?? now) + spec.activeDeadlineSeconds * 1000 - now);

      // Retry delay after failures (restartPolicy Never: the kubelet does not retry these pods).
      const lastSuccess = Math.max(0, ...input.pods.filter(succeededPod).map(finishTime));
      const failures = input.pods.filter((p) => failedPod(p) && finishTime(p) > lastSuccess);
      let waitMs = 0;
      if (failures.length > 0) {
        const delay = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(failures.length - 1, 30));
        const lastFailure = Math.max(...failures.map(finishTime));
        waitMs = Math.max(0, lastFailure + delay - now);
      }

      const replaceable = onlyFailed ? active.length + terminating.length : active.length;
      if (indexed) {
        const total = completions ?? 0;
        // pods with a bad, completed or duplicate index go
        const seen = new Set<number>();
        const extra: Pod[] = [];
        for (const p of active) {
          const i = podIndex(p);
          if (i === undefined || i >= total || completed.has(i) || seen.has(i)) extra.push(p);
          else seen.add(i);
        }
        remove(extra);
        const busy = new Set([...seen, ...(onlyFailed ? terminating.map(podIndex).filter((i): i is number => i !== undefined) : [])]);
        const want = Math.min(parallelism, total - completed.size);
        const running = stillActive.length + (onlyFailed ? terminating.length : 0);
        if (want > running) {
          if (waitMs > 0) delays.push(waitMs);
          else {
            for (let i = 0; i < total && create.length < want - running; i++) if (!completed.has(i) && !busy.has(i)) create.push(newJobPod(job, i));
          }
        } else if (want < stillActive.length) {
          remove(rankForDeletion(stillActive).slice(0, stillActive.length - want));
        }
      } else {
        // without completions, after a first success whatever runs keeps running and nothing new starts
        const want = completions === undefined ? (succeeded > 0 ? active.length : parallelism) : Math.max(0, Math.min(parallelism, completions - succeeded));
        if (want > replaceable) {
          if (waitMs > 0) delays.push(waitMs);
          else for (let i = 0; i < want - replaceable; i++) create.push(newJobPod(job));
        } else if (want < active.length) {
          remove(rankForDeletion(active).slice(0, active.length - want));
        }
      }
    }
  }

  const base: JobStatus = {
    ...old,
    conditions: conditions.length ? conditions : undefined,
    startTime,
    completionTime,
    active: stillActive.length + create.length,
    ready: stillActive.filter(isReady).length,
    terminating: terminating.length + del.size,
  };
  if (indexed) base.completedIndexes = formatIndexes(completed);
  for (const k of ['conditions', 'startTime', 'completionTime', 'completedIndexes'] as const) if (base[k] === undefined || base[k] === '') delete base[k];
  const status: JobStatus = { ...base, succeeded, failed, uncountedTerminatedPods: {} };
  const fresh = removeFinalizers.length > 0;
  // the interim status changes nothing but the uncounted lists: no reader sees a half-counted Job finish
  const interimStatus: JobStatus | undefined = fresh ? { ...old, uncountedTerminatedPods: { succeeded: [...uncounted.succeeded], failed: [...uncounted.failed] } } : undefined;
  if (finished || deleting || conditions.some((c) => c.type === 'Complete' || c.type === 'Failed')) {
    // a finished or deleted Job lets go of all its pods
    for (const p of input.pods) if (tracked(p) && !removeFinalizers.includes(p.metadata?.name ?? '')) removeFinalizers.push(p.metadata?.name ?? '');
  }
  return { create, delete: [...del], interimStatus, removeFinalizers, status, events, requeueAfterMs: soonest(...delays) };
}

/** Which active pods to remove first: not ready, then not running, then newest (`ActivePods` order). */
function rankForDeletion(pods: Pod[]): Pod[] {
  const rank = (p: Pod) => (isReady(p) ? 2 : p.status?.phase === 'Running' ? 1 : 0);
  return [...pods].sort((a, b) => rank(a) - rank(b) || byCreation(b, a));
}
