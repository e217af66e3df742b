/**
 * The scheduler's view of the cluster, kept current by informers: a NodeInfo per node with the
 * pods bound to it, pods assumed bound (decided here, binding in flight — so the next decision
 * counts them at once), pods nominated by preemption, reservations other schedulers hold that the
 * watches do not show yet, and namespace labels. It is the `Snapshot` the framework schedules
 * against; decisions run synchronously on it, so no copy is taken.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { objectKey } from '../client/informer.js';
import { addPod, nodeInfo, removePod } from './node-info.js';
import { labelCountKey, podInfo } from './pod-info.js';
import type { ForeignReservation } from './reservations.js';
import { emptyResources, type AffinityTerm, type DomainCounts, type NodeInfo, type PodInfo, type Snapshot, type VolumeLister } from './types.js';

const NONE: readonly PodInfo[] = [];

interface Placed {
  node: string;
  info: PodInfo;
  assumed: boolean;
}

/** Pods in these phases hold nothing on their node. */
export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export class SchedulerCache implements Snapshot {
  private readonly infos = new Map<string, NodeInfo>();
  /** names of nodes that exist (pods may name a node the cache has not seen yet) */
  private readonly real = new Set<string>();
  private ordered: NodeInfo[] | undefined;
  /** nodes (names) with pods that have affinity terms, and their NodeInfos once asked */
  private readonly affinityNodes = new Set<string>();
  private affinityList: NodeInfo[] | undefined;
  /** required anti-affinity term → node name of each placed pod carrying it; resolved once asked */
  private readonly antiTerms = new Map<AffinityTerm, string[]>();
  /** the same terms by countKey ('' for terms that are not one label) */
  private readonly antiTermsByCountKey = new Map<string, Set<AffinityTerm>>();
  private terminatingPods = 0;
  private readonly placed = new Map<string, Placed>();
  private readonly nominatedByNode = new Map<string, Map<string, PodInfo>>();
  private readonly nominatedNodeOf = new Map<string, string>();
  private readonly foreign = new Map<string, { node: string; key: string; expires: number }>();
  private readonly namespaces = new Map<string, Record<string, string>>();
  /** spreading index: topology key → value → nodes (built when asked); labelCounts key → node → live pods */
  private readonly domainsByKey = new Map<string, Map<string, number>>();
  private readonly liveByCountKey = new Map<string, Map<string, number>>();

  /** set by the scheduler once it watches claims, volumes and classes */
  volumes?: VolumeLister;

  constructor(private readonly foreignTtlMs = 30_000) {}

  get nodes(): readonly NodeInfo[] {
    this.ordered ??= [...this.real].sort().map((n) => this.infos.get(n)!);
    return this.ordered;
  }

  get(name: string): NodeInfo | undefined {
    return this.real.has(name) ? this.infos.get(name) : undefined;
  }

  namespaceLabels(namespace: string): Record<string, string> | undefined {
    return this.namespaces.get(namespace);
  }

  nominated(node: string): readonly PodInfo[] {
    if (this.nominatedByNode.size === 0) return NONE;
    const m = this.nominatedByNode.get(node);
    return m ? [...m.values()] : NONE;
  }

  nodesWithAffinity(): readonly NodeInfo[] {
    this.affinityList ??= this.nodes.filter((n) => this.affinityNodes.has(n.name));
    return this.affinityList;
  }

  antiAffinityTerms(pod: PodInfo): ReadonlyMap<AffinityTerm, readonly NodeInfo[]> {
    // Only terms that could select the pod: one-label terms on its labels, and every other term.
    const out = new Map<AffinityTerm, readonly NodeInfo[]>();
    this.addAntiTerms(out, '');
    for (const k in pod.labels) this.addAntiTerms(out, labelCountKey(pod.namespace, k, pod.labels[k]));
    return out;
  }

  private addAntiTerms(out: Map<AffinityTerm, readonly NodeInfo[]>, countKey: string): void {
    for (const t of this.antiTermsByCountKey.get(countKey) ?? []) {
      const nodes: NodeInfo[] = [];
      for (const name of this.antiTerms.get(t)!) {
        const n = this.get(name);
        if (n) nodes.push(n);
      }
      if (nodes.length > 0) out.set(t, nodes);
    }
  }

  podCounts(topologyKey: string, countKey: string): ReadonlyMap<string, number> | undefined {
    // The spreading counts leave terminating pods out; with none, they count every pod.
    return this.terminatingPods === 0 ? this.domainCounts(topologyKey, countKey).counts : undefined;
  }

  domainCounts(topologyKey: string, countKey: string): DomainCounts {
    let domains = this.domainsByKey.get(topologyKey);
    if (!domains) {
      domains = new Map();
      for (const n of this.nodes) {
        const v = n.labels[topologyKey];
        if (v !== undefined) domains.set(v, (domains.get(v) ?? 0) + 1);
      }
      this.domainsByKey.set(topologyKey, domains);
    }
    // Only the nodes that hold such pods are visited.
    const counts = new Map<string, number>();
    for (const [name, n] of this.liveByCountKey.get(countKey) ?? []) {
      const v = this.get(name)?.labels[topologyKey];
      if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + n);
    }
    return { domains, counts };
  }

  /** Keeps liveByCountKey right after `p` was added to (+1) or removed from (−1) node `node`. */
  private indexLabels(node: string, p: PodInfo, by: number): void {
    if (p.terminating) return;
    for (const k in p.labels) {
      const key = labelCountKey(p.namespace, k, p.labels[k]);
      let nodes = this.liveByCountKey.get(key);
      if (!nodes) this.liveByCountKey.set(key, (nodes = new Map()));
      const n = (nodes.get(node) ?? 0) + by;
      if (n > 0) nodes.set(node, n);
      else nodes.delete(node);
      if (nodes.size === 0) this.liveByCountKey.delete(key);
    }
  }

  /** Keeps the affinity indexes right after `p` was added to (+1) or removed from (−1) `info`. */
  private indexAffinity(info: NodeInfo, p?: PodInfo, by = 0): void {
    const has = info.podsWithAffinity.length > 0;
    if (has !== this.affinityNodes.has(info.name)) {
      if (has) this.affinityNodes.add(info.name);
      else this.affinityNodes.delete(info.name);
      this.affinityList = undefined;
    }
    if (p?.terminating) this.terminatingPods += by;
    if (!p || p.requiredAntiAffinity.length === 0) return;
    for (const t of p.requiredAntiAffinity) {
      const names = this.antiTerms.get(t) ?? [];
      if (by > 0) names.push(info.name);
      else if (names.includes(info.name)) names.splice(names.indexOf(info.name), 1);
      const k = t.countKey ?? '';
      if (names.length > 0) {
        this.antiTerms.set(t, names);
        let set = this.antiTermsByCountKey.get(k);
        if (!set) this.antiTermsByCountKey.set(k, (set = new Set()));
        set.add(t);
      } else {
        this.antiTerms.delete(t);
        this.antiTermsByCountKey.get(k)?.delete(t);
      }
    }
  }

  setNamespace(name: string, labels: Record<string, string> | undefined): void {
    if (labels) this.namespaces.set(name, labels);
    else this.namespaces.delete(name);
  }

  private infoFor(name: string): NodeInfo {
    let info = this.infos.get(name);
    if (!info) {
      info = nodeInfo({ metadata: { name } });
      this.infos.set(name, info);
    }
    return info;
  }

  upsertNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const old = this.infos.get(name);
    // Heartbeats leave labels alone; a new or relabelled node changes the spreading domains.
    if (!this.real.has(name) || JSON.stringify(old?.labels) !== JSON.stringify(node.metadata?.labels ?? {})) this.domainsByKey.clear();
    const fresh = nodeInfo(node, old?.pods ?? []);
    this.infos.set(name, fresh);
    if (!this.real.has(name)) this.real.add(name);
    this.ordered = undefined;
    this.affinityList = undefined;
    this.indexAffinity(fresh);
  }

  removeNode(name: string): void {
    this.real.delete(name);
    this.domainsByKey.clear();
    const info = this.infos.get(name);
    if (info && info.pods.length === 0) this.infos.delete(name);
    this.ordered = undefined;
    this.affinityList = undefined;
  }

  private unplace(key: string): void {
    const p = this.placed.get(key);
    if (!p) return;
    const info = this.infos.get(p.node);
    if (info && removePod(info, key)) {
      this.indexAffinity(info, p.info, -1);
      this.indexLabels(info.name, p.info, -1);
    }
    this.placed.delete(key);
  }

  private place(node: string, info: PodInfo, assumed: boolean): void {
    this.unplace(info.key);
    const ni = this.infoFor(node);
    addPod(ni, info);
    this.indexAffinity(ni, info, 1);
    this.indexLabels(node, info, 1);
    this.placed.set(info.key, { node, info, assumed });
  }

  private setNominated(info: PodInfo | undefined, key: string): void {
    const was = this.nominatedNodeOf.get(key);
    if (was) {
      const m = this.nominatedByNode.get(was);
      m?.delete(key);
      if (m?.size === 0) this.nominatedByNode.delete(was);
      this.nominatedNodeOf.delete(key);
    }
    if (info?.nominatedNode) {
      let m = this.nominatedByNode.get(info.nominatedNode);
      if (!m) this.nominatedByNode.set(info.nominatedNode, (m = new Map()));
      m.set(key, info);
      this.nominatedNodeOf.set(key, info.nominatedNode);
    }
  }

  /** Applies a pod from the informer: bound pods count on their node; unbound ones may be nominated. */
  upsertPod(pod: Pod): void {
    const info = podInfo(pod);
    this.dropForeign(info.uid);
    const node = pod.spec?.nodeName;
    if (node && !isTerminal(pod)) {
      this.setNominated(undefined, info.key);
      this.place(node, info, false);
      return;
    }
    // An assumed pod stays until the watch shows its binding (or the pod goes).
    const p = this.placed.get(info.key);
    if (!(p?.assumed && !node)) this.unplace(info.key);
    this.setNominated(node ? undefined : info, info.key);
  }

  removePod(pod: Pod): void {
    const key = objectKey(pod as Parameters<typeof objectKey>[0]);
    this.unplace(key);
    this.setNominated(undefined, key);
  }

  /** Counts `info` on `node` now, before its binding is confirmed by the watch. */
  assume(info: PodInfo, node: string): void {
    this.place(node, info, true);
  }

  /** Undoes `assume` (the bind failed). */
  forget(key: string): void {
    if (this.placed.get(key)?.assumed) this.unplace(key);
  }

  isAssumed(key: string): boolean {
    return this.placed.get(key)?.assumed ?? false;
  }

  /** Where the cache places the pod (bound or assumed), if anywhere. */
  nodeOf(key: string): string | undefined {
    return this.placed.get(key)?.node;
  }

  /** Counts reservations another scheduler holds on `node` until the watch shows their pods or they expire. */
  addForeign(node: string, reservations: readonly ForeignReservation[]): void {
    const now = Date.now();
    for (const f of reservations) {
      if (this.foreign.has(f.uid)) continue;
      const key = `reservation/${f.uid}`;
      const requests = { ...emptyResources(), ...f.requests, pods: 1 };
      const info: PodInfo = {
        ...podInfo({ metadata: { name: key, namespace: 'reservation', uid: f.uid } }),
        key,
        requests,
        nonZeroCPU: requests.milliCPU,
        nonZeroMemory: requests.memory,
      };
      addPod(this.infoFor(node), info);
      this.foreign.set(f.uid, { node, key, expires: now + this.foreignTtlMs });
    }
  }

  private dropForeign(uid: string): void {
    const f = this.foreign.get(uid);
    if (!f) return;
    const info = this.infos.get(f.node);
    if (info) removePod(info, f.key);
    this.foreign.delete(uid);
  }

  /** Drops foreign reservations past their TTL. */
  expireForeign(now = Date.now()): void {
    for (const [uid, f] of this.foreign) if (f.expires <= now) this.dropForeign(uid);
  }
}
