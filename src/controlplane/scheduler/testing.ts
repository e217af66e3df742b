/**
 * Builders for the scheduler's table tests: nodes and pods from a few fields, and a snapshot over
 * them, so each case states only what it is about.
 */
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { nodeInfo } from './node-info.js';
import { podInfo } from './pod-info.js';
import { scanAffinityNodes, type CycleState, type FilterPlugin, type NodeInfo, type NodeScore, type PodInfo, type ScorePlugin, type Snapshot } from './types.js';

export interface NodeSpec {
  name: string;
  cpu?: string;
  memory?: string;
  pods?: string;
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
}

export function makeNode(s: NodeSpec): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: s.name, labels: { 'kubernetes.io/hostname': s.name, ...s.labels } },
    spec: { unschedulable: s.unschedulable, taints: s.taints },
    status: { allocatable: { cpu: s.cpu ?? '4', memory: s.memory ?? '8Gi', pods: s.pods ?? '110', ...s.extra } },
  };
}

export interface PodSpecLite {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  cpu?: string;
  memory?: string;
  priority?: number;
  spec?: Pod['spec'];
}

let seq = 0;

export function makePod(s: PodSpecLite = {}): Pod {
  const name = s.name ?? `p${++seq}`;
  const requests: Record<string, string> = {};
  if (s.cpu) requests.cpu = s.cpu;
  if (s.memory) requests.memory = s.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: s.namespace ?? 'default', uid: `uid-${name}`, labels: s.labels },
    spec: { containers: [{ name: 'c', image: 'i', resources: { requests } }], priority: s.priority ?? 0, ...s.spec },
  };
}

/** A snapshot of `nodes`, with `bound` pods placed on the node named by their key. */
export function makeSnapshot(nodes: Node[], bound: Record<string, Pod[]> = {}, namespaces: Record<string, Record<string, string>> = {}): Snapshot {
  const infos: NodeInfo[] = nodes.map((n) => nodeInfo(n, (bound[n.metadata!.name!] ?? []).map(podInfo)));
  const byName = new Map(infos.map((i) => [i.name, i]));
  return { nodes: infos, get: (n) => byName.get(n), namespaceLabels: (ns) => namespaces[ns], nominated: () => [], ...scanAffinityNodes(infos) };
}

export function cycle(pod: Pod | PodInfo, snapshot: Snapshot): CycleState {
  return { pod: 'key' in pod ? pod : podInfo(pod), snapshot, data: new Map() };
}

/** Each node → 'ok' or the plugin's reasons (joined by '; '), as the framework would run it. */
export function runFilter(plugin: FilterPlugin, pod: Pod, snapshot: Snapshot): Record<string, string> {
  const state = cycle(pod, snapshot);
  const out: Record<string, string> = {};
  const pre = plugin.preFilter?.(state);
  for (const n of snapshot.nodes) {
    if (pre === 'skip') out[n.name] = 'ok';
    else if (pre) out[n.name] = pre.reasons.join('; ');
    else out[n.name] = plugin.filter(state, n)?.reasons.join('; ') ?? 'ok';
  }
  return out;
}

/** Each node → the plugin's normalised score over all nodes of the snapshot (0 everywhere when skipped). */
export function runScore(plugin: ScorePlugin, pod: Pod, snapshot: Snapshot): Record<string, number> {
  const state = cycle(pod, snapshot);
  const out: Record<string, number> = {};
  if (plugin.preScore?.(state, snapshot.nodes) === 'skip') {
    for (const n of snapshot.nodes) out[n.name] = 0;
    return out;
  }
  const scores: NodeScore[] = snapshot.nodes.map((node) => ({ node, score: plugin.score(state, node) }));
  plugin.normalize?.(state, scores);
  for (const s of scores) out[s.node.name] = s.score;
  return out;
}
