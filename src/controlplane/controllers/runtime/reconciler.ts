/**
 * What a controller implements (`Reconciler`) and the one place that turns the outcome of a
 * reconcile into a queue action (ARCHITECTURE rules 3, 4 and 6): done, requeue after a delay, retry
 * with capped exponential backoff, or stalled (the user must act; no hot retry loop).
 */
import type { KubeObject } from '../../resources/types.js';

/** What a reconcile asks of the queue when it succeeds. */
export interface Result {
  /** reconcile this key again after this many milliseconds (a delayed job), even without events */
  requeueAfterMs?: number;
}

/**
 * Reconciles one key (`namespace/name`, or `name` for cluster-scoped objects; the garbage collector
 * prefixes the resource). Never given an event: it reads what is (informers), computes what should
 * be, acts through the client, and is idempotent.
 *
 * Retry contract (as controller-runtime's `Reconcile`):
 * - returns `{}` or nothing: done until the next event for this key (or the informers' resync);
 * - returns `{ requeueAfterMs }`: reconciled again after that delay (sooner if an event arrives);
 * - throws `WaitingError`: something outside is not ready yet; requeued after `afterMs`, not counted
 *   as a failure;
 * - throws `StalledError`: the user must act (bad spec); no retry, a Warning event is recorded on
 *   `object` and the reconciler is expected to have set a condition saying why;
 * - throws anything else (a `StatusError` Conflict from a stale cache, a lost connection): transient,
 *   retried with capped exponential backoff per key; the count resets on the next success.
 * An event that arrives while the key is being reconciled makes it run again afterwards; two
 * reconciles of one key never overlap, across processes too.
 */
export interface Reconciler {
  reconcile(key: string): Promise<Result | void>;
}

/** Something this controller waits for (e.g. a cache to catch up); retried after `afterMs`. */
export class WaitingError extends Error {
  constructor(
    message: string,
    readonly afterMs: number,
  ) {
    super(message);
    this.name = 'WaitingError';
  }
}

/** The user must act; `reason` becomes the Warning event's reason on `object`. */
export class StalledError extends Error {
  constructor(
    message: string,
    readonly reason: string,
    readonly object?: KubeObject,
  ) {
    super(message);
    this.name = 'StalledError';
  }
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 20, maxMs: 60_000 };

/** Delay before retry number `failures` (1-based): base·2^(failures−1), capped. */
export function backoffDelay(failures: number, policy: BackoffPolicy): number {
  const exp = Math.min(failures - 1, 30);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** exp);
}

export type Outcome = { ok: true; result: Result | void } | { ok: false; error: unknown };

export type QueueAction =
  /** the job completes; the key waits for the next event */
  | { kind: 'done' }
  /** the job becomes a delayed job; `failures` is carried to the next run (0 resets) */
  | { kind: 'requeue'; afterMs: number; failures: number; why: 'requeueAfter' | 'waiting' | 'error' }
  /** the job completes without retry; a Warning event says what the user must fix */
  | { kind: 'stalled'; reason: string; message: string; object?: KubeObject };

/** The single mapping from a reconcile outcome to what the queue does with the key. */
export function actionFor(outcome: Outcome, previousFailures: number, policy: BackoffPolicy = DEFAULT_BACKOFF): QueueAction {
  if (outcome.ok) {
    const after = outcome.result?.requeueAfterMs;
    if (after === undefined || !(after >= 0)) return { kind: 'done' };
    return { kind: 'requeue', afterMs: Math.ceil(after), failures: 0, why: 'requeueAfter' };
  }
  const e = outcome.error;
  if (e instanceof StalledError) return { kind: 'stalled', reason: e.reason, message: e.message, object: e.object };
  if (e instanceof WaitingError) return { kind: 'requeue', afterMs: Math.max(0, e.afterMs), failures: 0, why: 'waiting' };
  const failures = previousFailures + 1;
  return { kind: 'requeue', afterMs: backoffDelay(failures, policy), failures, why: 'error' };
}
