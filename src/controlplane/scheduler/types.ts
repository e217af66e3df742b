/**
 * The scheduler's data model and plugin contracts: a `PodInfo` (a pod with its requests, ports,
 * tolerations and affinity terms worked out once), a `NodeInfo` (a node with the pods bound to it
 * and what they use), a `Snapshot` of all nodes, and the filter and score plugin interfaces the
 * framework (framework.ts) runs — the shape of kube-scheduler's framework, reduced to what berth runs.
 */
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { LabelSelector } from '../store/selectors.js';

/** kube-scheduler's MaxNodeScore: every plugin's normalised score is within 0..100. */
export const MAX_NODE_SCORE = 100;

/** Resource amounts in the units the scheduler counts: millicores, bytes, pods, devices. */
export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** pods a node takes (allocatable) or 1 (a pod) */
  pods: number;
  /** extended resources (`nvidia.com/gpu`, `hugepages-2Mi`...) */
  scalar: Record<string, number>;
}

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: {} };
}

/** A hostPort a pod publishes (`0.0.0.0` when hostIP is unset). */
export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

/** A pod (anti-)affinity term, compiled: selectors parsed, namespaces resolved. */
export interface AffinityTerm {
  selector: LabelSelector;
  /** explicit namespaces (the pod's own when neither namespaces nor namespaceSelector is given) */
  namespaces: ReadonlySet<string>;
  /** undefined when the term has none (selects no namespace by labels) */
  namespaceSelector?: LabelSelector;
  topologyKey: string;
  /** weight of a preferred term; 0 for required terms */
  weight: number;
  /** the NodeInfo.labelCounts key when the term selects one `key=value` in one namespace (counted without scanning pods) */
  countKey?: string;
}

/** A pod with everything the plugins need worked out once. */
export interface PodInfo {
  pod: Pod;
  /** `namespace/name` */
  key: string;
  uid: string;
  namespace: string;
  labels: Record<string, string>;
  priority: number;
  /** what the pod asks for (init containers counted as Kubernetes does, plus overhead); pods = 1 */
  requests: Resources;
  /** cpu and memory with 100m / 200Mi for containers that request none, for scoring */
  nonZeroCPU: number;
  nonZeroMemory: number;
  hostPorts: HostPort[];
  tolerations: Toleration[];
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: AffinityTerm[];
  preferredAntiAffinity: AffinityTerm[];
  /** status.nominatedNodeName, when a preemption reserved a node for it */
  nominatedNode?: string;
  terminating: boolean;
}

/** A node with the pods bound (or assumed bound) to it and their sums. */
export interface NodeInfo {
  name: string;
  node: Node;
  labels: Record<string, string>;
  taints: Taint[];
  /** spec.unschedulable (cordoned) */
  unschedulable: boolean;
  allocatable: Resources;
  pods: PodInfo[];
  requested: Resources;
  nonZeroRequested: { milliCPU: number; memory: number };
  usedPorts: HostPort[];
  /** pods here with terms that weigh on other pods' scores (affinity, preferred anti-affinity), and with required anti-affinity */
  podsWithAffinity: PodInfo[];
  podsWithRequiredAntiAffinity: PodInfo[];
  /** pods here per `namespace\0key=value` label, for counting single-label selectors at once */
  labelCounts: Map<string, number>;
  /** pods here being deleted (spreading does not count them) */
  terminating: number;
}

/** The storage objects the VolumeBinding filter reads (from the scheduler's informers). */
export interface VolumeLister {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  volumes(): readonly PersistentVolume[];
  storageClass(name: string): StorageClass | undefined;
}

/** What the framework schedules against: every node, in a stable order. */
export interface Snapshot {
  /** claims, volumes and classes, when the scheduler watches them (VolumeBinding skips pods otherwise) */
  volumes?: VolumeLister;
  nodes: readonly NodeInfo[];
  get(name: string): NodeInfo | undefined;
  /** a namespace's labels, for namespaceSelector in affinity terms */
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  /** pods not yet bound whose preemption reserved this node (status.nominatedNodeName) */
  nominated(node: string): readonly PodInfo[];
  /** the nodes with pods in `podsWithAffinity`: what InterPodAffinity's scoring scans */
  nodesWithAffinity(): readonly NodeInfo[];
  /**
   * Each distinct required anti-affinity term of the placed pods → the node of every pod carrying
   * it. May leave out terms that cannot select `pod` (one-label terms naming a label it lacks).
   */
  antiAffinityTerms(pod: PodInfo): ReadonlyMap<AffinityTerm, readonly NodeInfo[]>;
  /**
   * For spreading, when the snapshot keeps an index: per value of `topologyKey`, the nodes with that
   * value (`domains`) and the non-terminating pods matching the labelCounts key `countKey` there (`counts`).
   */
  domainCounts?(topologyKey: string, countKey: string): DomainCounts;
  /** Like domainCounts' counts but of every pod, terminating ones too (affinity counts them); undefined when not indexed. */
  podCounts?(topologyKey: string, countKey: string): ReadonlyMap<string, number> | undefined;
}

export interface DomainCounts {
  domains: ReadonlyMap<string, number>;
  counts: ReadonlyMap<string, number>;
}

/** `nodesWithAffinity` and `antiAffinityTerms` by scanning, for snapshots that keep no index. */
export function scanAffinityNodes(nodes: readonly NodeInfo[]): Pick<Snapshot, 'nodesWithAffinity' | 'antiAffinityTerms'> {
  return {
    nodesWithAffinity: () => nodes.filter((n) => n.podsWithAffinity.length > 0),
    antiAffinityTerms: () => {
      const out = new Map<AffinityTerm, NodeInfo[]>();
      for (const n of nodes) for (const p of n.podsWithRequiredAntiAffinity) for (const t of p.requiredAntiAffinity) out.set(t, [...(out.get(t) ?? []), n]);
      return out;
    },
  };
}

/**
 * Why a node cannot take the pod. `UnschedulableAndUnresolvable` means evicting pods would not help
 * (affinity, taints, cordon), so preemption skips the node.
 */
export interface Rejection {
  code: 'Unschedulable' | 'UnschedulableAndUnresolvable';
  /** kubectl-facing reasons, e.g. `Insufficient cpu`, `node(s) were unschedulable` */
  reasons: string[];
}

export function unschedulable(...reasons: string[]): Rejection {
  return { code: 'Unschedulable', reasons };
}

export function unresolvable(...reasons: string[]): Rejection {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

/** One scheduling attempt's scratch space, shared by a pod's plugins (kube-scheduler's CycleState). */
export interface CycleState {
  pod: PodInfo;
  snapshot: Snapshot;
  data: Map<string, unknown>;
}

export const SKIP = 'skip';

/**
 * A filter plugin. `preFilter` runs once per attempt: it may precompute into `state.data`, reject
 * the pod on every node (returns a Rejection) or say it has nothing to check (`SKIP`, then `filter`
 * is not called). `filter` says whether one node can take the pod.
 */
export interface FilterPlugin {
  readonly name: string;
  preFilter?(state: CycleState): Rejection | typeof SKIP | void;
  filter(state: CycleState, node: NodeInfo): Rejection | undefined;
}

export interface NodeScore {
  node: NodeInfo;
  score: number;
}

/**
 * A score plugin. `preScore` sees the feasible nodes once (`SKIP`: score 0 everywhere); `score`
 * rates one node; `normalize` maps the raw scores onto 0..100 in place. The framework multiplies by
 * the configured weight and sums.
 */
export interface ScorePlugin {
  readonly name: string;
  preScore?(state: CycleState, nodes: readonly NodeInfo[]): typeof SKIP | void;
  score(state: CycleState, node: NodeInfo): number;
  normalize?(state: CycleState, scores: NodeScore[]): void;
}

export type Plugin = Partial<FilterPlugin> & Partial<ScorePlugin> & { readonly name: string };

/** kube-scheduler's DefaultNormalizeScore: scale to 0..max by the highest score, reversed if asked. */
export function defaultNormalize(scores: NodeScore[], reverse: boolean, max = MAX_NODE_SCORE): void {
  let top = 0;
  for (const s of scores) if (s.score > top) top = s.score;
  if (top === 0) {
    if (reverse) for (const s of scores) s.score = max;
    return;
  }
  for (const s of scores) {
    const v = Math.trunc((max * s.score) / top);
    s.score = reverse ? max - v : v;
  }
}
