/**
 * PodTopologySpread. Filter (whenUnsatisfiable: DoNotSchedule): placing the pod must keep the
 * difference between its domain's matching pods and the least-loaded domain within maxSkew
 * (minDomains counts missing domains as empty). Score (ScheduleAnyway): fewer matching pods in the
 * node's domains score higher, each constraint weighted by log(domains + 2). Nodes are counted per
 * nodeAffinityPolicy (Honor by default) and nodeTaintsPolicy (Ignore by default); matchLabelKeys
 * narrow the selector to the pod's own values.
 */
import type { TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromObject, type LabelSelector } from '../../store/selectors.js';
import { MAX_NODE_SCORE, unresolvable, unschedulable, type CycleState, type DomainCounts, type FilterPlugin, type NodeInfo, type PodInfo, type ScorePlugin } from '../types.js';
import { labelCountKey } from '../pod-info.js';
import { podMatchesNodeAffinity } from './node-affinity.js';
import { untoleratedTaint } from './taint-toleration.js';

export const ERR_SPREAD = "node(s) didn't match pod topology spread constraints";
export const ERR_SPREAD_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";

const HOSTNAME = 'kubernetes.io/hostname';

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector;
  /** the NodeInfo.labelCounts key when the selector is one `key=value` (counted without scanning pods) */
  single?: string;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
}

function compile(pod: PodInfo, when: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const out: Constraint[] = [];
  for (const c of (pod.pod.spec?.topologySpreadConstraints ?? []) as TopologySpreadConstraint[]) {
    if (c.whenUnsatisfiable !== when) continue;
    const sel = { matchLabels: c.labelSelector?.matchLabels, matchExpressions: [...(c.labelSelector?.matchExpressions ?? [])] };
    for (const key of c.matchLabelKeys ?? []) {
      const v = pod.labels[key];
      if (v !== undefined) sel.matchExpressions.push({ key, operator: 'In', values: [v] });
    }
    // A constraint without a selector matches no pods, as LabelSelectorAsSelector(nil) does.
    const selector = labelSelectorFromObject(c.labelSelector ? sel : null);
    const only = selector.requirements.length === 1 ? selector.requirements[0] : undefined;
    const single = only && (only.op === '=' || only.op === '==' || (only.op === 'in' && only.values.length === 1)) ? labelCountKey(pod.namespace, only.key, only.values[0]) : undefined;
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector,
      single,
      minDomains: c.minDomains ?? 1,
      honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorTaints: c.nodeTaintsPolicy === 'Honor',
    });
  }
  return out;
}

function hasAllKeys(node: NodeInfo, cs: readonly Constraint[]): boolean {
  for (let i = 0; i < cs.length; i++) if (node.labels[cs[i].topologyKey] === undefined) return false;
  return true;
}

const HARD_TAINTS = ['NoSchedule', 'NoExecute'];

function included(c: Constraint, pod: PodInfo, node: NodeInfo): boolean {
  if (c.honorAffinity && !podMatchesNodeAffinity(pod.pod, node)) return false;
  if (c.honorTaints && node.taints.length > 0 && untoleratedTaint(node.taints, pod.tolerations, HARD_TAINTS)) return false;
  return true;
}

function countMatching(node: NodeInfo, c: Constraint, namespace: string): number {
  if (c.single !== undefined && node.terminating === 0) return node.labelCounts.get(c.single) ?? 0;
  let n = 0;
  for (const p of node.pods) if (!p.terminating && p.namespace === namespace && c.selector.matches(p.labels)) n++;
  return n;
}

interface FilterState {
  constraints: Constraint[];
  /** per constraint: topology value → matching pods */
  counts: ReadonlyMap<string, number>[];
  min: number[];
}

/**
 * The snapshot's spreading index answers for one constraint whose selector is one label, when every
 * node with the topology key counts (no node affinity to honour, taints ignored).
 */
function indexed(state: CycleState, cs: readonly Constraint[]): DomainCounts | undefined {
  if (cs.length !== 1 || !state.snapshot.domainCounts) return undefined;
  const c = cs[0];
  if (c.single === undefined || c.honorTaints) return undefined;
  const spec = state.pod.pod.spec;
  if (c.honorAffinity && (Object.keys(spec?.nodeSelector ?? {}).length > 0 || spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution)) return undefined;
  return state.snapshot.domainCounts(c.topologyKey, c.single);
}

interface ScoreState {
  constraints: Constraint[];
  counts: Map<string, number>[];
  weights: number[];
  ignored: Set<string>;
}

export function podTopologySpread(): FilterPlugin & ScorePlugin {
  return {
    name: 'PodTopologySpread',
    preFilter(state) {
      const constraints = compile(state.pod, 'DoNotSchedule');
      if (constraints.length === 0) return 'skip';
      const index = indexed(state, constraints);
      if (index) {
        const { domains, counts } = index;
        // A domain without matching pods makes the minimum 0.
        const min = domains.size < constraints[0].minDomains || counts.size < domains.size ? 0 : Math.min(...counts.values());
        state.data.set('PodTopologySpread/filter', { constraints, counts: [counts], min: [min] } satisfies FilterState);
        return undefined;
      }
      const counts = constraints.map(() => new Map<string, number>());
      for (const node of state.snapshot.nodes) {
        if (!hasAllKeys(node, constraints)) continue;
        for (let i = 0; i < constraints.length; i++) {
          const c = constraints[i];
          if (!included(c, state.pod, node)) continue;
          const v = node.labels[c.topologyKey];
          counts[i].set(v, (counts[i].get(v) ?? 0) + countMatching(node, c, state.pod.namespace));
        }
      }
      const min = constraints.map((c, i) => (counts[i].size < c.minDomains ? 0 : Math.min(...counts[i].values())));
      state.data.set('PodTopologySpread/filter', { constraints, counts, min } satisfies FilterState);
      return undefined;
    },
    filter(state, node) {
      const s = state.data.get('PodTopologySpread/filter') as FilterState;
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i];
        const v = node.labels[c.topologyKey];
        if (v === undefined) return unresolvable(ERR_SPREAD_LABEL);
        const self = c.selector.matches(state.pod.labels) ? 1 : 0;
        if ((s.counts[i].get(v) ?? 0) + self - s.min[i] > c.maxSkew) return unschedulable(ERR_SPREAD);
      }
      return undefined;
    },
    preScore(state, feasible) {
      const constraints = compile(state.pod, 'ScheduleAnyway');
      if (constraints.length === 0) return 'skip';
      const counts = constraints.map(() => new Map<string, number>());
      const ignored = new Set<string>();
      for (const node of feasible) {
        if (!hasAllKeys(node, constraints)) {
          ignored.add(node.name);
          continue;
        }
        for (let i = 0; i < constraints.length; i++) if (constraints[i].topologyKey !== HOSTNAME) counts[i].set(node.labels[constraints[i].topologyKey], 0);
      }
      const weights = constraints.map((c, i) => Math.log((c.topologyKey === HOSTNAME ? feasible.length - ignored.size : counts[i].size) + 2));
      const index = constraints[0].topologyKey === HOSTNAME ? undefined : indexed(state, constraints);
      if (index) {
        for (const v of counts[0].keys()) counts[0].set(v, index.counts.get(v) ?? 0);
        state.data.set('PodTopologySpread/score', { constraints, counts, weights, ignored } satisfies ScoreState);
        return undefined;
      }
      for (const node of state.snapshot.nodes) {
        if (!hasAllKeys(node, constraints)) continue;
        for (let i = 0; i < constraints.length; i++) {
          const c = constraints[i];
          const v = node.labels[c.topologyKey];
          if (c.topologyKey === HOSTNAME || !counts[i].has(v) || !included(c, state.pod, node)) continue;
          counts[i].set(v, counts[i].get(v)! + countMatching(node, c, state.pod.namespace));
        }
      }
      state.data.set('PodTopologySpread/score', { constraints, counts, weights, ignored } satisfies ScoreState);
      return undefined;
    },
    score(state: CycleState, node) {
      const s = state.data.get('PodTopologySpread/score') as ScoreState;
      if (s.ignored.has(node.name)) return 0;
      let score = 0;
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i];
        const v = node.labels[c.topologyKey];
        if (v === undefined) continue;
        const count = c.topologyKey === HOSTNAME ? countMatching(node, c, state.pod.namespace) : (s.counts[i].get(v) ?? 0);
        score += count * s.weights[i] + (c.maxSkew - 1);
      }
      return Math.round(score);
    },
    normalize(state, scores) {
      const s = state.data.get('PodTopologySpread/score') as ScoreState;
      let min = Infinity;
      let max = 0;
      for (const x of scores) {
        if (s.ignored.has(x.node.name)) continue;
        min = Math.min(min, x.score);
        max = Math.max(max, x.score);
      }
      for (const x of scores) {
        if (s.ignored.has(x.node.name)) x.score = 0;
        else if (max === 0) x.score = MAX_NODE_SCORE;
        else x.score = Math.trunc((MAX_NODE_SCORE * (max + min - x.score)) / max);
      }
    },
  };
}
