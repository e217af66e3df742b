/**
 * NodeInfo bookkeeping: a node's allocatable resources (capacity when allocatable is absent, as
 * node status defaulting does) and the running sums of the pods bound or assumed to it.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { addResourceList, addResources, labelCountKey, termMatches } from './pod-info.js';
import { emptyResources, type AffinityTerm, type NodeInfo, type PodInfo } from './types.js';

export function nodeInfo(node: Node, pods: PodInfo[] = []): NodeInfo {
  const allocatable = emptyResources();
  addResourceList(allocatable, (node.status?.allocatable ?? node.status?.capacity) as Record<string, unknown> | undefined);
  const info: NodeInfo = {
    name: node.metadata?.name ?? '',
    node,
    labels: node.metadata?.labels ?? {},
    taints: node.spec?.taints ?? [],
    unschedulable: node.spec?.unschedulable === true,
    allocatable,
    pods: [],
    requested: emptyResources(),
    nonZeroRequested: { milliCPU: 0, memory: 0 },
    usedPorts: [],
    podsWithAffinity: [],
    podsWithRequiredAntiAffinity: [],
    labelCounts: new Map(),
    terminating: 0,
  };
  for (const p of pods) addPod(info, p);
  return info;
}

/** Whether `p`'s terms weigh on where other pods score (required anti-affinity only filters). */
function hasAffinity(p: PodInfo): boolean {
  return p.requiredAffinity.length + p.preferredAffinity.length + p.preferredAntiAffinity.length > 0;
}

/** How many pods on `node` `term` selects. */
export function countTermMatches(term: AffinityTerm, node: NodeInfo, namespaceLabels: (ns: string) => Record<string, string> | undefined): number {
  if (term.countKey !== undefined) return node.labelCounts.get(term.countKey) ?? 0;
  let n = 0;
  for (const p of node.pods) if (termMatches(term, p, namespaceLabels)) n++;
  return n;
}

function countLabels(info: NodeInfo, p: PodInfo, by: number): void {
  if (p.terminating) info.terminating += by;
  for (const k in p.labels) {
    const key = labelCountKey(p.namespace, k, p.labels[k]);
    const n = (info.labelCounts.get(key) ?? 0) + by;
    if (n === 0) info.labelCounts.delete(key);
    else info.labelCounts.set(key, n);
  }
}

function without(list: PodInfo[], p: PodInfo): void {
  const i = list.indexOf(p);
  if (i >= 0) list.splice(i, 1);
}

export function addPod(info: NodeInfo, p: PodInfo): void {
  info.pods.push(p);
  addResources(info.requested, p.requests);
  info.nonZeroRequested.milliCPU += p.nonZeroCPU;
  info.nonZeroRequested.memory += p.nonZeroMemory;
  for (const hp of p.hostPorts) info.usedPorts.push(hp);
  if (hasAffinity(p)) info.podsWithAffinity.push(p);
  if (p.requiredAntiAffinity.length > 0) info.podsWithRequiredAntiAffinity.push(p);
  countLabels(info, p, 1);
}

/** Removes the pod with `key`; false if it was not there. */
export function removePod(info: NodeInfo, key: string): boolean {
  const i = info.pods.findIndex((p) => p.key === key);
  if (i < 0) return false;
  const [p] = info.pods.splice(i, 1);
  addResources(info.requested, p.requests, -1);
  info.nonZeroRequested.milliCPU -= p.nonZeroCPU;
  info.nonZeroRequested.memory -= p.nonZeroMemory;
  for (const hp of p.hostPorts) {
    const j = info.usedPorts.findIndex((u) => u.ip === hp.ip && u.protocol === hp.protocol && u.port === hp.port);
    if (j >= 0) info.usedPorts.splice(j, 1);
  }
  without(info.podsWithAffinity, p);
  without(info.podsWithRequiredAntiAffinity, p);
  countLabels(info, p, -1);
  return true;
}

/** A copy whose pod list and sums can change without touching the original (preemption dry runs). */
export function cloneNodeInfo(info: NodeInfo): NodeInfo {
  return nodeInfo(info.node, info.pods);
}
