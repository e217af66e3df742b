/**
 * DaemonSet decisions (Kubernetes `pkg/controller/daemon`): one pod per eligible node, pinned to it by
 * required node affinity on `metadata.name` so the scheduler binds it; pods leave nodes that stop
 * qualifying; RollingUpdate replaces old-revision pods within maxUnavailable (or surges by maxSurge);
 * and the status counters. Pure: the reconciler lists the set's pods, the nodes and the revision.
 */
import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import { REVISION_HASH_LABEL } from './controller-revision.js';
import { nodeMatchesPod, untoleratedTaints } from './node-eligibility.js';
import { availability, byCreation, isReady, controllerRef, isTerminal, isTerminating, scaledValue, soonest } from '../resources/pod-state.js';
import type { ControllerEvent } from './workload-decision.js';

/** Deprecated but still set by Kubernetes on DaemonSet pods. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

/**
 * Tolerations every DaemonSet pod gets (`util.AddOrUpdateDaemonPodTolerations`): daemons stay on
 * not-ready/unreachable nodes and schedule despite pressure and cordons. network-unavailable is
 * added for hostNetwork pods only, as in Kubernetes.
 */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const t: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) t.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return t;
}

function withTolerations(spec: PodSpec): Toleration[] {
  const own = spec.tolerations ?? [];
  const auto = daemonTolerations(spec.hostNetwork === true).filter((a) => !own.some((t) => t.key === a.key && t.effect === a.effect));
  return [...own, ...auto];
}

/**
 * The pod spec for `nodeName`: the template's, with the automatic tolerations and its required node
 * affinity replaced by one term on `metadata.name` (`ReplaceDaemonSetPodNodeNameNodeAffinity`).
 */
export function daemonPodSpec(template: PodSpec, nodeName: string): PodSpec {
  const affinity = template.affinity ?? {};
  const nodeAffinity = affinity.nodeAffinity ?? {};
  return {
    ...template,
    tolerations: withTolerations(template),
    affinity: {
      ...affinity,
      nodeAffinity: {
        ...nodeAffinity,
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
        },
      },
    },
  };
}

/**
 * `NodeShouldRunDaemonPod`: shouldRun when selector, affinity and NoSchedule/NoExecute taints allow
 * a new pod; shouldContinueRunning when an existing pod may stay (only NoExecute taints evict).
 */
export function nodeShouldRunDaemonPod(ds: DaemonSet, node: Node): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const spec = ds.spec?.template?.spec;
  if (!spec) return { shouldRun: false, shouldContinueRunning: false };
  if (spec.nodeName && spec.nodeName !== node.metadata?.name) return { shouldRun: false, shouldContinueRunning: false };
  if (!nodeMatchesPod(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = withTolerations(spec);
  return {
    shouldRun: untoleratedTaints(node, tolerations, ['NoSchedule', 'NoExecute']).length === 0,
    shouldContinueRunning: untoleratedTaints(node, tolerations, ['NoExecute']).length === 0,
  };
}

/** The node a daemon pod is on or pinned to. */
export function daemonPodNode(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

export interface DaemonSetInput {
  ds: DaemonSet;
  nodes: Node[];
  /** pods this DaemonSet controls, terminating ones included */
  pods: Pod[];
  /** the current revision's hash (`controller-revision-hash`) */
  hash: string;
  collisionCount: number;
  now: number;
}

export interface DaemonSetDecision {
  /** pods to create, one per node named in `nodeName` */
  create: { nodeName: string; pod: Pod }[];
  /** names of pods to delete */
  delete: string[];
  status: DaemonSetStatus;
  events: ControllerEvent[];
  /** look again then (ms), e.g. when a pod becomes available after minReadySeconds */
  requeueAfterMs?: number;
}

/** A new pod for `nodeName` at revision `hash`. */
export function newDaemonPod(ds: DaemonSet, nodeName: string, hash: string): Pod {
  const t = ds.spec?.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata?.name}-`,
      namespace: ds.metadata?.namespace,
      labels: { ...(t?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash, [TEMPLATE_GENERATION_LABEL]: String(ds.metadata?.generation ?? 1) },
      ...(t?.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [controllerRef(ds, 'apps/v1', 'DaemonSet')],
    },
    spec: daemonPodSpec(t?.spec ?? { containers: [] }, nodeName),
  };
}

interface NodeState {
  node: Node;
  shouldRun: boolean;
  shouldContinueRunning: boolean;
  /** non-terminal, not terminating pods on the node, oldest first */
  live: Pod[];
}

/** Decides creates, deletes and status for one DaemonSet. */
export function decideDaemonSet(input: DaemonSetInput): DaemonSetDecision {
  const { ds, hash, now } = input;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const create: DaemonSetDecision['create'] = [];
  const del = new Set<string>();
  const events: ControllerEvent[] = [];
  const delays: (number | undefined)[] = [];
  const avail = (p: Pod) => {
    const a = availability(p, minReady, now);
    delays.push(a.availableInMs);
    return a.available;
  };
  const isUpdated = (p: Pod) => p.metadata?.labels?.[REVISION_HASH_LABEL] === hash;

  const nodeNames = new Set(input.nodes.map((n) => n.metadata?.name ?? ''));
  const byNode = new Map<string, Pod[]>();
  for (const pod of [...input.pods].sort(byCreation)) {
    if (isTerminating(pod)) continue;
    const nodeName = daemonPodNode(pod);
    if (!nodeName || !nodeNames.has(nodeName)) {
      del.add(pod.metadata?.name ?? '');
      continue;
    }
    if (isTerminal(pod)) {
      del.add(pod.metadata?.name ?? '');
      if (pod.status?.phase === 'Failed') events.push({ type: 'Warning', reason: 'FailedDaemonPod', message: `Found failed daemon pod ${pod.metadata?.namespace}/${pod.metadata?.name} on node ${nodeName}, will try to kill it` });
      continue;
    }
    byNode.set(nodeName, [...(byNode.get(nodeName) ?? []), pod]);
  }

  const strategy = ds.spec?.updateStrategy;
  const rolling = (strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const states: NodeState[] = [...input.nodes]
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
    .map((node) => ({ node, ...nodeShouldRunDaemonPod(ds, node), live: byNode.get(node.metadata?.name ?? '') ?? [] }));
  const desired = states.filter((s) => s.shouldRun).length;
  const maxSurge = rolling ? scaledValue(strategy?.rollingUpdate?.maxSurge, desired, true, 0) : 0;
  let maxUnavailable = rolling ? scaledValue(strategy?.rollingUpdate?.maxUnavailable, desired, true, 1) : 0;
  if (rolling && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;

  // Status is what is, before this round's actions.
  const status: DaemonSetStatus = {
    desiredNumberScheduled: desired,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    numberAvailable: 0,
    updatedNumberScheduled: 0,
    numberUnavailable: 0,
    observedGeneration: ds.metadata?.generation,
    ...(input.collisionCount ? { collisionCount: input.collisionCount } : {}),
  };
  for (const s of states) {
    if (s.live.length === 0) continue;
    if (!s.shouldRun) {
      status.numberMisscheduled++;
      continue;
    }
    status.currentNumberScheduled++;
    const shown = s.live.find(isUpdated) ?? s.live[0];
    if (s.live.some(isUpdated)) status.updatedNumberScheduled = (status.updatedNumberScheduled ?? 0) + 1;
    if (isReady(shown)) status.numberReady++;
    if (avail(shown)) status.numberAvailable = (status.numberAvailable ?? 0) + 1;
  }
  status.numberUnavailable = desired - (status.numberAvailable ?? 0);

  // Manage: a pod where one should run, none where none may stay, no duplicates.
  for (const s of states) {
    const nodeName = s.node.metadata?.name ?? '';
    if (!s.shouldRun) {
      if (!s.shouldContinueRunning) for (const p of s.live) del.add(p.metadata?.name ?? '');
      continue;
    }
    if (s.live.length === 0) {
      create.push({ nodeName, pod: newDaemonPod(ds, nodeName, hash) });
      continue;
    }
    const keep = new Set<Pod>();
    if (maxSurge > 0) {
      const updated = s.live.find(isUpdated);
      const old = s.live.find((p) => !isUpdated(p));
      if (updated) keep.add(updated);
      if (old) keep.add(old);
    } else {
      keep.add(s.live[0]);
    }
    for (const p of s.live) if (!keep.has(p)) del.add(p.metadata?.name ?? '');
    s.live = s.live.filter((p) => keep.has(p));
  }

  if (rolling) {
    const running = states.filter((s) => s.shouldRun);
    if (maxSurge === 0) {
      let unavailable = 0;
      const candidates: string[] = [];
      for (const s of running) {
        const updated = s.live.find(isUpdated);
        const old = s.live.find((p) => !isUpdated(p));
        if (s.live.length === 0) unavailable++;
        else if (updated) {
          if (!avail(updated)) unavailable++;
        } else if (old) {
          // Unlike Kubernetes, a replaced unavailable pod uses up budget: it is unavailable either way.
          if (!avail(old)) {
            del.add(old.metadata?.name ?? '');
            unavailable++;
          } else candidates.push(old.metadata?.name ?? '');
        }
      }
      for (const name of candidates.slice(0, Math.max(0, maxUnavailable - unavailable))) del.add(name);
    } else {
      let surged = 0;
      const allowed: NodeState[] = [];
      const candidates: NodeState[] = [];
      for (const s of running) {
        const updated = s.live.find(isUpdated);
        const old = s.live.find((p) => !isUpdated(p));
        if (!old) continue;
        if (!updated) {
          if (!avail(old)) allowed.push(s);
          else candidates.push(s);
        } else if (!avail(updated)) surged++;
        else del.add(old.metadata?.name ?? '');
      }
      for (const s of [...allowed, ...candidates.slice(0, Math.max(0, maxSurge - surged))]) {
        const nodeName = s.node.metadata?.name ?? '';
        create.push({ nodeName, pod: newDaemonPod(ds, nodeName, hash) });
      }
    }
  }

  del.delete('');
  return { create, delete: [...del], status, events, requeueAfterMs: soonest(...delays) };
}
