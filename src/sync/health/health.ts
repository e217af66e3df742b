/**
 * Health per kind, as Argo CD assesses it (gitops-engine `pkg/health`, notes/gitops-anchors §4c):
 * workloads by their observed generation and replica counts, Jobs by their conditions, Pods by
 * phase and restart loops, Services by load-balancer ingress, PVCs by binding; anything else is
 * Healthy once it exists. `rollUp` gives an Application the worst of its resources.
 */
import type { KubeObject } from '../../controlplane/resources/types.js';

/** Argo CD's health statuses. */
export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

/** A resource's health and why. */
export interface Health {
  status: HealthStatus;
  message: string;
}

type Json = Record<string, any>;

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

const condition = (obj: KubeObject, type: string): Condition | undefined =>
  ((obj.status as Json | undefined)?.conditions as Condition[] | undefined)?.find((c) => c.type === type);

const ok = (message = ''): Health => ({ status: 'Healthy', message });
const progressing = (message: string): Health => ({ status: 'Progressing', message });
const degraded = (message: string): Health => ({ status: 'Degraded', message });

/** Restarts after which a container in CrashLoopBackOff or a restarting one counts as Degraded. */
const RESTART_LOOP = 3;

/** Health of one object; undefined = the object does not exist (Missing). */
export function assess(obj: KubeObject | undefined): Health {
  if (!obj) return { status: 'Missing', message: 'the object does not exist' };
  if (obj.metadata?.deletionTimestamp) return progressing('Pending deletion');
  const group = (obj.apiVersion ?? '').includes('/') ? obj.apiVersion!.split('/')[0] : '';
  switch (`${group}/${obj.kind}`) {
    case 'apps/Deployment':
      return deployment(obj);
    case 'apps/ReplicaSet':
    case '/ReplicationController':
      return replicaSet(obj);
    case 'apps/StatefulSet':
      return statefulSet(obj);
    case 'apps/DaemonSet':
      return daemonSet(obj);
    case 'batch/Job':
      return job(obj);
    case 'batch/CronJob':
      return cronJob(obj);
    case '/Pod':
      return pod(obj);
    case '/Service':
      return service(obj);
    case '/PersistentVolumeClaim':
      return pvc(obj);
    default:
      return ok();
  }
}

function observed(obj: KubeObject): boolean {
  const status = (obj.status ?? {}) as Json;
  return (obj.metadata?.generation ?? 0) <= (status.observedGeneration ?? 0);
}

function deployment(obj: KubeObject): Health {
  const spec = (obj.spec ?? {}) as Json;
  const status = (obj.status ?? {}) as Json;
  if (spec.paused) return { status: 'Suspended', message: 'Deployment is paused' };
  if (!observed(obj)) return progressing('Waiting for rollout to finish: observed deployment generation less than desired generation');
  const p = condition(obj, 'Progressing');
  if (p?.reason === 'ProgressDeadlineExceeded') return degraded(`Deployment "${obj.metadata?.name}" exceeded its progress deadline`);
  const want = spec.replicas ?? 1;
  const updatedReplicas = status.updatedReplicas ?? 0;
  if (updatedReplicas < want) return progressing(`Waiting for rollout to finish: ${updatedReplicas} out of ${want} new replicas have been updated...`);
  if ((status.replicas ?? 0) > updatedReplicas) {
    return progressing(`Waiting for rollout to finish: ${(status.replicas ?? 0) - updatedReplicas} old replicas are pending termination...`);
  }
  if ((status.availableReplicas ?? 0) < updatedReplicas) {
    return progressing(`Waiting for rollout to finish: ${status.availableReplicas ?? 0} of ${updatedReplicas} updated replicas are available...`);
  }
  return ok(`deployment "${obj.metadata?.name}" successfully rolled out`);
}

function replicaSet(obj: KubeObject): Health {
  const spec = (obj.spec ?? {}) as Json;
  const status = (obj.status ?? {}) as Json;
  if (!observed(obj)) return progressing('Waiting for rollout to finish: observed replica set generation less than desired generation');
  const failure = condition(obj, 'ReplicaFailure');
  if (failure?.status === 'True') return degraded(failure.message ?? 'ReplicaFailure');
  const want = spec.replicas ?? 1;
  if ((status.availableReplicas ?? 0) < want) return progressing(`Waiting for rollout to finish: ${status.availableReplicas ?? 0} out of ${want} new replicas are available...`);
  return ok();
}

function statefulSet(obj: KubeObject): Health {
  const spec = (obj.spec ?? {}) as Json;
  const status = (obj.status ?? {}) as Json;
  if (!observed(obj)) return progressing('Waiting for statefulset spec update to be observed...');
  const want = spec.replicas ?? 1;
  if ((status.readyReplicas ?? 0) < want) return progressing(`Waiting for ${want - (status.readyReplicas ?? 0)} pods to be ready...`);
  const strategy = (spec.updateStrategy ?? {}) as Json;
  if (strategy.type === 'OnDelete') return ok(`statefulset has ${status.readyReplicas ?? 0} ready pods`);
  const partition = strategy.rollingUpdate?.partition;
  if (typeof partition === 'number' && partition > 0) {
    if ((status.updatedReplicas ?? 0) < want - partition) {
      return progressing(`Waiting for partitioned roll out to finish: ${status.updatedReplicas ?? 0} out of ${want - partition} new pods have been updated...`);
    }
    return ok(`partitioned roll out complete: ${status.updatedReplicas ?? 0} new pods have been updated...`);
  }
  if (status.updateRevision !== status.currentRevision) {
    return progressing(`waiting for statefulset rolling update to complete ${status.updatedReplicas ?? 0} pods at revision ${status.updateRevision}...`);
  }
  return ok(`statefulset rolling update complete ${status.currentReplicas ?? 0} pods at revision ${status.currentRevision}...`);
}

function daemonSet(obj: KubeObject): Health {
  const spec = (obj.spec ?? {}) as Json;
  const status = (obj.status ?? {}) as Json;
  if (!observed(obj)) return progressing('Waiting for rollout to finish: observed daemon set generation less than desired generation');
  const want = status.desiredNumberScheduled ?? 0;
  if (spec.updateStrategy?.type === 'OnDelete') return ok(`daemon set ${status.currentNumberScheduled ?? 0} out of ${want} new pods have been updated`);
  if ((status.updatedNumberScheduled ?? 0) < want) {
    return progressing(`Waiting for daemon set "${obj.metadata?.name}" rollout to finish: ${status.updatedNumberScheduled ?? 0} out of ${want} new pods have been updated...`);
  }
  if ((status.numberAvailable ?? 0) < want) {
    return progressing(`Waiting for daemon set "${obj.metadata?.name}" rollout to finish: ${status.numberAvailable ?? 0} of ${want} updated pods are available...`);
  }
  return ok(`daemon set "${obj.metadata?.name}" successfully rolled out`);
}

function job(obj: KubeObject): Health {
  for (const c of ((obj.status as Json | undefined)?.conditions ?? []) as Condition[]) {
    if (c.status !== 'True') continue;
    if (c.type === 'Failed') return degraded(c.message ?? c.reason ?? 'Job failed');
    if (c.type === 'Complete') return ok(c.message ?? 'Job completed');
    if (c.type === 'Suspended') return { status: 'Suspended', message: c.message ?? 'Job is suspended' };
  }
  if ((obj.spec as Json | undefined)?.suspend === true) return { status: 'Suspended', message: 'Job is suspended' };
  return progressing('Job is running');
}

function cronJob(obj: KubeObject): Health {
  if ((obj.spec as Json | undefined)?.suspend === true) return { status: 'Suspended', message: 'CronJob is suspended' };
  return ok((obj.status as Json | undefined)?.lastScheduleTime ? `last scheduled at ${(obj.status as Json).lastScheduleTime}` : '');
}

function pod(obj: KubeObject): Health {
  const status = (obj.status ?? {}) as Json;
  const restartPolicy = (obj.spec as Json | undefined)?.restartPolicy ?? 'Always';
  const statuses = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])] as Json[];
  for (const cs of statuses) {
    const waiting = cs.state?.waiting as Json | undefined;
    const reason = typeof waiting?.reason === 'string' ? waiting.reason : '';
    // Argo CD: a waiting reason that is an error or a back-off (CrashLoopBackOff, ErrImagePull, CreateContainerConfigError...)
    if (reason.startsWith('Err') || reason.endsWith('Error') || reason.endsWith('BackOff') || reason === 'InvalidImageName') {
      return degraded(`container ${cs.name}: ${reason}${waiting!.message ? `: ${waiting!.message}` : ''}`);
    }
  }
  switch (status.phase) {
    case 'Succeeded':
      return ok(status.message ?? 'Pod completed');
    case 'Failed':
      return degraded(status.message ?? status.reason ?? 'Pod failed');
    case 'Running': {
      const looping = statuses.find((cs) => (cs.restartCount ?? 0) >= RESTART_LOOP && !cs.ready);
      if (looping && restartPolicy !== 'Never') return degraded(`container ${looping.name} restarted ${looping.restartCount} times and is not ready`);
      if (restartPolicy !== 'Always') return progressing(status.message ?? 'Pod is running');
      if (condition(obj, 'Ready')?.status === 'True') return ok(status.message ?? '');
      return progressing(status.message ?? 'Waiting for the pod to be ready');
    }
    default:
      return progressing(status.message ?? `Pod is ${status.phase ?? 'Pending'}`);
  }
}

function service(obj: KubeObject): Health {
  if ((obj.spec as Json | undefined)?.type !== 'LoadBalancer') return ok();
  const ingress = (obj.status as Json | undefined)?.loadBalancer?.ingress as unknown[] | undefined;
  return ingress && ingress.length > 0 ? ok() : progressing('Waiting for the load balancer to get an address');
}

function pvc(obj: KubeObject): Health {
  const phase = (obj.status as Json | undefined)?.phase;
  if (phase === 'Bound') return ok();
  if (phase === 'Lost') return degraded('the claim lost its volume');
  return progressing(`PersistentVolumeClaim is ${phase ?? 'Pending'}`);
}

/** Argo CD's order, least to most severe; an Application takes the most severe of its resources. */
const SEVERITY: HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

/** The worst of `statuses` by Argo CD's precedence; Healthy when there are none. */
export function rollUp(statuses: HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((worst, s) => (SEVERITY.indexOf(s) > SEVERITY.indexOf(worst) ? s : worst), 'Healthy');
}
