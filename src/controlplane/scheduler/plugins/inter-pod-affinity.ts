/**
 * InterPodAffinity. Filter: the node's topology domain (the value of each term's topologyKey) must
 * hold pods matching the pod's required affinity, none matching its required anti-affinity, and
 * the pod must not match the required anti-affinity of pods already in that domain. Score: preferred
 * (anti-)affinity weights of the pod and of the pods already placed (symmetric, plus their required
 * affinity at hardPodAffinityWeight 1), normalised between the lowest and highest node.
 */
import { countTermMatches } from '../node-info.js';
import { termMatches } from '../pod-info.js';
import { MAX_NODE_SCORE, unresolvable, unschedulable, type AffinityTerm, type CycleState, type FilterPlugin, type NodeInfo, type PodInfo, type ScorePlugin } from '../types.js';

export const ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";

const HARD_POD_AFFINITY_WEIGHT = 1;

const pair = (key: string, value: string) => `${key}\u0000${value}`;

interface FilterState {
  existingAnti: Map<string, number>;
  /** the topology keys `existingAnti` counts by */
  existingAntiKeys: Set<string>;
  affinity: Map<string, number>;
  anti: Map<string, number>;
}

function bump(m: Map<string, number>, node: NodeInfo, key: string, by = 1): void {
  const v = node.labels[key];
  if (v !== undefined) m.set(pair(key, v), (m.get(pair(key, v)) ?? 0) + by);
}

function matchesAll(terms: readonly AffinityTerm[], pod: PodInfo, ns: CycleState['snapshot']['namespaceLabels']): boolean {
  return terms.length > 0 && terms.every((t) => termMatches(t, pod, ns));
}

function preFilter(state: CycleState): FilterState {
  const { pod, snapshot } = state;
  const nsLabels = snapshot.namespaceLabels.bind(snapshot);
  const s: FilterState = { existingAnti: new Map(), existingAntiKeys: new Set(), affinity: new Map(), anti: new Map() };
  // Pods of a workload share their compiled terms: each distinct term is matched against the pod once.
  for (const [t, nodes] of snapshot.antiAffinityTerms(pod)) {
    if (!termMatches(t, pod, nsLabels)) continue;
    for (const node of nodes) bump(s.existingAnti, node, t.topologyKey);
    s.existingAntiKeys.add(t.topologyKey);
  }
  if (pod.requiredAffinity.length + pod.requiredAntiAffinity.length === 0) return s;
  // One-label terms are counted per topology value by the snapshot's index when it has one.
  const indexed = (t: AffinityTerm, into: Map<string, number>): boolean => {
    const counts = t.countKey === undefined ? undefined : snapshot.podCounts?.(t.topologyKey, t.countKey);
    if (!counts) return false;
    for (const [v, n] of counts) into.set(pair(t.topologyKey, v), (into.get(pair(t.topologyKey, v)) ?? 0) + n);
    return true;
  };
  const anti = pod.requiredAntiAffinity.filter((t) => !indexed(t, s.anti));
  const affinity = pod.requiredAffinity.length === 1 && indexed(pod.requiredAffinity[0], s.affinity) ? [] : pod.requiredAffinity;
  if (anti.length + affinity.length === 0) return s;
  for (const node of snapshot.nodes) {
    for (const t of anti) {
      const n = countTermMatches(t, node, nsLabels);
      if (n > 0) bump(s.anti, node, t.topologyKey, n);
    }
    if (affinity.length === 1) {
      const t = affinity[0];
      const n = countTermMatches(t, node, nsLabels);
      if (n > 0) bump(s.affinity, node, t.topologyKey, n);
    } else if (affinity.length > 1) {
      for (const existing of node.pods) if (matchesAll(affinity, existing, nsLabels)) for (const t of affinity) bump(s.affinity, node, t.topologyKey);
    }
  }
  return s;
}

function satisfiesAffinity(s: FilterState, state: CycleState, node: NodeInfo): boolean {
  const terms = state.pod.requiredAffinity;
  let podsExist = true;
  for (const t of terms) {
    const v = node.labels[t.topologyKey];
    if (v === undefined) return false;
    if ((s.affinity.get(pair(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // The first pod of a group with affinity to itself may go anywhere the topology labels exist.
  return s.affinity.size === 0 && matchesAll(terms, state.pod, state.snapshot.namespaceLabels.bind(state.snapshot));
}

type ScoreState = Map<string, number>;

type NamespaceLabels = (ns: string) => Record<string, string> | undefined;

function addTerms(score: ScoreState, terms: readonly AffinityTerm[], target: PodInfo, node: NodeInfo, sign: number, nsLabels: NamespaceLabels, weight?: number): void {
  for (const t of terms) {
    const v = node.labels[t.topologyKey];
    if (v === undefined || !termMatches(t, target, nsLabels)) continue;
    const k = pair(t.topologyKey, v);
    score.set(k, (score.get(k) ?? 0) + sign * (weight ?? t.weight));
  }
}

/** The pod's own preferred terms: weight × the pods on `node` each selects. */
function countTerms(score: ScoreState, terms: readonly AffinityTerm[], node: NodeInfo, sign: number, nsLabels: NamespaceLabels): void {
  for (const t of terms) {
    const v = node.labels[t.topologyKey];
    if (v === undefined) continue;
    const n = countTermMatches(t, node, nsLabels);
    if (n === 0) continue;
    const k = pair(t.topologyKey, v);
    score.set(k, (score.get(k) ?? 0) + sign * t.weight * n);
  }
}

export function interPodAffinity(): FilterPlugin & ScorePlugin {
  return {
    name: 'InterPodAffinity',
    preFilter(state) {
      const s = preFilter(state);
      const own = state.pod.requiredAffinity.length + state.pod.requiredAntiAffinity.length > 0;
      if (!own && s.existingAnti.size === 0) return 'skip';
      state.data.set('InterPodAffinity/filter', s);
      return undefined;
    },
    filter(state, node) {
      const s = state.data.get('InterPodAffinity/filter') as FilterState;
      for (const k of s.existingAntiKeys) {
        const v = node.labels[k];
        if (v !== undefined && (s.existingAnti.get(pair(k, v)) ?? 0) > 0) return unschedulable(ERR_EXISTING_ANTI_AFFINITY);
      }
      if (!satisfiesAffinity(s, state, node)) return unresolvable(ERR_AFFINITY);
      for (const t of state.pod.requiredAntiAffinity) {
        const v = node.labels[t.topologyKey];
        if (v !== undefined && (s.anti.get(pair(t.topologyKey, v)) ?? 0) > 0) return unschedulable(ERR_ANTI_AFFINITY);
      }
      return undefined;
    },
    preScore(state) {
      const pod = state.pod;
      const own = pod.preferredAffinity.length + pod.preferredAntiAffinity.length > 0;
      const nsLabels: NamespaceLabels = state.snapshot.namespaceLabels.bind(state.snapshot);
      const score: ScoreState = new Map();
      // Without preferences of its own, only pods with affinity terms can move the pod's score.
      if (own) {
        for (const node of state.snapshot.nodes) {
          countTerms(score, pod.preferredAffinity, node, 1, nsLabels);
          countTerms(score, pod.preferredAntiAffinity, node, -1, nsLabels);
        }
      }
      for (const node of state.snapshot.nodesWithAffinity()) {
        for (const existing of node.podsWithAffinity) {
          addTerms(score, existing.requiredAffinity, pod, node, 1, nsLabels, HARD_POD_AFFINITY_WEIGHT);
          addTerms(score, existing.preferredAffinity, pod, node, 1, nsLabels);
          addTerms(score, existing.preferredAntiAffinity, pod, node, -1, nsLabels);
        }
      }
      if (score.size === 0) return 'skip';
      state.data.set('InterPodAffinity/score', score);
      return undefined;
    },
    score(state, node) {
      const s = state.data.get('InterPodAffinity/score') as ScoreState;
      let sum = 0;
      for (const k in node.labels) sum += s.get(pair(k, node.labels[k])) ?? 0;
      return sum;
    },
    normalize(_state, scores) {
      let min = Infinity;
      let max = -Infinity;
      for (const s of scores) {
        min = Math.min(min, s.score);
        max = Math.max(max, s.score);
      }
      const diff = max - min;
      for (const s of scores) s.score = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (s.score - min)) / diff) : 0;
    },
  };
}
