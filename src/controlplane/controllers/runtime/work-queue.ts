/**
 * One controller's work queue on BullMQ (ARCHITECTURE rule 4). Keys are job ids, so a key that is
 * waiting is queued once; BullMQ's job lock means one key is never reconciled by two workers (or
 * processes) at once. BullMQ ignores adding an id that is active, so an event arriving mid-reconcile
 * is kept by a per-key "dirty" marker in Redis: the worker clears it before reconciling, runs again
 * while it is set, and re-adds the key once the job has left the active state. An event for a key
 * that waits as a delayed job (requeue after, backoff) promotes it to run now.
 */
import { DelayedError, Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { actionFor, DEFAULT_BACKOFF, type BackoffPolicy, type Outcome, type QueueAction, type Reconciler } from './reconciler.js';

export interface WorkQueueOptions {
  /** the controller's name; the queue is `<prefix>:<name>` in BullMQ's key space */
  name: string;
  /** BullMQ key prefix, e.g. `{berth}`: several clusters (or tests) share one Redis without colliding */
  prefix: string;
  redisUrl: string;
  reconciler: Reconciler;
  /** keys reconciled at once in this process */
  concurrency?: number;
  backoff?: BackoffPolicy;
  /** how long a worker's lock on a key lasts without renewal: a killed process's keys wait this long */
  lockDurationMs?: number;
  /** called for keys that stalled (the user must act) */
  onStalled?(action: Extract<QueueAction, { kind: 'stalled' }>, key: string): void;
  log?: (line: string) => void;
}

interface JobData {
  key: string;
  failures?: number;
}

/** Reruns in one job while events keep arriving, before handing the key back to the queue. */
const MAX_RERUNS = 5;
/** A dirty marker outlives a crashed worker by at most this long (the informers' resync re-adds keys). */
const DIRTY_TTL_MS = 10 * 60 * 1000;

/**
 * Marks a key dirty and reports its job: 0 none, 1 exists (waiting or active), 2 delayed.
 * KEYS: dirty marker, BullMQ job hash, BullMQ delayed zset. ARGV: marker TTL ms, job id.
 * Reads BullMQ's key layout through Queue.toKey / Queue.keys.
 */
const MARK_SCRIPT = `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if redis.call('ZSCORE', KEYS[3], ARGV[2]) then return 2 end
return 1`;

/** BullMQ connection options for a `redis://` URL or a unix socket path. */
export function bullConnection(url: string): ConnectionOptions {
  if (url.startsWith('/') || url.startsWith('unix://')) return { path: url.replace(/^unix:\/\//, ''), maxRetriesPerRequest: null };
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

/** BullMQ refuses custom ids with ':' (and all-digit ones); keys rarely have them, but may. */
export function jobIdOf(key: string): string {
  return 'k/' + key.replace(/%/g, '%25').replace(/:/g, '%3A');
}

export interface QueueStats {
  reconciles: number;
  errors: number;
}

export class WorkQueue {
  private readonly queue: Queue<JobData>;
  private worker?: Worker<JobData>;
  private readonly redis: Redis;
  private readonly pending = new Set<string>();
  private flushing = false;
  private closed = false;
  readonly stats: QueueStats = { reconciles: 0, errors: 0 };

  constructor(private readonly opts: WorkQueueOptions) {
    const connection = bullConnection(opts.redisUrl);
    this.queue = new Queue<JobData>(opts.name, { connection, prefix: opts.prefix });
    this.redis = new Redis(connection as never);
    // connection errors are retried by ioredis; say so instead of crashing on an unhandled 'error'
    const onError = (e: Error) => opts.log?.(`${opts.name}: redis: ${e.message}`);
    this.queue.on('error', onError);
    this.redis.on('error', onError);
  }

  private dirtyKey(key: string): string {
    return `${this.opts.prefix}:${this.opts.name}:dirty:${key}`;
  }

  /**
   * Queues `key`. Calls in one tick are coalesced (informers deliver bursts); safe to call from any
   * process sharing the Redis.
   */
  add(key: string): void {
    if (this.closed) return;
    this.pending.add(key);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.flush());
    }
  }

  private async flush(): Promise<void> {
    const keys = [...this.pending];
    this.pending.clear();
    this.flushing = false;
    await Promise.all(keys.map((k) => this.push(k).catch((e) => this.opts.log?.(`${this.opts.name}: queueing ${k} failed: ${(e as Error).message}`))));
  }

  private async push(key: string): Promise<void> {
    if (this.closed) return;
    const id = jobIdOf(key);
    // One round trip marks the key dirty and says whether its job exists (waiting, active, delayed).
    // The marker is set first, atomically with the check, so a job that finishes right after the
    // check re-adds the key itself (afterRelease).
    const state = (await this.redis.eval(MARK_SCRIPT, 3, this.dirtyKey(key), this.queue.toKey(id), this.queue.keys.delayed, String(DIRTY_TTL_MS), id)) as number;
    if (state === 0) {
      await this.queue.add('reconcile', { key }, { jobId: id, removeOnComplete: true, removeOnFail: true });
    } else if (state === 2) {
      // a delayed job (requeue after, backoff) is not replaced by add: run it now instead
      const job = await this.queue.getJob(id);
      await job?.promote().catch(() => undefined);
    }
  }

  /** Starts the worker; returns at once. */
  start(): void {
    this.worker = new Worker<JobData>(this.opts.name, (job, token) => this.process(job, token), {
      connection: bullConnection(this.opts.redisUrl),
      prefix: this.opts.prefix,
      concurrency: this.opts.concurrency ?? 8,
      lockDuration: this.opts.lockDurationMs ?? 30_000,
      stalledInterval: Math.max(500, Math.floor((this.opts.lockDurationMs ?? 30_000) / 2)),
      // a key whose worker died is never given up on
      maxStalledCount: Number.MAX_SAFE_INTEGER,
    });
    this.worker.on('completed', (job) => void this.afterRelease(job.data.key));
    this.worker.on('error', (e) => this.opts.log?.(`${this.opts.name}: worker error: ${e.message}`));
  }

  /** Once a job has left the active state, events that arrived at its very end re-add the key. */
  private async afterRelease(key: string): Promise<void> {
    if (this.closed) return;
    try {
      if (await this.redis.exists(this.dirtyKey(key))) await this.push(key);
    } catch (e) {
      this.opts.log?.(`${this.opts.name}: re-queueing ${key} failed: ${(e as Error).message}`);
    }
  }

  /** One reconcile; its number in this process tags log lines (`name#id key: ...`). */
  private async runOnce(key: string): Promise<[Outcome, number]> {
    const id = ++this.stats.reconciles;
    try {
      return [{ ok: true, result: await this.opts.reconciler.reconcile(key) }, id];
    } catch (error) {
      this.stats.errors++;
      return [{ ok: false, error }, id];
    }
  }

  private async process(job: Job<JobData>, token?: string): Promise<void> {
    const key = job.data.key;
    const dirty = this.dirtyKey(key);
    let outcome: Outcome;
    let id: number;
    await this.redis.del(dirty);
    for (let run = 1; ; run++) {
      [outcome, id] = await this.runOnce(key);
      // DEL both tells whether events arrived meanwhile and clears the marker for the rerun
      if (run >= MAX_RERUNS || !(await this.redis.del(dirty))) break;
    }
    const action = actionFor(outcome, job.data.failures ?? 0, this.opts.backoff ?? DEFAULT_BACKOFF);
    if (action.kind === 'requeue') {
      if (action.why === 'error') this.opts.log?.(`${this.opts.name}#${id} ${key}: ${describe(outcome)}; retry ${action.failures} in ${action.afterMs} ms`);
      if (action.afterMs === 0 && action.failures === 0) {
        // run again now: completing with the marker set makes afterRelease re-add the key
        await this.redis.set(dirty, '1', 'PX', DIRTY_TTL_MS);
        return;
      }
      await job.updateData({ key, failures: action.failures });
      await job.moveToDelayed(Date.now() + action.afterMs, token);
      await this.afterRelease(key);
      throw new DelayedError();
    }
    if (action.kind === 'stalled') {
      this.opts.log?.(`${this.opts.name}#${id} ${key} stalled (${action.reason}): ${action.message}`);
      this.opts.onStalled?.(action, key);
    }
  }

  /** Stops taking keys; waits for the reconciles under way, unless `force`. */
  async close(force = false): Promise<void> {
    this.closed = true;
    await this.worker?.close(force);
    await this.queue.close();
    this.redis.disconnect();
  }
}

function describe(outcome: Outcome): string {
  return outcome.ok ? 'ok' : outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
}
