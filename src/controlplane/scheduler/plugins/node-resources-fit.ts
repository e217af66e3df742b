/**
 * NodeResourcesFit. Filter: the pod's requests (cpu, memory, ephemeral-storage, extended resources)
 * must fit in allocatable minus what the node's pods request, and the node must take one more pod.
 * Score (LeastAllocated, cpu and memory weighted 1:1): the more stays free after placing the pod,
 * the higher — counting 100m / 200Mi for containers that request nothing, as kube-scheduler does.
 */
import { MAX_NODE_SCORE, unresolvable, unschedulable, type FilterPlugin, type NodeInfo, type PodInfo, type Rejection, type ScorePlugin } from '../types.js';

export const ERR_TOO_MANY_PODS = 'Too many pods';

/** Every reason the node cannot take the pod's requests, in kube-scheduler's order; [] if it fits. */
export function insufficientResources(pod: PodInfo, node: NodeInfo): { reasons: string[]; unresolvable: boolean } {
  const reasons: string[] = [];
  let beyondNode = false;
  const a = node.allocatable;
  const used = node.requested;
  const r = pod.requests;
  if (node.pods.length + 1 > a.pods) reasons.push(ERR_TOO_MANY_PODS);
  if (r.milliCPU > 0 && r.milliCPU > a.milliCPU - used.milliCPU) {
    reasons.push('Insufficient cpu');
    beyondNode ||= r.milliCPU > a.milliCPU;
  }
  if (r.memory > 0 && r.memory > a.memory - used.memory) {
    reasons.push('Insufficient memory');
    beyondNode ||= r.memory > a.memory;
  }
  if (r.ephemeralStorage > 0 && r.ephemeralStorage > a.ephemeralStorage - used.ephemeralStorage) {
    reasons.push('Insufficient ephemeral-storage');
    beyondNode ||= r.ephemeralStorage > a.ephemeralStorage;
  }
  for (const name in r.scalar) {
    const want = r.scalar[name];
    const have = a.scalar[name] ?? 0;
    if (want > 0 && want > have - (used.scalar[name] ?? 0)) {
      reasons.push(`Insufficient ${name}`);
      beyondNode ||= want > have;
    }
  }
  return { reasons, unresolvable: beyondNode };
}

function leastRequested(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

export function nodeResourcesFit(): FilterPlugin & ScorePlugin {
  return {
    name: 'NodeResourcesFit',
    filter(state, node): Rejection | undefined {
      const { reasons, unresolvable: beyond } = insufficientResources(state.pod, node);
      if (reasons.length === 0) return undefined;
      // Requests beyond the whole node cannot be helped by preempting pods there.
      return beyond ? unresolvable(...reasons) : unschedulable(...reasons);
    },
    score(state, node) {
      const cpu = leastRequested(node.nonZeroRequested.milliCPU + state.pod.nonZeroCPU, node.allocatable.milliCPU);
      const memory = leastRequested(node.nonZeroRequested.memory + state.pod.nonZeroMemory, node.allocatable.memory);
      return Math.trunc((cpu + memory) / 2);
    },
  };
}
