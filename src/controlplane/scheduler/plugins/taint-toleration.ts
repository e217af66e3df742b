/**
 * TaintToleration: the filter rejects nodes with a NoSchedule or NoExecute taint the pod does not
 * tolerate; the score prefers nodes with fewer untolerated PreferNoSchedule taints.
 */
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { defaultNormalize, unresolvable, type FilterPlugin, type ScorePlugin } from '../types.js';

/** core/v1 `Toleration.ToleratesTaint`: effect and key must match when set; Exists ignores the value. */
export function toleratesTaint(t: Toleration, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function untoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[], effects: readonly string[]): Taint | undefined {
  return taints.find((taint) => effects.includes(taint.effect) && !tolerations.some((t) => toleratesTaint(t, taint)));
}

const HARD_EFFECTS = ['NoSchedule', 'NoExecute'];

export function taintToleration(): FilterPlugin & ScorePlugin {
  return {
    name: 'TaintToleration',
    filter(state, node) {
      const taint = untoleratedTaint(node.taints, state.pod.tolerations, HARD_EFFECTS);
      return taint ? unresolvable(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`) : undefined;
    },
    preScore(state) {
      // Only tolerations that could apply to PreferNoSchedule count, as in kube-scheduler.
      state.data.set('TaintToleration', state.pod.tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule'));
    },
    score(state, node) {
      if (node.taints.length === 0) return 0;
      const tolerations = state.data.get('TaintToleration') as Toleration[];
      let n = 0;
      for (const taint of node.taints) if (taint.effect === 'PreferNoSchedule' && !tolerations.some((t) => toleratesTaint(t, taint))) n++;
      return n;
    },
    normalize: (_state, scores) => defaultNormalize(scores, true),
  };
}
