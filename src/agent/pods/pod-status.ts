/**
 * Pod phase and conditions from container statuses, as the kubelet computes them (getPhase and the
 * status generators). Pure: both runtimes feed it their container statuses, so a pod's phase and
 * conditions mean the same whatever runs it.
 */
import type { ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';

export interface PodStatusInput {
  pod: Pod;
  init: ContainerStatus[];
  /** names of init containers that are sidecars (restartPolicy Always): done once started */
  sidecars?: Set<string>;
  containers: ContainerStatus[];
  hostIP: string;
  podIP: string;
  startTime: string;
  /** set when the pod failed as a whole (e.g. an init container failed under restartPolicy Never) */
  failed?: { reason?: string; message?: string };
  /** runtime-specific conditions (custom types, as readiness gates use), e.g. berth.dev/HostPorts */
  extraConditions?: PodCondition[];
  now: string;
}

type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** An init container is done when it succeeded; a sidecar once it started (or ran before). */
function initDone(s: ContainerStatus, sidecars?: Set<string>): boolean {
  if (sidecars?.has(s.name)) return !!s.started || !!s.lastState?.terminated || !!s.state?.terminated;
  return s.state?.terminated?.exitCode === 0;
}

/** The kubelet's getPhase for the app containers once init containers are done. */
export function podPhase(restartPolicy: string, init: ContainerStatus[], containers: ContainerStatus[], sidecars?: Set<string>): Phase {
  const initFailed = init.some((s) => !initDone(s, sidecars) && (s.state?.terminated || s.lastState?.terminated));
  if (!init.every((s) => initDone(s, sidecars))) return initFailed && restartPolicy === 'Never' ? 'Failed' : 'Pending';
  let running = 0;
  let waiting = 0;
  let succeeded = 0;
  let failed = 0;
  for (const s of containers) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode === 0) succeeded++;
      else failed++;
    } else if (s.state?.waiting) {
      // a container waiting to be restarted has run before: the pod is Running
      if (s.lastState?.terminated) running++;
      else waiting++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (succeeded + failed === 0) return 'Pending';
  // the kubelet reports a terminal phase only once every container stopped: a sidecar still
  // running (being stopped after the app containers ended) keeps the pod Running
  if (restartPolicy !== 'Always' && init.some((s) => sidecars?.has(s.name) && s.state?.running)) return 'Running';
  if (restartPolicy === 'Always') return 'Running';
  if (restartPolicy === 'OnFailure') return failed > 0 ? 'Running' : 'Succeeded';
  return failed > 0 ? 'Failed' : 'Succeeded';
}

function condition(type: string, ok: boolean, prev: PodCondition[] | undefined, now: string, reason?: string, message?: string): PodCondition {
  const status = ok ? 'True' : 'False';
  const old = prev?.find((c) => c.type === type);
  const c: PodCondition = { type, status, lastProbeTime: null as unknown as string, lastTransitionTime: old?.status === status ? old.lastTransitionTime : now };
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  return c;
}

/** The full status the agent writes; keeps PodScheduled (the scheduler's) as it is on the pod. */
export function computePodStatus(input: PodStatusInput): PodStatus {
  const { pod, init, containers, now } = input;
  const prev = pod.status?.conditions;
  const restartPolicy = pod.spec?.restartPolicy ?? 'Always';
  const phase: Phase = input.failed ? 'Failed' : podPhase(restartPolicy, init, containers, input.sidecars);
  const done = phase === 'Succeeded' || phase === 'Failed';
  const pendingInit = init.filter((s) => !initDone(s, input.sidecars)).map((s) => s.name);
  const unready = containers.filter((s) => !s.ready).map((s) => s.name);
  const initialized = pendingInit.length === 0;
  const containersReady = !done && unready.length === 0 && containers.length > 0;
  const notReadyReason = done ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMessage = done ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const scheduled = prev?.find((c) => c.type === 'PodScheduled') ?? { type: 'PodScheduled', status: 'True', lastProbeTime: null as unknown as string, lastTransitionTime: input.startTime };
  const conditions: PodCondition[] = [
    condition('PodReadyToStartContainers', !done, prev, now),
    condition('Initialized', initialized, prev, now, done ? 'PodCompleted' : 'ContainersNotInitialized', done ? undefined : `containers with incomplete status: [${pendingInit.join(' ')}]`),
    condition('Ready', containersReady, prev, now, notReadyReason, notReadyMessage),
    condition('ContainersReady', containersReady, prev, now, notReadyReason, notReadyMessage),
    scheduled,
    ...(input.extraConditions ?? []),
  ];
  const status: PodStatus = {
    phase,
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    podIP: input.podIP,
    podIPs: [{ ip: input.podIP }],
    startTime: input.startTime,
    containerStatuses: containers,
    qosClass: qosClass(pod),
  };
  if (init.length > 0) status.initContainerStatuses = init;
  if (input.failed?.reason) status.reason = input.failed.reason;
  if (input.failed?.message) status.message = input.failed.message;
  return status;
}

/** Guaranteed when every container's requests equal its limits; BestEffort when none are set. */
export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l;
      if (l === undefined || String(q) !== String(l)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
