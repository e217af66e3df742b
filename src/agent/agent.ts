/**
 * The node agent (berth's kubelet): registers its Node(s), renews their Leases in kube-node-lease,
 * keeps Ready true, runs the pods bound to them through a runtime (process or sim), writes pod
 * status, and finishes graceful deletions with the final `DELETE gracePeriodSeconds=0` (uid
 * precondition). `createAgent` is one node; `createSimNodes` hosts many sim nodes in one process
 * on one pod informer and one status writer.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, Service, Taint } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../controlplane/api/errors.js';
import type { UserInfo } from '../controlplane/api/request.js';
import type { CommandOutput, RemoteCommandOptions, RemoteCommandSession } from '../controlplane/api/streaming/session.js';
import type { Client } from '../controlplane/client/client.js';
import { EventRecorder } from '../controlplane/client/events.js';
import { Informer } from '../controlplane/client/informer.js';
import { LeanClient } from '../controlplane/client/lean-client.js';
import { refs } from '../controlplane/client/refs.js';
import type { KubeObject } from '../controlplane/resources/types.js';
import type { Runnable } from '../controlplane/runtime/runnable.js';
import type { PodConnectorRegistry, PodStreamSource } from './connector.js';
import { LocalVolumeCleaner } from './local-volumes.js';
import { machineCapacity, nodeObject, nodeStatus, type NodeCapacity, type NodeSpecOptions } from './node-object.js';
import { cleanUpAfterCrash, ProcessRuntime, type ProcessRuntimeOptions } from './runtime/process/process-runtime.js';
import type { LogOptions, LogStream, NodeContext, PodRuntime, RuntimeHost } from './runtime/runtime.js';
import { RuntimeError } from './runtime/runtime.js';
import { SimRuntime, type SimRuntimeOptions } from './runtime/sim/sim-runtime.js';
import { NodeUsage } from './metrics/node-usage.js';
import type { NodeUsageSummary } from '../controlplane/api/metrics/metrics-objects.js';

/** The Ready condition's status in a pod's or node's status. */
function readyOf(status: Pod['status'] | Node['status']): string | undefined {
  return status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

/** The identity an agent for `nodeName` runs as. */
export function nodeUser(nodeName: string): UserInfo {
  return { username: `system:node:${nodeName}`, groups: ['system:nodes', 'system:authenticated'] };
}

export interface AgentTimings {
  /** Lease renewal period (kubelet: 10 s) */
  leaseRenewMs?: number;
  /** leaseDurationSeconds written on the Lease (kubelet: 40) */
  leaseDurationSeconds?: number;
  /** node status is rewritten this often even when unchanged (kubelet: 5 min) */
  nodeStatusReportMs?: number;
}

interface CommonOptions extends AgentTimings {
  /** used for the shared informers (and every write unless `clientFor` is given) */
  client: Client;
  /** the client for one node's writes (its identity: nodeUser(name)) */
  clientFor?: (nodeName: string) => Client;
  labels?: Record<string, string>;
  taints?: Taint[];
  capacity?: Partial<NodeCapacity>;
  /** registers the agent with the API server's pods/log registry (in-process agents) */
  connectors?: PodConnectorRegistry;
  /** concurrent pod status writes (default 16) */
  statusConcurrency?: number;
  log?: (line: string) => void;
}

export interface AgentOptions extends CommonOptions {
  name: string;
  runtime: 'process' | 'sim';
  /** where pods' directories and logs live (process runtime) */
  dataDir: string;
  /** InternalIP and pods' IP (default 127.0.0.1: pods of `berth up` are reached on this machine) */
  address?: string;
  /** the port of the agent's own server, published on the Node for the API server (remote agents) */
  agentPort?: number;
  process?: Omit<ProcessRuntimeOptions, 'dataDir'>;
  sim?: SimRuntimeOptions;
}

export interface SimNodesOptions extends CommonOptions {
  count: number;
  /** node names are `<prefix><i>` (default `sim-node-`) for i from `firstIndex` (default 0) */
  namePrefix?: string;
  firstIndex?: number;
  sim?: SimRuntimeOptions;
}

/** A running agent: a Runnable that also serves pods/log, exec, attach and portforward for its nodes. */
export interface Agent extends Runnable, PodStreamSource {
  readonly nodeNames: string[];
  /** a pod bound to one of this agent's nodes, from its cache */
  pod(namespace: string, name: string): Pod | undefined;
}

interface NodeSlot {
  name: string;
  spec: NodeSpecOptions;
  ctx: NodeContext;
  client: Client;
  runtime: PodRuntime;
  events: EventRecorder;
  nodeUid?: string;
  leaseRv?: string;
  lastStatusMs: number;
  timer?: NodeJS.Timeout;
  usage: NodeUsage;
}

interface CoreOptions extends CommonOptions {
  name: string;
  nodes: { spec: NodeSpecOptions; runtime: (ctx: NodeContext, host: RuntimeHost) => PodRuntime }[];
  podFieldSelector: string;
  /** whether the nodes' local-volume roots are real directories to remove volumes from (process runtime) */
  volumeDirs: boolean;
  /** runs before registration (the process runtime reaps a crashed agent's leftovers); returns a count to log */
  beforeStart?: () => Promise<number>;
  nodeSelector: { fieldSelector?: string; labelSelector?: string };
}

/** Pods and Nodes as the informer caches them (kubernetes-types views of KubeObjects). */
type PodObject = Pod & KubeObject;
type NodeObject = Node & KubeObject;

function microTime(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function isReason(e: unknown, ...reasons: string[]): boolean {
  return e instanceof StatusError && reasons.includes(e.reason);
}

class AgentCore implements Agent {
  readonly name: string;
  private readonly slots = new Map<string, NodeSlot>();
  private readonly podInformer: Informer<PodObject>;
  private readonly nodeInformer: Informer<NodeObject>;
  private readonly volumeCleaner: LocalVolumeCleaner;
  private readonly podKeyByUid = new Map<string, string>();
  private readonly written = new Map<string, string>();
  private readonly dirty = new Map<string, NodeSlot>();
  private readonly inflight = new Set<string>();
  /** status writes and heartbeats under way, awaited at shutdown */
  private readonly writes = new Set<Promise<void>>();
  private closing = false;
  private readonly terminating = new Map<string, number>();
  private writers = 0;
  private signal?: AbortSignal;
  private done?: Promise<void>;
  private unregister: (() => void)[] = [];
  private readonly log: (line: string) => void;

  constructor(private readonly opts: CoreOptions) {
    this.name = opts.name;
    this.log = opts.log ?? (() => {});
    for (const n of opts.nodes) {
      const client = opts.clientFor?.(n.spec.name) ?? opts.client;
      const slot: NodeSlot = {
        name: n.spec.name,
        spec: n.spec,
        client,
        ctx: { nodeName: n.spec.name, address: n.spec.address, allocatable: { cpu: n.spec.capacity.cpu, memory: n.spec.capacity.memory } },
        events: new EventRecorder(client, 'kubelet', n.spec.name),
        runtime: undefined as unknown as PodRuntime,
        lastStatusMs: 0,
        usage: undefined as unknown as NodeUsage,
      };
      slot.runtime = n.runtime(slot.ctx, this.hostFor(slot));
      slot.usage = new NodeUsage({ node: slot.name, runtime: slot.runtime, pods: () => this.podInformer.list((p) => p.spec?.nodeName === slot.name) });
      this.slots.set(slot.name, slot);
    }
    const lean = new LeanClient(opts.client);
    this.podInformer = new Informer<PodObject>(lean, refs.pods, { fieldSelector: opts.podFieldSelector, log: this.log });
    this.nodeInformer = new Informer<NodeObject>(lean, refs.nodes, { ...opts.nodeSelector, log: this.log });
    const volumeNodes = new Map([...this.slots.values()].map((s) => [s.name, { client: s.client, root: opts.volumeDirs ? s.spec.localVolumeRoot : undefined }]));
    this.volumeCleaner = new LocalVolumeCleaner(opts.client, volumeNodes, this.log);
  }

  get nodeNames(): string[] {
    return [...this.slots.keys()];
  }

  private hostFor(slot: NodeSlot): RuntimeHost {
    return {
      statusChanged: (uid) => this.markDirty(slot, uid),
      event: (pod, type, reason, message) => void slot.events.record(pod as never, type, reason, message),
      lookup: async (kind, ns, name) => slot.client.find(kind === 'ConfigMap' ? refs.configmaps : refs.secrets, name, ns),
      services: async (ns) => {
        const [inNamespace, api] = await Promise.all([slot.client.list<Service & KubeObject>(refs.services, { namespace: ns }), ns === 'default' ? undefined : slot.client.find<Service>(refs.services, 'kubernetes', 'default')]);
        return api ? [...inNamespace.items, api] : inNamespace.items;
      },
      lookupClaim: async (ns, name) => {
        const claim = await slot.client.find<PersistentVolumeClaim>(refs.persistentvolumeclaims, name, ns);
        const volumeName = claim?.spec?.volumeName;
        return { claim, volume: volumeName ? await slot.client.find<PersistentVolume>(refs.persistentvolumes, volumeName) : undefined };
      },
      serviceAccountToken: (pod, audience, expirationSeconds) => this.serviceAccountToken(slot, pod, audience, expirationSeconds),
    };
  }

  /** Tokens by pod uid and audience, renewed once 80% of their lifetime has passed (as the kubelet does). */
  private readonly tokens = new Map<string, { token: string; renewAt: number; expiresAt: number }>();

  private async serviceAccountToken(slot: NodeSlot, pod: Pod, audience: string | undefined, expirationSeconds: number): Promise<string> {
    const now = Date.now();
    for (const [k, t] of this.tokens) if (t.expiresAt <= now) this.tokens.delete(k);
    const key = `${pod.metadata?.uid}/${audience ?? ''}`;
    const cached = this.tokens.get(key);
    if (cached && cached.renewAt > now) return cached.token;
    const body = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: audience ? [audience] : undefined, expirationSeconds, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid } },
    };
    const res = await slot.client.post<{ status: { token: string; expirationTimestamp: string } }>(refs.serviceaccounts, pod.spec?.serviceAccountName || 'default', 'token', body, pod.metadata?.namespace);
    const expiresAt = Date.parse(res.status.expirationTimestamp);
    this.tokens.set(key, { token: res.status.token, expiresAt, renewAt: now + 0.8 * (expiresAt - now) });
    return res.status.token;
  }

  async start(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    const killed = await this.opts.beforeStart?.();
    if (killed) this.log(`${this.name}: killed ${killed} container process group(s) a previous agent left running`);
    await this.forEachLimited([...this.slots.values()], 32, (s) => this.register(s));
    await this.nodeInformer.start(signal);
    this.nodeInformer.on({
      onUpdate: (_old, node) => this.nodeChanged(node),
      onDelete: (node) => {
        const slot = this.slots.get(node.metadata?.name ?? '');
        if (slot && !signal.aborted) void this.register(slot).catch((e: Error) => this.log(`agent ${slot.name}: re-register: ${e.message}`));
      },
    });
    this.podInformer.on({
      onAdd: (p) => this.podChanged(p),
      onUpdate: (_o, p) => this.podChanged(p),
      onDelete: (p) => this.podGone(p),
    });
    await this.podInformer.start(signal);
    for (const slot of this.slots.values()) slot.runtime.retain?.(new Set(this.podInformer.list((p) => p.spec?.nodeName === slot.name).map((p) => p.metadata?.uid ?? '')));
    await this.volumeCleaner.start(signal);
    const renewMs = this.opts.leaseRenewMs ?? 10_000;
    for (const slot of this.slots.values()) {
      // spread renewals of many nodes over the period
      const first = this.slots.size > 1 ? Math.floor(Math.random() * renewMs) : renewMs;
      slot.timer = setTimeout(() => this.heartbeat(slot, renewMs), first);
    }
    if (this.opts.connectors) for (const name of this.slots.keys()) this.unregister.push(this.opts.connectors.register(name, this));
    this.done = new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => void this.shutdown().then(resolve), { once: true });
    });
  }

  stopped(): Promise<void> {
    return this.done ?? Promise.resolve();
  }

  private async shutdown(): Promise<void> {
    for (const u of this.unregister) u();
    for (const s of this.slots.values()) clearTimeout(s.timer);
    await Promise.all([this.podInformer.stopped(), this.nodeInformer.stopped(), this.volumeCleaner.stopped(), ...this.writes]);
    // Pods stopped at shutdown are not reported: the API may be going away with us.
    this.closing = true;
    await Promise.all([...this.slots.values()].map((s) => s.runtime.close()));
    await Promise.all(this.writes);
  }

  private async forEachLimited<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
    let i = 0;
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]);
    }));
  }

  /** Creates the Node (or adopts an existing one: our labels win), then its status and Lease. */
  private async register(slot: NodeSlot): Promise<void> {
    const want = nodeObject(slot.spec);
    let node: Node;
    try {
      node = await slot.client.create(refs.nodes, want as never);
      this.log(`agent: registered node ${slot.name}`);
    } catch (e) {
      if (!isReason(e, 'AlreadyExists')) throw e;
      node = await slot.client.patch<Node>(refs.nodes, slot.name, 'merge', { metadata: { labels: want.metadata?.labels, annotations: want.metadata?.annotations } });
    }
    slot.nodeUid = node.metadata?.uid;
    await this.writeNodeStatus(slot, node);
    await this.renewLease(slot);
  }

  private async writeNodeStatus(slot: NodeSlot, node: Node | undefined): Promise<void> {
    const status = nodeStatus(slot.spec, new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), node?.status?.conditions);
    await slot.client.patch(refs.nodes, slot.name, 'merge', { status }, { subresource: 'status' });
    slot.lastStatusMs = Date.now();
  }

  /** A node controller (or a user) changed our Node: put Ready back while we are alive. */
  private nodeChanged(node: Node): void {
    const slot = this.slots.get(node.metadata?.name ?? '');
    if (!slot || this.signal?.aborted) return;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True') void this.writeNodeStatus(slot, node).catch((e: Error) => this.log(`agent ${slot.name}: node status: ${e.message}`));
  }

  private heartbeat(slot: NodeSlot, renewMs: number): void {
    if (this.signal?.aborted) return;
    const work = async () => {
      await this.renewLease(slot);
      const node = this.nodeInformer.get(slot.name);
      // Ready put back (nodeChanged) may have failed: a heartbeat that still sees it not True retries
      if (Date.now() - slot.lastStatusMs >= (this.opts.nodeStatusReportMs ?? 300_000) || (node && readyOf(node.status) !== 'True')) {
        await this.writeNodeStatus(slot, node);
      }
    };
    const beat = work()
      .catch((e: Error) => this.log(`agent ${slot.name}: heartbeat: ${e.message}`))
      .finally(() => {
        this.writes.delete(beat);
        if (!this.signal?.aborted) slot.timer = setTimeout(() => this.heartbeat(slot, renewMs), renewMs);
      });
    this.writes.add(beat);
  }

  /** PUT with the last resourceVersion; on a conflict or a missing Lease, read or create and retry once. */
  private async renewLease(slot: NodeSlot): Promise<void> {
    const lease = (resourceVersion: string | undefined): KubeObject => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: slot.name,
        namespace: 'kube-node-lease',
        resourceVersion,
        ownerReferences: slot.nodeUid ? [{ apiVersion: 'v1', kind: 'Node', name: slot.name, uid: slot.nodeUid }] : undefined,
      },
      spec: { holderIdentity: slot.name, leaseDurationSeconds: this.opts.leaseDurationSeconds ?? 40, renewTime: microTime() } satisfies Lease['spec'],
    });
    for (let attempt = 0; ; attempt++) {
      try {
        const written = slot.leaseRv ? await slot.client.update(refs.leases, lease(slot.leaseRv)) : await slot.client.create(refs.leases, lease(undefined));
        slot.leaseRv = written.metadata?.resourceVersion;
        return;
      } catch (e) {
        if (attempt > 0 || !isReason(e, 'Conflict', 'NotFound', 'AlreadyExists')) throw e;
        const cur = await slot.client.find<Lease>(refs.leases, slot.name, 'kube-node-lease');
        slot.leaseRv = cur?.metadata?.resourceVersion;
      }
    }
  }

  private podChanged(pod: Pod): void {
    const slot = this.slots.get(pod.spec?.nodeName ?? '');
    const uid = pod.metadata?.uid ?? '';
    if (!slot) return;
    this.podKeyByUid.set(uid, `${pod.metadata?.namespace}/${pod.metadata?.name}`);
    if (pod.metadata?.deletionTimestamp) return this.terminate(slot, pod);
    const phase = pod.status?.phase;
    // A pod that finished before this agent (re)started stays finished.
    if ((phase === 'Succeeded' || phase === 'Failed') && !slot.runtime.status(uid)) return;
    slot.runtime.sync(pod);
    // Someone else rewrote readiness (the node lifecycle controller marks pods not ready while this
    // agent is unreachable): post this agent's view again, as the kubelet's status manager does.
    const mine = this.written.has(uid) ? slot.runtime.status(uid) : undefined;
    if (mine && readyOf(mine) !== readyOf(pod.status)) {
      this.written.delete(uid);
      this.markDirty(slot, uid);
    }
  }

  private terminate(slot: NodeSlot, pod: Pod): void {
    const uid = pod.metadata!.uid!;
    const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    const prev = this.terminating.get(uid);
    if (prev !== undefined && prev <= grace) return;
    this.terminating.set(uid, grace);
    slot.runtime
      .terminate(pod, grace)
      .then(() => {
        if (this.terminating.get(uid) !== grace) return;
        return slot.client.delete(refs.pods, pod.metadata!.name!, { namespace: pod.metadata?.namespace, gracePeriodSeconds: 0, preconditions: { uid } });
      })
      .catch((e: Error) => {
        if (!isReason(e, 'NotFound', 'Conflict')) this.log(`agent ${slot.name}: deleting pod ${pod.metadata?.name}: ${e.message}`);
      });
  }

  private podGone(pod: Pod): void {
    const slot = this.slots.get(pod.spec?.nodeName ?? '');
    const uid = pod.metadata?.uid ?? '';
    this.podKeyByUid.delete(uid);
    this.written.delete(uid);
    this.terminating.delete(uid);
    this.dirty.delete(uid);
    if (slot) void slot.runtime.forget(uid);
  }

  private markDirty(slot: NodeSlot, uid: string): void {
    if (this.closing) return;
    this.dirty.set(uid, slot);
    this.pump();
  }

  /**
   * Drains dirty pods with a bounded number of concurrent status writes, at most one per pod at a
   * time (an older write must not land after a newer one).
   */
  private pump(): void {
    const limit = this.opts.statusConcurrency ?? 16;
    if (this.writers >= limit) return;
    for (const [uid, slot] of this.dirty) {
      if (this.writers >= limit) return;
      if (this.inflight.has(uid)) continue;
      this.dirty.delete(uid);
      this.inflight.add(uid);
      this.writers++;
      const w = this.writeStatus(slot, uid).finally(() => {
        this.writers--;
        this.inflight.delete(uid);
        this.writes.delete(w);
        this.pump();
      });
      this.writes.add(w);
    }
  }

  private async writeStatus(slot: NodeSlot, uid: string): Promise<void> {
    const key = this.podKeyByUid.get(uid);
    const pod = key ? this.podInformer.get(key) : undefined;
    const status = slot.runtime.status(uid);
    if (!pod || !status || pod.metadata?.uid !== uid) return;
    // a digest, not the JSON: with tens of thousands of sim pods the last statuses would cost ~100 MB
    const json = createHash('md5').update(JSON.stringify(status)).digest('base64');
    if (this.written.get(uid) === json) return;
    try {
      await slot.client.patch(refs.pods, pod.metadata!.name!, 'merge', { status }, { namespace: pod.metadata?.namespace, subresource: 'status' });
      this.written.set(uid, json);
    } catch (e) {
      if (isReason(e, 'NotFound')) return;
      this.log(`agent ${slot.name}: status of pod ${key}: ${(e as Error).message}`);
      setTimeout(() => this.markDirty(slot, uid), 1000).unref();
    }
  }

  pod(namespace: string, name: string): Pod | undefined {
    return this.podInformer.get(`${namespace}/${name}`);
  }

  private runtimeOf(pod: Pod): PodRuntime {
    const slot = this.slots.get(pod.spec?.nodeName ?? '');
    if (!slot) throw new RuntimeError('NotFound', `pod ${pod.metadata?.name} is not on a node of this agent`);
    return slot.runtime;
  }

  async logs(pod: Pod, opts: LogOptions): Promise<LogStream> {
    return this.runtimeOf(pod).logs(pod, opts);
  }

  async exec(pod: Pod, opts: RemoteCommandOptions, output: CommandOutput): Promise<RemoteCommandSession> {
    return this.runtimeOf(pod).exec(pod, opts, output);
  }

  async attach(pod: Pod, opts: RemoteCommandOptions, output: CommandOutput): Promise<RemoteCommandSession> {
    return this.runtimeOf(pod).attach(pod, opts, output);
  }

  async portForward(pod: Pod, port: number): Promise<Duplex> {
    return this.runtimeOf(pod).portForward(pod, port);
  }

  async resourceUsage(nodeName: string): Promise<NodeUsageSummary> {
    const slot = this.slots.get(nodeName);
    if (!slot) throw new RuntimeError('NotFound', `node ${nodeName} is not served by this agent`);
    return slot.usage.summary();
  }
}

function capacityOf(c: Partial<NodeCapacity> | undefined, dataDir?: string): NodeCapacity {
  return { ...machineCapacity(dataDir), ...c } as NodeCapacity;
}

/**
 * One node agent. Run it as `nodeUser(name)`: `client: api.client(nodeUser(name), 'berth-agent')`
 * in-process, or an HttpTransport with the node's token.
 */
export function createAgent(opts: AgentOptions): Agent {
  mkdirSync(opts.dataDir, { recursive: true });
  const spec: NodeSpecOptions = {
    name: opts.name,
    address: opts.address ?? '127.0.0.1',
    labels: opts.labels,
    taints: opts.taints,
    capacity: capacityOf(opts.capacity, opts.dataDir),
    runtime: opts.runtime,
    agentPort: opts.agentPort,
    localVolumeRoot: opts.runtime === 'process' ? join(resolve(opts.dataDir), 'volumes') : simVolumeRoot(opts.name),
  };
  const runtime =
    opts.runtime === 'process'
      ? (ctx: NodeContext, host: RuntimeHost) => new ProcessRuntime(ctx, host, { ...opts.process, dataDir: opts.dataDir })
      : (ctx: NodeContext, host: RuntimeHost) => new SimRuntime(ctx, host, opts.sim);
  return new AgentCore({
    ...opts,
    name: `agent ${opts.name}`,
    nodes: [{ spec, runtime }],
    volumeDirs: opts.runtime === 'process',
    beforeStart: opts.runtime === 'process' ? () => cleanUpAfterCrash(opts.dataDir) : undefined,
    podFieldSelector: `spec.nodeName=${opts.name}`,
    nodeSelector: { fieldSelector: `metadata.name=${opts.name}` },
  });
}

/**
 * A sim node's local-volume root: published so claims bind and pods schedule there as on a real
 * node, but never created — sim pods touch no files.
 */
function simVolumeRoot(node: string): string {
  return `/var/lib/berth-sim/${node}/volumes`;
}

/** Label every node of one sim fleet carries, so its node informer sees only its own nodes. */
export const SIM_FLEET_LABEL = 'node.berth.dev/sim-fleet';

/**
 * `count` sim nodes in this process, sharing one pod informer (all bound pods, filtered by node
 * name here) and one node informer (by the fleet label).
 */
export function createSimNodes(opts: SimNodesOptions): Agent {
  const prefix = opts.namePrefix ?? 'sim-node-';
  const fleet = prefix.replace(/[^A-Za-z0-9_.-]/g, '').replace(/[-_.]+$/, '') || 'sim';
  const capacity = capacityOf(opts.capacity);
  const first = opts.firstIndex ?? 0;
  const nodes = Array.from({ length: opts.count }, (_, j) => j + first).map((i) => ({
    spec: {
      name: `${prefix}${i}`,
      address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      labels: { ...opts.labels, [SIM_FLEET_LABEL]: fleet },
      taints: opts.taints,
      capacity,
      runtime: 'sim',
      localVolumeRoot: simVolumeRoot(`${prefix}${i}`),
    },
    runtime: (ctx: NodeContext, host: RuntimeHost) => new SimRuntime(ctx, host, opts.sim),
  }));
  return new AgentCore({
    ...opts,
    name: `sim nodes ${prefix}${first}..${first + opts.count - 1}`,
    nodes,
    volumeDirs: false,
    podFieldSelector: 'spec.nodeName!=',
    nodeSelector: { labelSelector: `${SIM_FLEET_LABEL}=${fleet}` },
  });
}
