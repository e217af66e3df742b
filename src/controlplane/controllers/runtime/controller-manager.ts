/**
 * The controller-manager: a Runnable that runs a set of controllers against the API. It creates the
 * shared informers the controllers ask for, waits until they have listed, then starts one BullMQ
 * worker per controller. Any number of managers (processes, machines) on one Redis share the queues.
 */
import { Redis } from 'ioredis';
import type { Client } from '../../client/client.js';
import { EventRecorder } from '../../client/events.js';
import type { UserInfo } from '../../api/request.js';
import type { Runnable } from '../../runtime/runnable.js';
import type { Controller } from './controller.js';
import { Expectations } from './expectations.js';
import { SharedInformers } from './informers.js';
import type { BackoffPolicy, Reconciler } from './reconciler.js';
import { bullConnection, WorkQueue } from './work-queue.js';

/** The identity controllers act as (RBAC subject `system:kube-controller-manager`). */
export const CONTROLLER_MANAGER_USER: UserInfo = { username: 'system:kube-controller-manager', groups: ['system:authenticated'] };

export interface ControllerManagerOptions {
  /** a client acting as CONTROLLER_MANAGER_USER; `userAgent` names the caller */
  client: (userAgent: string) => Client;
  redisUrl: string;
  /** BullMQ and marker key prefix; managers of one cluster use the same one. Default `{berth-controllers}` (its own Redis Cluster slot, apart from the object store's `{berth}`). */
  prefix?: string;
  /** controllers to run (../index.ts defaults this to every built-in one) */
  controllers: Controller[];
  /**
   * controllers that run their own loop instead of a work queue (the node lifecycle controller's
   * periodic scan): started once the queues run, stopped with the manager
   */
  loops?: Runnable[];
  /** keys each controller reconciles at once in this process (default 8) */
  concurrency?: number;
  /** lock time after which a dead process's keys are taken over (default 30 s) */
  lockDurationMs?: number;
  /** informer resync, which also re-adds keys whose events were lost to a crash (default 5 min) */
  resyncMs?: number;
  backoff?: BackoffPolicy;
  log?: (line: string) => void;
}

export interface ControllerManager extends Runnable {
  /** reconciles and errors so far, per controller */
  stats(): Record<string, { reconciles: number; errors: number }>;
  /** stops without waiting for reconciles under way (a crash, for tests) */
  abort(): Promise<void>;
}

export function createControllerManager(opts: ControllerManagerOptions): ControllerManager {
  const prefix = opts.prefix ?? '{berth-controllers}';
  const log = opts.log ?? (() => {});
  const informers = new SharedInformers(opts.client('berth-controller-manager/informers'), { resyncMs: opts.resyncMs ?? 5 * 60_000, log });
  const redis = new Redis(bullConnection(opts.redisUrl) as never);
  redis.on('error', (e: Error) => log(`controller-manager: redis: ${e.message}`));
  const queues = new Map<string, WorkQueue>();
  const loops = opts.loops ?? [];
  let informersStarted = false;

  for (const c of opts.controllers) {
    const client = opts.client(`berth-controller-manager/${c.name}`);
    const events = new EventRecorder(client, c.name);
    // the queue exists before setup so setup's handlers can enqueue; its reconciler is set right after
    const holder: { r?: Reconciler } = {};
    const queue = new WorkQueue({
      name: c.name,
      prefix,
      redisUrl: opts.redisUrl,
      concurrency: opts.concurrency,
      lockDurationMs: opts.lockDurationMs,
      backoff: opts.backoff,
      log,
      reconciler: { reconcile: (key) => holder.r!.reconcile(key) },
      onStalled: (a) => {
        if (a.object) void events.record(a.object, 'Warning', a.reason, a.message);
      },
    });
    holder.r = c.setup({
      client,
      informers,
      enqueue: (key) => queue.add(key),
      events,
      expectations: new Expectations(redis, `${prefix}:${c.name}`, informers),
      redisUrl: opts.redisUrl,
      prefix,
      log,
    });
    queues.set(c.name, queue);
  }

  async function shutdown(force: boolean): Promise<void> {
    await Promise.all([...queues.values()].map((q) => q.close(force)));
    await Promise.all(loops.map((l) => l.stopped()));
    if (informersStarted) await informers.stopped();
    redis.disconnect();
  }

  let stoppedPromise: Promise<void> = Promise.resolve();
  let abortInformers: AbortController | undefined;
  return {
    name: 'controller-manager',
    async start(signal: AbortSignal) {
      abortInformers = new AbortController();
      signal.addEventListener('abort', () => abortInformers!.abort(), { once: true });
      await informers.start(abortInformers.signal);
      informersStarted = true;
      for (const q of queues.values()) q.start();
      for (const l of loops) await l.start(abortInformers.signal);
      log(`controller-manager: ${[...queues.keys(), ...loops.map((l) => l.name)].join(', ')} running`);
      stoppedPromise = new Promise((resolve) => {
        signal.addEventListener('abort', () => void shutdown(false).then(resolve, resolve), { once: true });
      });
    },
    stopped: () => stoppedPromise,
    async abort() {
      abortInformers?.abort();
      await shutdown(true);
    },
    stats() {
      return Object.fromEntries([...queues].map(([n, q]) => [n, { ...q.stats }]));
    },
  };
}
