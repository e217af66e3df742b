/**
 * NodeUnschedulable filter: a cordoned node (`spec.unschedulable`) takes only pods that tolerate the
 * `node.kubernetes.io/unschedulable:NoSchedule` taint (DaemonSet pods do).
 */
import { unresolvable, type FilterPlugin } from '../types.js';
import { toleratesTaint } from './taint-toleration.js';

export const ERR_NODE_UNSCHEDULABLE = 'node(s) were unschedulable';

const CORDON_TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export function nodeUnschedulable(): FilterPlugin {
  return {
    name: 'NodeUnschedulable',
    filter(state, node) {
      if (!node.unschedulable) return undefined;
      if (state.pod.tolerations.some((t) => toleratesTaint(t, CORDON_TAINT))) return undefined;
      return unresolvable(ERR_NODE_UNSCHEDULABLE);
    },
  };
}
