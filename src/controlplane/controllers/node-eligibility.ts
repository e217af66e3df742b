/**
 * Whether a pod may run on a node by its nodeSelector, required node affinity and the node's taints,
 * as DaemonSet's `NodeShouldRunDaemonPod` asks it — answered by the scheduler's own NodeAffinity and
 * TaintToleration logic, so the two never disagree.
 */
import type { Node, PodSpec, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { podMatchesNodeAffinity } from '../scheduler/plugins/node-affinity.js';
import { toleratesTaint } from '../scheduler/plugins/taint-toleration.js';

/** nodeSelector and required node affinity (any term) both hold. */
export function nodeMatchesPod(spec: PodSpec | undefined, node: Node): boolean {
  return podMatchesNodeAffinity({ spec }, { labels: node.metadata?.labels ?? {}, name: node.metadata?.name ?? '' });
}

/** The node's taints with these effects that no toleration tolerates. */
export function untoleratedTaints(node: Node, tolerations: Toleration[] | undefined, effects: string[]): Taint[] {
  return (node.spec?.taints ?? []).filter((taint) => effects.includes(taint.effect) && !(tolerations ?? []).some((t) => toleratesTaint(t, taint)));
}
