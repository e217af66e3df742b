/**
 * Preemption's pure core (kube-scheduler's DefaultPreemption): when a pod fits nowhere, find one node
 * where evicting lower-priority pods makes room — on each candidate node remove every lower-priority
 * pod, check the pod fits, then give back as many as still let it fit (PDB-protected pods first,
 * most important first) — and pick the node whose victims cost least: fewest PDB violations, then
 * the lowest highest victim priority, the lowest priority sum, the fewest victims, the latest start.
 */
import type { FitError, Framework } from './framework.js';
import { addPod, cloneNodeInfo, removePod } from './node-info.js';
import type { LabelSelector } from '../store/selectors.js';
import { scanAffinityNodes, type NodeInfo, type PodInfo, type Snapshot } from './types.js';

/** A PodDisruptionBudget as preemption sees it. */
export interface DisruptionBudget {
  namespace: string;
  selector: LabelSelector;
  disruptionsAllowed: number;
  /** pods the API already counted as disrupted (status.disruptedPods) */
  disrupted: ReadonlySet<string>;
}

export interface Preemption {
  node: string;
  victims: PodInfo[];
  pdbViolations: number;
}

/** kube-scheduler looks at max(100, 10% of nodes) candidate nodes. */
const MIN_CANDIDATES = 100;
const CANDIDATE_PERCENTAGE = 10;

function startTime(p: PodInfo): number {
  const t = p.pod.status?.startTime ?? p.pod.metadata?.creationTimestamp;
  return t ? Date.parse(String(t)) : 0;
}

/** More important first: higher priority, then started earlier. */
function byImportance(a: PodInfo, b: PodInfo): number {
  return b.priority - a.priority || startTime(a) - startTime(b);
}

function overlay(snapshot: Snapshot, node: NodeInfo): Snapshot {
  const nodes = snapshot.nodes.map((n) => (n.name === node.name ? node : n));
  return {
    nodes,
    get: (name) => (name === node.name ? node : snapshot.get(name)),
    namespaceLabels: (ns) => snapshot.namespaceLabels(ns),
    nominated: (name) => snapshot.nominated(name),
    ...scanAffinityNodes(nodes),
  };
}

function splitByBudgets(pods: readonly PodInfo[], budgets: readonly DisruptionBudget[]): { violating: PodInfo[]; safe: PodInfo[] } {
  const allowed = budgets.map((b) => b.disruptionsAllowed);
  const violating: PodInfo[] = [];
  const safe: PodInfo[] = [];
  for (const p of pods) {
    let violates = false;
    if (Object.keys(p.labels).length > 0) {
      budgets.forEach((b, i) => {
        if (b.namespace !== p.namespace || b.selector.empty || !b.selector.matches(p.labels)) return;
        if (b.disrupted.has(p.pod.metadata?.name ?? '')) return;
        if (--allowed[i] < 0) violates = true;
      });
    }
    (violates ? violating : safe).push(p);
  }
  return { violating, safe };
}

/** The fewest, least important pods on `node` whose eviction lets `pod` fit there, or undefined. */
export function selectVictims(framework: Framework, pod: PodInfo, snapshot: Snapshot, node: NodeInfo, budgets: readonly DisruptionBudget[]): Omit<Preemption, 'node'> | undefined {
  const copy = cloneNodeInfo(node);
  const view = overlay(snapshot, copy);
  const lower = node.pods.filter((p) => p.priority < pod.priority);
  if (lower.length === 0) return undefined;
  for (const p of lower) removePod(copy, p.key);
  if (framework.filterNode(pod, view, copy)) return undefined;
  const { violating, safe } = splitByBudgets([...lower].sort(byImportance), budgets);
  const victims: PodInfo[] = [];
  let pdbViolations = 0;
  const reprieve = (p: PodInfo, isViolating: boolean) => {
    addPod(copy, p);
    if (framework.filterNode(pod, view, copy)) {
      removePod(copy, p.key);
      victims.push(p);
      if (isViolating) pdbViolations++;
    }
  };
  for (const p of violating) reprieve(p, true);
  for (const p of safe) reprieve(p, false);
  return { victims, pdbViolations };
}

function cheaper(a: Preemption, b: Preemption): boolean {
  if (a.pdbViolations !== b.pdbViolations) return a.pdbViolations < b.pdbViolations;
  const highest = (c: Preemption) => Math.max(...c.victims.map((v) => v.priority));
  if (highest(a) !== highest(b)) return highest(a) < highest(b);
  const sum = (c: Preemption) => c.victims.reduce((s, v) => s + v.priority + 2 ** 31, 0);
  if (sum(a) !== sum(b)) return sum(a) < sum(b);
  if (a.victims.length !== b.victims.length) return a.victims.length < b.victims.length;
  // Prefer evicting pods that started later: the earliest start among the most important victims.
  const earliest = (c: Preemption) => Math.min(...c.victims.filter((v) => v.priority === highest(c)).map(startTime));
  return earliest(a) > earliest(b);
}

/**
 * Where `pod` can preempt after `fit` found no node, or undefined: when it may not preempt
 * (preemptionPolicy Never, or it already waits on victims terminating on its nominated node), or
 * when no node has lower-priority pods whose eviction makes room.
 */
export function findPreemption(framework: Framework, pod: PodInfo, snapshot: Snapshot, fit: FitError, budgets: readonly DisruptionBudget[]): Preemption | undefined {
  if (pod.pod.spec?.preemptionPolicy === 'Never') return undefined;
  const nominated = pod.nominatedNode ? snapshot.get(pod.nominatedNode) : undefined;
  if (nominated?.pods.some((p) => p.terminating && p.priority < pod.priority)) return undefined;
  const limit = Math.max(MIN_CANDIDATES, Math.trunc((snapshot.nodes.length * CANDIDATE_PERCENTAGE) / 100));
  let best: Preemption | undefined;
  let candidates = 0;
  for (const node of snapshot.nodes) {
    if (fit.rejections.get(node.name)?.code !== 'Unschedulable') continue;
    const found = selectVictims(framework, pod, snapshot, node, budgets);
    if (!found) continue;
    const c = { node: node.name, ...found };
    if (c.victims.length === 0) return c;
    if (!best || cheaper(c, best)) best = c;
    if (++candidates >= limit) break;
  }
  return best;
}
