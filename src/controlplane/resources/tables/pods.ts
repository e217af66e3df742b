/**
 * The pods table, computed as kubectl's printPod does: READY counts ready running containers (and
 * started restartable init containers), STATUS is the most telling reason (init progress,
 * waiting/terminated reasons, `Completed`, `Terminating`...), RESTARTS adds how long ago the last
 * restart was.
 */
import type { Container, ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject, TablePrinter } from '../types.js';
import { since } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, ageOf, column, nameOf, wide } from './columns.js';

const isRestartableInit = (c: Container | undefined): boolean => c?.restartPolicy === 'Always';

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (!b) return a;
  if (!a) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

function terminatedReason(prefix: string, t: NonNullable<NonNullable<ContainerStatus['state']>['terminated']>): string {
  if (t.reason) return `${prefix}${t.reason}`;
  return t.signal ? `${prefix}Signal:${t.signal}` : `${prefix}ExitCode:${t.exitCode}`;
}

/** READY, STATUS and RESTARTS cells of a pod. */
export function podStatusCells(pod: Pod, now: number): [string, string, string] {
  const spec = pod.spec ?? ({ containers: [] } as NonNullable<Pod['spec']>);
  const status = pod.status ?? {};
  let restarts = 0;
  let restartableRestarts = 0;
  let total = (spec.containers ?? []).length;
  let ready = 0;
  let lastRestart: string | undefined;
  let lastRestartableRestart: string | undefined;
  let reason = status.reason || status.phase || '';
  for (const c of status.conditions ?? []) if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const initContainers = new Map<string, Container>();
  for (const c of spec.initContainers ?? []) {
    initContainers.set(c.name, c);
    if (isRestartableInit(c)) total++;
  }

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    restarts += cs.restartCount ?? 0;
    const finished = cs.lastState?.terminated?.finishedAt;
    lastRestart = later(lastRestart, finished);
    const restartable = isRestartableInit(initContainers.get(cs.name));
    if (restartable) {
      restartableRestarts += cs.restartCount ?? 0;
      lastRestartableRestart = later(lastRestartableRestart, finished);
    }
    const terminated = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (restartable && cs.started) {
      if (cs.ready) ready++;
      continue;
    }
    if (terminated) reason = terminatedReason('Init:', terminated);
    else if (waiting?.reason && waiting.reason !== 'PodInitializing') reason = `Init:${waiting.reason}`;
    else reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    initializing = true;
    break;
  }

  const initialized = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = restartableRestarts;
    lastRestart = lastRestartableRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += cs.restartCount ?? 0;
      lastRestart = later(lastRestart, cs.lastState?.terminated?.finishedAt);
      const waiting = cs.state?.waiting;
      const terminated = cs.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated) reason = terminatedReason('', terminated);
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }

  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && !terminal) reason = 'Terminating';

  const restartsCell = restarts !== 0 && lastRestart ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts);
  return [`${ready}/${total}`, reason, restartsCell];
}

function readinessGates(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions = pod.status?.conditions ?? [];
  const trueCount = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
  return `${trueCount}/${gates.length}`;
}

export const podPrinter: TablePrinter = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE_COLUMN,
    wide('IP', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.'),
    wide('Node', 'NodeName indicates in which node this pod is scheduled.'),
    wide('Nominated Node', 'nominatedNodeName is set when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.'),
    wide('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True".'),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const pod = obj as unknown as Pod;
    const [ready, status, restarts] = podStatusCells(pod, now);
    const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || '<none>';
    return [
      nameOf(obj),
      ready,
      status,
      restarts,
      ageOf(obj, now),
      ip,
      pod.spec?.nodeName || '<none>',
      pod.status?.nominatedNodeName || '<none>',
      readinessGates(pod),
    ];
  },
};
