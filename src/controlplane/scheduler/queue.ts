/**
 * The queue of pods to schedule, on BullMQ: one job per pod (jobId = `namespace/name`, so a pod
 * waits at most once), ordered by pod priority (BullMQ priorities), retried after a delay with
 * capped exponential backoff (1 s → 10 s, as kube-scheduler's podInitialBackoff/podMaxBackoff).
 * Several scheduler processes on one Redis share it.
 */
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';

export const INITIAL_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 10_000;

/** The delay before attempt `attempts + 1` after `attempts` failed ones. */
export function backoffMs(attempts: number): number {
  if (attempts <= 0) return 0;
  return Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** (attempts - 1));
}

const MAX_QUEUE_PRIORITY = 2_097_151;
const INT32 = 2 ** 31;
const USER_MAX = 1_000_000_000;

/**
 * A pod priority (int32) as a BullMQ priority (1..2,097,151, lower runs first), order preserved:
 * negative priorities in 100,000 buckets, 0..199,999 exact, up to 1e9 (the user maximum) in buckets
 * of 4,096, and the system range above in buckets of 1,000 (system-cluster-critical and
 * system-node-critical stay apart).
 */
export function queuePriority(podPriority: number): number {
  const p = Math.trunc(podPriority);
  let rank: number;
  if (p < 0) rank = Math.floor(((p + INT32) / INT32) * 100_000);
  else if (p < 200_000) rank = 100_000 + p;
  else if (p <= USER_MAX) rank = 300_000 + Math.floor((p - 200_000) / 4096);
  else rank = 545_000 + Math.floor((p - USER_MAX) / 1000);
  return MAX_QUEUE_PRIORITY - rank;
}

export interface QueueJob {
  key: string;
}

/** What the processor tells the queue to do with a pod after an attempt. */
export type Outcome = { done: true } | { retryAfterMs: number };

export class SchedulingQueue {
  private readonly queue: Queue<QueueJob>;
  private worker?: Worker<QueueJob>;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    readonly name = 'scheduler',
  ) {
    this.queue = new Queue<QueueJob>(name, { connection, prefix });
  }

  /** Queues `key` unless it waits already; `delayMs` defers it (backoff). */
  async add(key: string, priority: number, delayMs = 0): Promise<void> {
    await this.queue.add('schedule', { key }, { jobId: key, priority: queuePriority(priority), delay: delayMs > 0 ? Math.ceil(delayMs) : undefined, removeOnComplete: true, removeOnFail: true });
  }

  /**
   * Starts `concurrency` parallel attempts. An outcome with `retryAfterMs` moves the same job back
   * as delayed (so the pod keeps its single place in the queue); a throw is logged and retried the
   * same way after the maximum backoff.
   */
  start(process: (key: string) => Promise<Outcome>, concurrency: number, log: (line: string) => void): void {
    this.worker = new Worker<QueueJob>(
      this.name,
      async (job: Job<QueueJob>, token?: string) => {
        let outcome: Outcome;
        try {
          outcome = await process(job.data.key);
        } catch (e) {
          log(`scheduler: ${job.data.key}: ${(e as Error).message}; retrying in ${MAX_BACKOFF_MS} ms`);
          outcome = { retryAfterMs: MAX_BACKOFF_MS };
        }
        if ('retryAfterMs' in outcome) {
          await job.moveToDelayed(Date.now() + Math.max(1, Math.ceil(outcome.retryAfterMs)), token);
          throw new DelayedError();
        }
      },
      { connection: this.connection, prefix: this.prefix, concurrency, autorun: true },
    );
    this.worker.on('error', (e) => log(`scheduler queue: ${e.message}`));
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
