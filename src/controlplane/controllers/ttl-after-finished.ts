/**
 * TTL-after-finished decisions (Kubernetes `pkg/controller/ttlafterfinished`): a finished Job with
 * `ttlSecondsAfterFinished` is deleted (foreground, so its pods go first) once that many seconds
 * have passed since it finished; until then the reconciler is requeued for that moment.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import { jobFinishTime } from './job.js';

export type TtlDecision = { action: 'none' } | { action: 'wait'; requeueAfterMs: number } | { action: 'delete' };

/** Whether the Job is due for deletion at `now`. */
export function decideTtlAfterFinished(job: Job, now: number): TtlDecision {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl == null || job.metadata?.deletionTimestamp) return { action: 'none' };
  const finished = jobFinishTime(job);
  if (finished === undefined) return { action: 'none' };
  const expireAt = finished + ttl * 1000;
  return expireAt <= now ? { action: 'delete' } : { action: 'wait', requeueAfterMs: expireAt - now };
}
