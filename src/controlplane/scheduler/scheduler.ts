/**
 * The scheduler component: informers keep the cache current, pending pods go through the BullMQ
 * queue, each attempt runs the pure framework on the cache and then binds through pods/binding
 * after reserving the node in Redis (reservations.ts). A pod that fits nowhere may preempt; else it
 * gets PodScheduled=False/Unschedulable and a FailedScheduling event and waits, out of the queue,
 * until a cluster change that could make it fit (node added or changed in a way that matters, pod
 * deleted, finished or relabelled) puts it back, after its backoff. Every 5 minutes waiting pods are
 * retried regardless, as kube-scheduler does.
 */
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { Redis } from 'ioredis';
import { StatusError } from '../api/errors.js';
import type { Client } from '../client/client.js';
import { EventRecorder } from '../client/events.js';
import { Informer, objectKey } from '../client/informer.js';
import { refs } from '../client/refs.js';
import type { Runnable } from '../runtime/runnable.js';
import { labelSelectorFromObject } from '../store/selectors.js';
import type { KubeObject } from '../resources/types.js';
import { isTerminal, SchedulerCache } from './cache.js';
import { profilesFrom, type SchedulerConfiguration } from './config.js';
import { FitError, Framework } from './framework.js';
import { podInfo } from './pod-info.js';
import { findPreemption, type DisruptionBudget, type Preemption } from './preemption.js';
import { backoffMs, MAX_BACKOFF_MS, SchedulingQueue, type Outcome } from './queue.js';
import { Reservations } from './reservations.js';
import type { NodeInfo, PodInfo } from './types.js';
import { claimsToSelect } from './plugins/volume-binding.js';
import { SELECTED_NODE_ANNOTATION } from '../controllers/persistentvolume.js';

/** The identity the scheduler acts as (RBAC: system:kube-scheduler). */
export const SCHEDULER_USER = { username: 'system:kube-scheduler', groups: ['system:authenticated'] };

/** kube-scheduler's podMaxInUnschedulablePodsDuration. */
const UNSCHEDULABLE_FLUSH_MS = 5 * 60_000;
/** Reservation conflicts with another scheduler retried at once, with the conflict counted. */
const MAX_RESERVE_ROUNDS = 5;
/** Binding cycles in flight per queue worker slot before an attempt waits for one to finish. */
const BINDS_PER_SLOT = 16;

export interface SchedulerOptions {
  /** a client acting as SCHEDULER_USER */
  client: Client;
  /** Redis for the queue and the node reservations (the API's Redis or another) */
  redisUrl: string;
  /** key prefix of the queue and reservations in Redis */
  prefix?: string;
  config?: SchedulerConfiguration;
  /**
   * parallel attempts: decisions stay one at a time; each decided pod's reservation and binding
   * run after its attempt (as kube-scheduler's binding cycle), up to 16× this many at once
   */
  concurrency?: number;
  log?: (line: string) => void;
  /** called with every decision as it is made (node, or undefined when none fits): for benchmarks and tracing */
  onDecision?: (podKey: string, node: string | undefined) => void;
}

/** Counters for tests, benchmarks and logs. */
export interface SchedulerStats {
  /** scheduling attempts (one per pod taken from the queue) */
  attempts: number;
  bound: number;
  unschedulable: number;
  preemptions: number;
  /** reservations refused because another scheduler had reserved first */
  reserveConflicts: number;
  /** waiting pods put back into the queue by cluster changes */
  requeued: number;
}

export interface Scheduler extends Runnable {
  readonly stats: SchedulerStats;
}

interface Waiting {
  attempts: number;
  lastAttempt: number;
  message: string;
}

/**
 * What changed in the cluster. A pod placed somewhere (or relabelled) only helps pods that wait on
 * inter-pod affinity or topology spreading; everything else may help any waiting pod.
 */
type ClusterEvent = 'NodeAdded' | 'NodeChanged' | 'PodRemoved' | 'PodPlaced' | 'VolumeChanged';

const PLACEMENT_SENSITIVE = /affinity rules|topology spread/;

function specChanged(a: Pod, b: Pod): boolean {
  return JSON.stringify([a.spec, a.metadata?.labels, a.metadata?.annotations]) !== JSON.stringify([b.spec, b.metadata?.labels, b.metadata?.annotations]);
}

/** Node changes that may let a waiting pod fit (heartbeats and status churn do not). */
function nodeChangeMatters(a: Node, b: Node): boolean {
  const conditions = (n: Node) => (n.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).sort();
  return JSON.stringify([a.metadata?.labels, a.spec?.taints, a.spec?.unschedulable, a.status?.allocatable, conditions(a)]) !== JSON.stringify([b.metadata?.labels, b.spec?.taints, b.spec?.unschedulable, b.status?.allocatable, conditions(b)]);
}

function unschedulableMessage(pod: Pod): string | undefined {
  const c = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
  return c ? (c.message ?? '') : undefined;
}

/** `redis://host:port` or a unix socket (`/path/redis.sock`, `unix:///path`), as BullMQ needs it (no request retry limit). */
function connect(url: string): Redis {
  if (url.startsWith('/') || url.startsWith('unix://')) return new Redis({ path: url.replace(/^unix:\/\//, ''), maxRetriesPerRequest: null });
  return new Redis(url, { maxRetriesPerRequest: null });
}

class SchedulerImpl implements Scheduler {
  readonly name = 'scheduler';
  readonly stats: SchedulerStats = { attempts: 0, bound: 0, unschedulable: 0, preemptions: 0, reserveConflicts: 0, requeued: 0 };
  private readonly client: Client;
  private readonly log: (line: string) => void;
  private readonly frameworks: Map<string, Framework>;
  private readonly cache = new SchedulerCache();
  private readonly pods: Informer<KubeObject>;
  private readonly nodes: Informer<KubeObject>;
  private readonly namespaces: Informer<KubeObject>;
  private readonly pdbs: Informer<KubeObject>;
  /** claims, volumes and classes, for the VolumeBinding filter */
  private readonly storage: Informer<KubeObject>[];
  private readonly events: EventRecorder;
  /** pods this process found unschedulable */
  private readonly waiting = new Map<string, Waiting>();
  /** pending pods the API shows Unschedulable (maybe by another scheduler process) */
  private readonly unschedulableKeys = new Set<string>();
  private eventSeq = 0;
  /** binding cycles in flight, off the queue's worker slots */
  private readonly binding = new Set<Promise<void>>();
  private redis?: Redis;
  private queue?: SchedulingQueue;
  private reservations?: Reservations;
  private done?: Promise<void>;

  constructor(private readonly opts: SchedulerOptions) {
    this.client = opts.client;
    this.log = opts.log ?? (() => {});
    this.frameworks = new Map(profilesFrom(opts.config).map((p) => [p.schedulerName, new Framework(p)]));
    const log = this.log;
    this.pods = new Informer(this.client, refs.pods, { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed', log });
    this.nodes = new Informer(this.client, refs.nodes, { log });
    this.namespaces = new Informer(this.client, refs.namespaces, { log });
    this.pdbs = new Informer(this.client, refs.poddisruptionbudgets, { log });
    const [claims, volumes, classes] = (this.storage = [refs.persistentvolumeclaims, refs.persistentvolumes, refs.storageclasses].map((r) => new Informer(this.client, r, { log })));
    this.cache.volumes = {
      claim: (ns, name) => claims.get(`${ns}/${name}`) as PersistentVolumeClaim | undefined,
      volume: (name) => volumes.get(name) as PersistentVolume | undefined,
      volumes: () => volumes.list() as PersistentVolume[],
      storageClass: (name) => classes.get(name) as StorageClass | undefined,
    };
    this.events = new EventRecorder(this.client, 'default-scheduler');
  }

  private ours(pod: Pod): boolean {
    return this.frameworks.has(pod.spec?.schedulerName ?? 'default-scheduler');
  }

  private pending(pod: Pod): boolean {
    return !pod.spec?.nodeName && !pod.metadata?.deletionTimestamp && !isTerminal(pod) && this.ours(pod);
  }

  private enqueue(pod: Pod, delayMs = 0): void {
    this.queue?.add(objectKey(pod as KubeObject), pod.spec?.priority ?? 0, delayMs).catch((e: Error) => this.log(`scheduler: queueing ${objectKey(pod as KubeObject)}: ${e.message}`));
  }

  /** Puts the waiting pods `event` may help back into the queue, each after what is left of its backoff. */
  private clusterChanged(event: ClusterEvent): void {
    if (this.waiting.size === 0 && this.unschedulableKeys.size === 0) return;
    this.eventSeq++;
    const now = Date.now();
    for (const key of new Set([...this.waiting.keys(), ...this.unschedulableKeys])) {
      const pod = this.pods.get(key) as Pod | undefined;
      if (!pod || !this.pending(pod)) continue;
      const w = this.waiting.get(key);
      const message = w?.message ?? unschedulableMessage(pod) ?? '';
      if (event === 'PodPlaced' && !PLACEMENT_SENSITIVE.test(message)) continue;
      this.stats.requeued++;
      this.enqueue(pod, w ? Math.max(0, w.lastAttempt + backoffMs(w.attempts) - now) : 0);
    }
  }

  private track(pod: Pod): void {
    const key = objectKey(pod as KubeObject);
    if (this.pending(pod) && unschedulableMessage(pod) !== undefined) this.unschedulableKeys.add(key);
    else this.unschedulableKeys.delete(key);
    if (!this.pending(pod)) this.waiting.delete(key);
  }

  private watch(): void {
    this.pods.on({
      onAdd: (o) => {
        const pod = o as Pod;
        this.cache.upsertPod(pod);
        this.track(pod);
        if (this.pending(pod)) this.enqueue(pod);
        else if (pod.spec?.nodeName) this.clusterChanged('PodPlaced');
      },
      onUpdate: (old, o) => {
        const before = old as Pod;
        const pod = o as Pod;
        this.cache.upsertPod(pod);
        this.track(pod);
        if (this.pending(pod)) {
          // Status writes (ours included) do not make a pod fit; spec and label changes may.
          if (specChanged(before, pod)) this.enqueue(pod);
          return;
        }
        const relabelled = JSON.stringify(before.metadata?.labels) !== JSON.stringify(pod.metadata?.labels);
        if (pod.spec?.nodeName && (relabelled || !before.spec?.nodeName)) this.clusterChanged('PodPlaced');
      },
      onDelete: (o) => {
        const pod = o as Pod;
        const key = objectKey(o);
        const node = this.cache.nodeOf(key) ?? pod.spec?.nodeName;
        this.cache.removePod(pod);
        this.waiting.delete(key);
        this.unschedulableKeys.delete(key);
        if (node && pod.metadata?.uid) this.reservations?.release(node, pod.metadata.uid).catch(() => {});
        if (node) this.clusterChanged('PodRemoved');
      },
    });
    this.nodes.on({
      onAdd: (o) => {
        this.cache.upsertNode(o as Node);
        this.clusterChanged('NodeAdded');
      },
      onUpdate: (old, o) => {
        this.cache.upsertNode(o as Node);
        if (nodeChangeMatters(old as Node, o as Node)) this.clusterChanged('NodeChanged');
      },
      onDelete: (o) => this.cache.removeNode(o.metadata?.name ?? ''),
    });
    // a claim bound or provisioned, a volume or class added, may let a pod waiting on its claims fit
    for (const i of this.storage) i.on({ onAdd: () => this.clusterChanged('VolumeChanged'), onUpdate: (a, b) => a !== b && this.clusterChanged('VolumeChanged') });
    this.namespaces.on({
      onAdd: (o) => this.cache.setNamespace(o.metadata?.name ?? '', o.metadata?.labels ?? {}),
      onUpdate: (_old, o) => this.cache.setNamespace(o.metadata?.name ?? '', o.metadata?.labels ?? {}),
      onDelete: (o) => this.cache.setNamespace(o.metadata?.name ?? '', undefined),
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    const prefix = this.opts.prefix ?? 'berth';
    this.redis = connect(this.opts.redisUrl);
    this.reservations = new Reservations(this.redis, prefix);
    this.queue = new SchedulingQueue(this.redis, prefix);
    this.watch();
    await Promise.all([this.namespaces.start(signal), this.nodes.start(signal), this.pdbs.start(signal), ...this.storage.map((i) => i.start(signal))]);
    await this.pods.start(signal);
    this.queue.start((key) => this.attempt(key), this.opts.concurrency ?? 16, this.log);
    const flush = setInterval(() => {
      const now = Date.now();
      for (const [key, w] of this.waiting) {
        const pod = this.pods.get(key) as Pod | undefined;
        if (pod && this.pending(pod) && now - w.lastAttempt >= UNSCHEDULABLE_FLUSH_MS) this.enqueue(pod);
      }
      this.cache.expireForeign(now);
    }, 30_000);
    flush.unref();
    this.done = new Promise((resolve) => {
      signal.addEventListener(
        'abort',
        () => {
          clearInterval(flush);
          void (async () => {
            await this.queue?.close();
            await Promise.all(this.binding);
            await Promise.all([this.pods.stopped(), this.nodes.stopped(), this.namespaces.stopped(), this.pdbs.stopped(), ...this.storage.map((i) => i.stopped())]);
            this.redis?.disconnect();
            resolve();
          })();
        },
        { once: true },
      );
    });
  }

  stopped(): Promise<void> {
    return this.done ?? Promise.resolve();
  }

  private budgets(): DisruptionBudget[] {
    return this.pdbs.list().map((o) => {
      const pdb = o as PodDisruptionBudget;
      return {
        namespace: pdb.metadata?.namespace ?? '',
        selector: labelSelectorFromObject(pdb.spec?.selector ?? null),
        disruptionsAllowed: pdb.status?.disruptionsAllowed ?? 0,
        disrupted: new Set(Object.keys(pdb.status?.disruptedPods ?? {})),
      };
    });
  }

  /** One scheduling attempt for the pod with `key`; the outcome says whether to retry it. */
  private async attempt(key: string): Promise<Outcome> {
    const pod = this.pods.get(key) as Pod | undefined;
    if (!pod || !this.pending(pod) || this.cache.isAssumed(key)) return { done: true };
    const framework = this.frameworks.get(pod.spec?.schedulerName ?? 'default-scheduler')!;
    this.stats.attempts++;
    const seq = this.eventSeq;
    const info = podInfo(pod);
    const result = this.decide(framework, info);
    if (result instanceof FitError) return this.unschedulable(pod, info, framework, result, seq);
    const b: Promise<void> = this.bindingCycle(pod, info, framework, result.node, seq).finally(() => this.binding.delete(b));
    this.binding.add(b);
    while (this.binding.size >= BINDS_PER_SLOT * (this.opts.concurrency ?? 16)) await Promise.race(this.binding);
    return { done: true };
  }

  /** The framework's decision for `info`; a node found is assumed at once, so the next decision counts the pod there. */
  private decide(framework: Framework, info: PodInfo): ReturnType<Framework['schedule']> {
    const result = framework.schedule(info, this.cache);
    this.opts.onDecision?.(info.key, result instanceof FitError ? undefined : result.node.name);
    if (!(result instanceof FitError)) this.cache.assume(info, result.node.name);
    return result;
  }

  /**
   * The binding cycle, apart from the attempt (as kube-scheduler's): the queue slot takes the next
   * pod while this reserves the node in Redis, writes the binding and records the Scheduled event;
   * the pod stays assumed meanwhile, so a new job for it ends at once. A reservation refused by
   * another scheduler's is counted and the pod decided again, up to MAX_RESERVE_ROUNDS times, then
   * queued after its backoff. A failure other than the pod being bound elsewhere or gone queues it
   * again after the maximum backoff. The attempt waits only when BINDS_PER_SLOT cycles per slot
   * are in flight.
   */
  private async bindingCycle(pod: Pod, info: PodInfo, framework: Framework, node: NodeInfo, seq: number): Promise<void> {
    try {
      for (let round = 1; ; round++) {
        const reserved = await this.reservations!.reserve(info, node);
        if (reserved.ok) break;
        this.stats.reserveConflicts++;
        this.cache.forget(info.key);
        this.cache.addForeign(node.name, reserved.foreign);
        if (round === MAX_RESERVE_ROUNDS) return this.requeue(info.key, backoffMs(1));
        const result = this.decide(framework, info);
        if (result instanceof FitError) {
          const outcome = await this.unschedulable(pod, info, framework, result, seq);
          if ('retryAfterMs' in outcome) this.requeue(info.key, outcome.retryAfterMs);
          return;
        }
        node = result.node;
      }
      await this.bind(pod, info, node.name);
    } catch (e) {
      this.cache.forget(info.key);
      this.log(`scheduler: binding ${info.key} to ${node.name}: ${(e as Error).message}; retrying in ${MAX_BACKOFF_MS} ms`);
      this.requeue(info.key, MAX_BACKOFF_MS);
    }
  }

  /** Queues the pod with `key` again after `delayMs`, if it still waits for a node. */
  private requeue(key: string, delayMs: number): void {
    const pod = this.pods.get(key) as Pod | undefined;
    if (pod && this.pending(pod)) this.enqueue(pod, delayMs);
  }

  private async bind(pod: Pod, info: PodInfo, node: string): Promise<void> {
    const ns = info.namespace;
    const name = pod.metadata?.name ?? '';
    try {
      // PreBind: WaitForFirstConsumer claims learn their node; the PV controller binds or provisions there
      for (const claim of claimsToSelect(pod, this.cache.volumes)) {
        if (claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] === node) continue;
        await this.client.patch(refs.persistentvolumeclaims, claim.metadata?.name ?? '', 'merge', { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: node } } }, { namespace: ns });
      }
      await this.client.post(refs.pods, name, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace: ns }, target: { apiVersion: 'v1', kind: 'Node', name: node } }, ns);
    } catch (e) {
      this.cache.forget(info.key);
      await this.reservations!.release(node, info.uid).catch(() => {});
      // Conflict: bound by someone else or being deleted; NotFound: gone. Both end here.
      if (e instanceof StatusError && (e.reason === 'Conflict' || e.reason === 'NotFound')) return;
      throw e;
    }
    this.stats.bound++;
    this.waiting.delete(info.key);
    // part of the cycle, so a busy API holds back new cycles rather than a growing heap of events
    await this.events.record(pod as KubeObject, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${node}`);
  }

  private async unschedulable(pod: Pod, info: PodInfo, framework: Framework, fit: FitError, seq: number): Promise<Outcome> {
    this.stats.unschedulable++;
    const message = fit.message;
    const w = this.waiting.get(info.key) ?? { attempts: 0, lastAttempt: 0, message };
    w.attempts++;
    w.lastAttempt = Date.now();
    w.message = message;
    this.waiting.set(info.key, w);
    const preemption = findPreemption(framework, info, this.cache, fit, this.budgets());
    if (preemption) await this.preempt(info, preemption);
    void this.events.record(pod as KubeObject, 'Warning', 'FailedScheduling', message);
    await this.setCondition(pod, message, preemption?.node);
    // Something changed while we tried: the pod may fit now, so it goes back after its backoff.
    if (this.eventSeq !== seq) return { retryAfterMs: backoffMs(w.attempts) };
    return { done: true };
  }

  private async preempt(info: PodInfo, p: Preemption): Promise<void> {
    this.stats.preemptions++;
    for (const v of p.victims) {
      if (v.terminating) continue;
      const vp = v.pod;
      try {
        await this.client.delete(refs.pods, vp.metadata?.name ?? '', { namespace: v.namespace, preconditions: { uid: v.uid } });
        await this.reservations!.release(p.node, v.uid).catch(() => {});
        void this.events.record(vp as KubeObject, 'Normal', 'Preempted', `Preempted by pod ${info.uid} on node ${p.node}`);
      } catch (e) {
        if (!(e instanceof StatusError && (e.reason === 'NotFound' || e.reason === 'Conflict'))) throw e;
      }
    }
  }

  /** PodScheduled=False/Unschedulable with the message (and the nominated node), only when it changes. */
  private async setCondition(pod: Pod, message: string, nominated?: string): Promise<void> {
    const cur = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
    const sameCondition = cur?.status === 'False' && cur.reason === 'Unschedulable' && cur.message === message;
    if (sameCondition && (!nominated || pod.status?.nominatedNodeName === nominated)) return;
    const status: Record<string, unknown> = {
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: cur?.status === 'False' ? cur.lastTransitionTime : new Date().toISOString().replace(/\.\d+Z$/, 'Z') }],
    };
    if (nominated) status.nominatedNodeName = nominated;
    try {
      await this.client.patch(refs.pods, pod.metadata?.name ?? '', 'strategic', { status }, { namespace: pod.metadata?.namespace, subresource: 'status' });
    } catch (e) {
      if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
    }
  }
}

/** The scheduler as a Runnable: `start` returns once its caches are synced and its queue worker runs. */
export function createScheduler(opts: SchedulerOptions): Scheduler {
  return new SchedulerImpl(opts);
}
