/**
 * Pod facts the workload controllers (DaemonSet, Job, StatefulSet) decide on, as Kubernetes'
 * `podutil` reads them: ready, available after minReadySeconds, terminal, terminating; and the
 * controller ownerReference they stamp on what they create.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';

/** The object a controller owns children for: enough to build and match ownerReferences. */
export interface Owner {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; uid?: string };
}

/** `metav1.NewControllerRef`: controller=true, blockOwnerDeletion=true. */
export function controllerRef(owner: Owner, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** Whether `obj`'s controller ownerReference points at `uid`. */
export function isControlledBy(obj: { metadata?: { ownerReferences?: OwnerReference[] } }, uid: string | undefined): boolean {
  return !!uid && (obj.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === uid);
}

export function ms(time: string | undefined): number | undefined {
  if (!time) return undefined;
  const t = Date.parse(time);
  return Number.isNaN(t) ? undefined : t;
}

export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export function isTerminating(pod: Pod): boolean {
  return !!pod.metadata?.deletionTimestamp;
}

function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** Running and Ready: what StatefulSet's OrderedReady waits for. */
export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isReady(pod);
}

/**
 * Ready for at least `minReadySeconds` at `now` (`podutil.IsPodAvailable`). When not yet,
 * `availableInMs` says when it will be, so a controller can requeue for that moment.
 */
export function availability(pod: Pod, minReadySeconds: number, now: number): { available: boolean; availableInMs?: number } {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return { available: false };
  if (minReadySeconds <= 0) return { available: true };
  const since = ms(c.lastTransitionTime);
  if (since === undefined) return { available: false };
  const at = since + minReadySeconds * 1000;
  return at <= now ? { available: true } : { available: false, availableInMs: at - now };
}

/** `intstr.GetScaledValueFromIntOrPercent`: an int, or a percentage of `total` rounded up or down. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number.parseInt(v, 10) || 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** The earliest of several optional delays (ms), for a controller's requeue-after. */
export function soonest(...delays: (number | undefined)[]): number | undefined {
  const ds = delays.filter((d): d is number => d !== undefined && d >= 0);
  return ds.length ? Math.min(...ds) : undefined;
}

/** Oldest first, then by name, so choices among equal pods are stable. */
export function byCreation(a: Pod, b: Pod): number {
  const ta = ms(a.metadata?.creationTimestamp) ?? 0;
  const tb = ms(b.metadata?.creationTimestamp) ?? 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}
