/**
 * Pod facts every workload controller (ReplicaSet, Deployment, DaemonSet, Job, StatefulSet,
 * endpoints, disruption) and the eviction subresource decide on, as Kubernetes' `podutil` reads them: ready, available after
 * minReadySeconds, active, terminal, terminating; the deletion ranking; and the controller
 * ownerReferences they stamp on and read from what they own. One module so no rule exists twice.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from './types.js';

/** A Pod as the client and informers hold it (kubernetes-types' Pod, plus any other field). */
export type PodObject = Pod & KubeObject;

/** The object a controller owns children for: enough to build and match ownerReferences. */
export interface Owner {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; uid?: string };
}

/**
 * `metav1.NewControllerRef`: controller=true, blockOwnerDeletion=true. `apiVersion` and `kind`
 * default to the owner's own (informer objects carry them; typed ones may not).
 */
export function controllerRef(owner: Owner, apiVersion = owner.apiVersion ?? '', kind = owner.kind ?? ''): OwnerReference {
  return { apiVersion, kind, name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** `metav1.GetControllerOf`: the ownerReference marked controller, if any. */
export function controllerOf(obj: { metadata?: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** Whether `obj`'s controller ownerReference points at `uid`. */
export function isControlledBy(obj: { metadata?: { ownerReferences?: OwnerReference[] } }, uid: string | undefined): boolean {
  return !!uid && (obj.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === uid);
}

/** Every key of `want` is in `labels` with the same value. */
export function hasLabels(labels: Record<string, string> | undefined, want: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(want ?? {})) if (labels?.[k] !== v) return false;
  return true;
}

/** An RFC 3339 time as epoch ms; undefined when absent or unparsable. */
export function ms(time: string | undefined): number | undefined {
  if (!time) return undefined;
  const t = Date.parse(time);
  return Number.isNaN(t) ? undefined : t;
}

/** Succeeded or Failed: its containers will not run again. */
export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export function isTerminating(pod: Pod): boolean {
  return !!pod.metadata?.deletionTimestamp;
}

/** Not terminating and not finished: it counts towards a controller's replicas (`controller.IsPodActive`). */
export function isActive(pod: Pod): boolean {
  return !isTerminating(pod) && !isTerminal(pod);
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
 * Ready for at least `minReadySeconds` at `now` (`podutil.IsPodAvailable`). When ready but not yet
 * available, `availableInMs` says when to look again, so a controller can requeue for that moment;
 * a Ready condition without a lastTransitionTime is never available and is looked at again after
 * `minReadySeconds`, as Kubernetes' controllers requeue.
 */
export function availability(pod: Pod, minReadySeconds: number, now: number): { available: boolean; availableInMs?: number } {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return { available: false };
  if (minReadySeconds <= 0) return { available: true };
  const since = ms(c.lastTransitionTime);
  if (since === undefined) return { available: false, availableInMs: minReadySeconds * 1000 };
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

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function restarts(p: Pod): number {
  return (p.status?.containerStatuses ?? []).reduce((n, c) => Math.max(n, c.restartCount ?? 0), 0);
}

/**
 * Orders pods so the ones to delete first come first (Kubernetes' ActivePods ranking): unassigned
 * before assigned; Pending < Unknown < Running; not ready before ready; ready more recently first;
 * more restarts first; created more recently first.
 */
export function compareForDeletion(a: Pod, b: Pod): number {
  const an = a.spec?.nodeName ? 1 : 0;
  const bn = b.spec?.nodeName ? 1 : 0;
  if (an !== bn) return an - bn;
  const ap = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0;
  const bp = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
  if (ap !== bp) return ap - bp;
  const ar = isReady(a) ? 1 : 0;
  const br = isReady(b) ? 1 : 0;
  if (ar !== br) return ar - br;
  if (ar && br) {
    const at = ms(readyCondition(a)?.lastTransitionTime) ?? 0;
    const bt = ms(readyCondition(b)?.lastTransitionTime) ?? 0;
    if (at !== bt) return bt - at;
  }
  const rs = restarts(b) - restarts(a);
  if (rs !== 0) return rs;
  const ct = (ms(b.metadata?.creationTimestamp) ?? 0) - (ms(a.metadata?.creationTimestamp) ?? 0);
  if (ct !== 0) return ct;
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}
