/**
 * Builders for the scheduler's table tests: nodes and pods from a few fields, and a snapshot over
 * them, so each case states only what it is about.
 */
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { nodeInfo } from './node-info.js';
import { podInfo } from './pod-info.js';
import type { CycleState, NodeInfo, PodInfo, Snapshot } from './types.js';

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
  return { nodes: infos, get: (n) => byName.get(n), namespaceLabels: (ns) => namespaces[ns], nominated: () => [] };
}

export function cycle(pod: Pod | PodInfo, snapshot: Snapshot): CycleState {
  return { pod: 'key' in pod ? pod : podInfo(pod), snapshot, data: new Map() };
}
