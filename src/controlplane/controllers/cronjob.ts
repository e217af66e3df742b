/**
 * CronJob decisions (Kubernetes `pkg/controller/cronjob`, the v2 controller): keep `status.active`
 * true to the Jobs that exist, start the most recent missed schedule (only that one; over 100
 * missed starts warn), honour suspend, startingDeadlineSeconds, concurrencyPolicy and the history
 * limits, and say when the next schedule is due.
 *
 * Schedules are level-triggered: the reconciler asks to be requeued at the next schedule time (a
 * delayed BullMQ job), as kube-controller-manager does with its work queue, instead of keeping a
 * BullMQ job scheduler per CronJob. The CronJob object (lastScheduleTime) stays the only state, so
 * edits, deletions, suspend and time spent down need no scheduler bookkeeping, and a missed
 * delayed job is repaired by the next event or resync.
 */
import { CronExpressionParser } from 'cron-parser';
import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import { jobFinished } from './job.js';
import { controllerRef, ms } from '../resources/pod-state.js';
import type { ControllerEvent } from './workload-decision.js';

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** Beyond this many missed start times a Warning says so (Kubernetes: 100). */
const MAX_MISSED = 100;

/** Kubernetes' `nextScheduleTimeDuration` adds this so the requeue lands after the schedule time. */
const REQUEUE_SLACK_MS = 100;

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** A parsed schedule: the latest time ≤ t and the first time > t. */
export interface Schedule {
  prev(t: number): number | undefined;
  next(t: number): number;
}

/**
 * Parses a standard 5-field cron schedule (or a descriptor such as `@hourly`) in `timeZone` (IANA;
 * default UTC, the zone berth's controller-manager runs schedules in). Throws with a message for a
 * bad schedule or zone.
 */
export function parseSchedule(schedule: string, timeZone?: string): Schedule {
  const tz = timeZone || 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new Error(`unknown time zone ${tz}`);
  }
  const text = schedule.trim();
  const expr = text.startsWith('@') ? DESCRIPTORS[text] : text;
  if (!expr) throw new Error(`unsupported schedule descriptor ${text}`);
  if (expr.split(/\s+/).length !== 5) throw new Error(`expected exactly 5 fields, found ${expr.split(/\s+/).length}: ${text}`);
  const at = (t: number) => CronExpressionParser.parse(expr, { currentDate: new Date(t), tz });
  at(0); // a bad expression throws here, not at the first prev/next
  return {
    prev(t) {
      try {
        return at(t + 1).prev().getTime();
      } catch {
        return undefined;
      }
    },
    next: (t) => at(t).next().getTime(),
  };
}

/** `<cronjob>-<minutes since the epoch of the scheduled time>`. */
export function jobNameFor(cj: CronJob, scheduled: number): string {
  return `${cj.metadata?.name}-${Math.floor(scheduled / 60_000)}`;
}

/** The Job for the scheduled time `scheduled` from the CronJob's jobTemplate. */
export function newJobFromTemplate(cj: CronJob, scheduled: number): Job {
  const t = cj.spec?.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj, scheduled),
      namespace: cj.metadata?.namespace,
      labels: { ...(t?.metadata?.labels ?? {}) },
      annotations: { ...(t?.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339(scheduled) },
      ownerReferences: [controllerRef(cj, 'batch/v1', 'CronJob')],
    },
    spec: structuredClone(t?.spec ?? { template: {} }),
  };
}

function rfc3339(t: number): string {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function refOf(job: Job): ObjectReference {
  return { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata?.name, namespace: job.metadata?.namespace, uid: job.metadata?.uid, resourceVersion: job.metadata?.resourceVersion };
}

export interface CronJobInput {
  cj: CronJob;
  /** Jobs the CronJob controls */
  jobs: Job[];
  now: number;
}

export interface CronJobDecision {
  /** the Job to create; the reconciler adds it to status.active once created */
  create?: Job;
  /** Jobs to delete (background propagation): replaced active ones and history beyond the limits */
  delete: string[];
  status: CronJobStatus;
  events: ControllerEvent[];
  requeueAfterMs?: number;
}

/** Decides what one CronJob does at `now`. */
export function decideCronJob(input: CronJobInput): CronJobDecision {
  const { cj, now } = input;
  const spec = cj.spec;
  const events: ControllerEvent[] = [];
  const del: string[] = [];
  const old = cj.status ?? {};

  // status.active follows the Jobs that exist and are unfinished
  const byUid = new Map(input.jobs.map((j) => [j.metadata?.uid, j]));
  const active: ObjectReference[] = [];
  for (const ref of old.active ?? []) {
    const j = byUid.get(ref.uid);
    if (!j) continue;
    const finished = jobFinished(j);
    if (finished) events.push({ type: 'Normal', reason: 'SawCompletedJob', message: `Saw completed job: ${j.metadata?.name}, condition: ${finished}` });
    else active.push(refOf(j));
  }
  for (const j of input.jobs) {
    // unfinished Jobs we own but do not list: created just before a crash, or adopted
    if (!jobFinished(j) && !active.some((r) => r.uid === j.metadata?.uid)) active.push(refOf(j));
  }
  let lastSuccessfulTime = old.lastSuccessfulTime;
  for (const j of input.jobs) {
    const done = jobFinished(j) === 'Complete' ? j.status?.completionTime : undefined;
    if (done && (ms(done) ?? 0) > (ms(lastSuccessfulTime) ?? 0)) lastSuccessfulTime = done;
  }
  let lastScheduleTime = old.lastScheduleTime;
  const status = (): CronJobStatus => {
    const s: CronJobStatus = {};
    if (active.length) s.active = active;
    if (lastScheduleTime) s.lastScheduleTime = lastScheduleTime;
    if (lastSuccessfulTime) s.lastSuccessfulTime = lastSuccessfulTime;
    return s;
  };

  // history limits: the oldest finished Jobs beyond each limit go
  for (const [kind, limit] of [['Complete', spec?.successfulJobsHistoryLimit ?? 3], ['Failed', spec?.failedJobsHistoryLimit ?? 1]] as const) {
    const finished = input.jobs.filter((j) => jobFinished(j) === kind && !j.metadata?.deletionTimestamp).sort((a, b) => startOf(a) - startOf(b));
    for (const j of finished.slice(0, Math.max(0, finished.length - limit))) del.push(j.metadata?.name ?? '');
  }

  if (cj.metadata?.deletionTimestamp || spec?.suspend) return { delete: del, status: status(), events };

  let sched: Schedule;
  try {
    sched = parseSchedule(spec?.schedule ?? '', spec?.timeZone);
  } catch (e) {
    const msg = (e as Error).message;
    const reason = msg.startsWith('unknown time zone') ? 'UnknownTimeZone' : 'UnparseableSchedule';
    events.push({ type: 'Warning', reason, message: reason === 'UnknownTimeZone' ? `invalid timeZone: ${spec?.timeZone}: ${msg}` : `unparseable schedule: ${spec?.schedule}: ${msg}` });
    return { delete: del, status: status(), events };
  }
  const requeue = () => sched.next(now) - now + REQUEUE_SLACK_MS;

  // the most recent schedule time not yet started, if any
  let earliest = ms(lastScheduleTime) ?? ms(cj.metadata?.creationTimestamp) ?? now;
  const deadline = spec?.startingDeadlineSeconds;
  if (deadline != null) earliest = Math.max(earliest, now - deadline * 1000);
  const scheduled = sched.prev(now);
  if (scheduled === undefined || scheduled <= earliest) return { delete: del, status: status(), events, requeueAfterMs: requeue() };
  let missed = 0;
  for (let t = sched.next(earliest); t <= now && missed <= MAX_MISSED; t = sched.next(t)) missed++;
  if (missed > MAX_MISSED) {
    events.push({ type: 'Warning', reason: 'TooManyMissedTimes', message: `too many missed start times: > ${MAX_MISSED}. Set or decrease .spec.startingDeadlineSeconds or check clock skew` });
  }
  if (deadline != null && scheduled + deadline * 1000 < now) {
    events.push({ type: 'Warning', reason: 'MissSchedule', message: `Missed scheduled time to start a job: ${rfc3339(scheduled)}` });
    return { delete: del, status: status(), events, requeueAfterMs: requeue() };
  }
  const name = jobNameFor(cj, scheduled);
  if (input.jobs.some((j) => j.metadata?.name === name)) {
    // already started (status not written before a crash)
    if (scheduled > (ms(lastScheduleTime) ?? 0)) lastScheduleTime = rfc3339(scheduled);
    return { delete: del, status: status(), events, requeueAfterMs: requeue() };
  }
  const policy = spec?.concurrencyPolicy ?? 'Allow';
  if (policy === 'Forbid' && active.length > 0) {
    events.push({ type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' });
    return { delete: del, status: status(), events, requeueAfterMs: requeue() };
  }
  if (policy === 'Replace') {
    for (const r of active) del.push(r.name ?? '');
    active.length = 0;
  }
  lastScheduleTime = rfc3339(scheduled);
  return { create: newJobFromTemplate(cj, scheduled), delete: del, status: status(), events, requeueAfterMs: requeue() };
}

function startOf(j: Job): number {
  return ms(j.status?.startTime) ?? ms(j.metadata?.creationTimestamp) ?? 0;
}
