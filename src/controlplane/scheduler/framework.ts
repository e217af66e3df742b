/**
 * The pure scheduling core: one pod and a snapshot in, a node (or why no node fits) out. Runs the
 * profile's filters over the nodes — from a rotating start, stopping once percentageOfNodesToScore
 * worth of feasible nodes are found, as kube-scheduler does — then its scores (normalised, weighted,
 * summed), and picks the best node, spreading ties round-robin so equal nodes fill evenly.
 */
import { addPod, cloneNodeInfo } from './node-info.js';
import { type CycleState, type FilterPlugin, type NodeInfo, type NodeScore, type PodInfo, type Rejection, type ScorePlugin, type Snapshot } from './types.js';

/** A configured scheduler profile: which plugins run, with which score weights. */
export interface Profile {
  schedulerName: string;
  filters: FilterPlugin[];
  scores: { plugin: ScorePlugin; weight: number }[];
  /** 0 (default) adapts to the cluster size: max(5, 50 − nodes/125) percent */
  percentageOfNodesToScore: number;
}

export const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_PERCENTAGE = 5;

export const ERR_NO_NODES = 'no nodes available to schedule pods';

/** How many feasible nodes the filter phase looks for before it stops (`numFeasibleNodesToFind`). */
export function numFeasibleNodesToFind(percentage: number, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(MIN_FEASIBLE_PERCENTAGE, 50 - Math.trunc(numAllNodes / 125));
  if (pct >= 100) return numAllNodes;
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.trunc((numAllNodes * pct) / 100));
}

/** No node fits: each rejected node's reasons, and the kubectl-style message built from them. */
export class FitError {
  constructor(
    readonly numAllNodes: number,
    /** node name → why it was rejected */
    readonly rejections: Map<string, Rejection>,
  ) {}

  /** `0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.` */
  get message(): string {
    if (this.numAllNodes === 0) return ERR_NO_NODES;
    const counts = new Map<string, number>();
    for (const r of this.rejections.values()) for (const reason of r.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
    const parts = [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
    return `0/${this.numAllNodes} nodes are available: ${parts.join(', ')}.`;
  }
}

export interface Placement {
  node: NodeInfo;
  /** nodes the filters ran on, and how many passed */
  evaluated: number;
  feasible: number;
}

export class Framework {
  private nextStartNodeIndex = 0;
  private tieBreak = 0;

  constructor(readonly profile: Profile) {}

  /** A fresh cycle state with every plugin's preFilter run; `active` holds the filters that have something to check. */
  private preFilter(pod: PodInfo, snapshot: Snapshot): { state: CycleState; active: FilterPlugin[]; rejection?: Rejection } {
    const state: CycleState = { pod, snapshot, data: new Map() };
    const active: FilterPlugin[] = [];
    for (const f of this.profile.filters) {
      const r = f.preFilter?.(state);
      if (r === 'skip') continue;
      if (r) return { state, active, rejection: r };
      active.push(f);
    }
    return { state, active };
  }

  /** The node as `pod` sees it: with nominated pods of at least its priority already placed. */
  private withNominated(pod: PodInfo, snapshot: Snapshot, node: NodeInfo): NodeInfo {
    const all = snapshot.nominated(node.name);
    if (all.length === 0) return node;
    const nominated = all.filter((p) => p.key !== pod.key && p.priority >= pod.priority);
    if (nominated.length === 0) return node;
    const copy = cloneNodeInfo(node);
    for (const p of nominated) addPod(copy, p);
    return copy;
  }

  private runFilters(state: CycleState, filters: readonly FilterPlugin[], node: NodeInfo): Rejection | undefined {
    const view = this.withNominated(state.pod, state.snapshot, node);
    for (const f of filters) {
      const r = f.filter(state, view);
      if (r) return r;
    }
    return undefined;
  }

  /**
   * Filters `node` with the whole profile, for preemption's what-if: `node` may be a copy with pods
   * removed. Returns why it does not fit, or undefined if it does.
   */
  filterNode(pod: PodInfo, snapshot: Snapshot, node: NodeInfo): Rejection | undefined {
    const { state, active, rejection } = this.preFilter(pod, snapshot);
    return rejection ?? this.runFilters(state, active, node);
  }

  /** Picks a node for `pod`, or says why none fits. Advances the rotation and tie-break counters. */
  schedule(pod: PodInfo, snapshot: Snapshot): Placement | FitError {
    const nodes = snapshot.nodes;
    if (nodes.length === 0) return new FitError(0, new Map());
    const { state, active, rejection } = this.preFilter(pod, snapshot);
    if (rejection) return new FitError(nodes.length, new Map(nodes.map((n) => [n.name, rejection])));

    // A preemptor whose nominated node now fits goes there without a full cycle.
    const nominated = pod.nominatedNode ? snapshot.get(pod.nominatedNode) : undefined;
    if (nominated && !this.runFilters(state, active, nominated)) return { node: nominated, evaluated: 1, feasible: 1 };

    const want = numFeasibleNodesToFind(this.profile.percentageOfNodesToScore, nodes.length);
    const feasible: NodeInfo[] = [];
    const rejections = new Map<string, Rejection>();
    let i = 0;
    for (; i < nodes.length && feasible.length < want; i++) {
      const node = nodes[(this.nextStartNodeIndex + i) % nodes.length];
      const r = this.runFilters(state, active, node);
      if (r) rejections.set(node.name, r);
      else feasible.push(node);
    }
    this.nextStartNodeIndex = (this.nextStartNodeIndex + i) % nodes.length;
    if (feasible.length === 0) return new FitError(nodes.length, rejections);
    if (feasible.length === 1) return { node: feasible[0], evaluated: i, feasible: 1 };
    return { node: this.select(this.score(state, feasible)), evaluated: i, feasible: feasible.length };
  }

  /** Weighted sum of every score plugin's normalised scores, per feasible node, in `feasible` order. */
  score(state: CycleState, feasible: readonly NodeInfo[]): NodeScore[] {
    const total: NodeScore[] = feasible.map((node) => ({ node, score: 0 }));
    for (const { plugin, weight } of this.profile.scores) {
      if (plugin.preScore?.(state, feasible) === 'skip') continue;
      const scores: NodeScore[] = feasible.map((node) => ({ node, score: plugin.score(state, node) }));
      plugin.normalize?.(state, scores);
      for (let j = 0; j < scores.length; j++) total[j].score += scores[j].score * weight;
    }
    return total;
  }

  private select(scores: readonly NodeScore[]): NodeInfo {
    let best = -Infinity;
    const ties: NodeInfo[] = [];
    for (const s of scores) {
      if (s.score > best) {
        best = s.score;
        ties.length = 0;
      }
      if (s.score === best) ties.push(s.node);
    }
    return ties[this.tieBreak++ % ties.length];
  }
}
