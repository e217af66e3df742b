/**
 * InterPodAffinity. Filter: the node's topology domain (the value of each term's topologyKey) must
 * hold pods matching the pod's required affinity, none matching its required anti-affinity, and
 * the pod must not match the required anti-affinity of pods already in that domain. Score: preferred
 * (anti-)affinity weights of the pod and of the pods already placed (symmetric, plus their required
 * affinity at hardPodAffinityWeight 1), normalised between the lowest and highest node.
 */
import { termMatches } from '../pod-info.js';
import { MAX_NODE_SCORE, unresolvable, unschedulable, type AffinityTerm, type CycleState, type FilterPlugin, type NodeInfo, type PodInfo, type ScorePlugin } from '../types.js';

export const ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";

const HARD_POD_AFFINITY_WEIGHT = 1;

const pair = (key: string, value: string) => `${key}\u0000${value}`;

interface FilterState {
  existingAnti: Map<string, number>;
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
  const s: FilterState = { existingAnti: new Map(), affinity: new Map(), anti: new Map() };
  const own = pod.requiredAffinity.length + pod.requiredAntiAffinity.length > 0;
  for (const node of snapshot.nodes) {
    if (!own && node.podsWithRequiredAntiAffinity === 0) continue;
    for (const existing of node.pods) {
      for (const t of existing.requiredAntiAffinity) if (termMatches(t, pod, nsLabels)) bump(s.existingAnti, node, t.topologyKey);
      if (!own) continue;
      if (matchesAll(pod.requiredAffinity, existing, nsLabels)) for (const t of pod.requiredAffinity) bump(s.affinity, node, t.topologyKey);
      for (const t of pod.requiredAntiAffinity) if (termMatches(t, existing, nsLabels)) bump(s.anti, node, t.topologyKey);
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

function addTerms(score: ScoreState, terms: readonly AffinityTerm[], target: PodInfo, node: NodeInfo, sign: number, state: CycleState, weight?: number): void {
  for (const t of terms) {
    const v = node.labels[t.topologyKey];
    if (v === undefined || !termMatches(t, target, state.snapshot.namespaceLabels.bind(state.snapshot))) continue;
    const k = pair(t.topologyKey, v);
    score.set(k, (score.get(k) ?? 0) + sign * (weight ?? t.weight));
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
      for (const [k, v] of Object.entries(node.labels)) if ((s.existingAnti.get(pair(k, v)) ?? 0) > 0) return unschedulable(ERR_EXISTING_ANTI_AFFINITY);
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
      const score: ScoreState = new Map();
      for (const node of state.snapshot.nodes) {
        if (!own && node.podsWithAffinity === 0) continue;
        if (Object.keys(node.labels).length === 0) continue;
        for (const existing of node.pods) {
          addTerms(score, pod.preferredAffinity, existing, node, 1, state);
          addTerms(score, pod.preferredAntiAffinity, existing, node, -1, state);
          addTerms(score, existing.requiredAffinity, pod, node, 1, state, HARD_POD_AFFINITY_WEIGHT);
          addTerms(score, existing.preferredAffinity, pod, node, 1, state);
          addTerms(score, existing.preferredAntiAffinity, pod, node, -1, state);
        }
      }
      if (score.size === 0) return 'skip';
      state.data.set('InterPodAffinity/score', score);
      return undefined;
    },
    score(state, node) {
      const s = state.data.get('InterPodAffinity/score') as ScoreState;
      let sum = 0;
      for (const [k, v] of Object.entries(node.labels)) sum += s.get(pair(k, v)) ?? 0;
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
