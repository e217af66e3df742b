/**
 * NodeResourcesBalancedAllocation score: prefers nodes whose cpu and memory would be used in equal
 * fractions after placing the pod (score = (1 − standard deviation of the fractions) × 100), so one
 * resource is not exhausted while the other idles. Pods that request nothing are not scored.
 */
import { MAX_NODE_SCORE, SKIP, type ScorePlugin } from '../types.js';

/** kube-scheduler's balancedResourceScorer over (requested, allocatable) pairs. */
export function balancedScore(requested: readonly number[], allocatable: readonly number[]): number {
  const fractions: number[] = [];
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    fractions.push(Math.min(1, requested[i] / allocatable[i]));
  }
  let std = 0;
  if (fractions.length === 2) {
    std = Math.abs((fractions[0] - fractions[1]) / 2);
  } else if (fractions.length > 2) {
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export function nodeResourcesBalancedAllocation(): ScorePlugin {
  return {
    name: 'NodeResourcesBalancedAllocation',
    preScore: (state) => (state.pod.requests.milliCPU === 0 && state.pod.requests.memory === 0 ? SKIP : undefined),
    score(state, node) {
      const r = state.pod.requests;
      const a = node.allocatable;
      if (a.milliCPU === 0 || a.memory === 0) return balancedScore([node.requested.milliCPU + r.milliCPU, node.requested.memory + r.memory], [a.milliCPU, a.memory]);
      // the two-resource case of balancedScore, without allocating
      const cpu = Math.min(1, (node.requested.milliCPU + r.milliCPU) / a.milliCPU);
      const memory = Math.min(1, (node.requested.memory + r.memory) / a.memory);
      return Math.trunc((1 - Math.abs((cpu - memory) / 2)) * MAX_NODE_SCORE);
    },
  };
}
