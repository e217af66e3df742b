/**
 * Pure facts about pods and ownership that several controllers need: is a pod active, ready,
 * available; its controller reference; and an owner reference to set. No I/O.
 */
import type { KubeObject, OwnerReference } from '../resources/types.js';

export interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

export interface PodStatus {
  phase?: string;
  podIP?: string;
  conditions?: PodCondition[];
  containerStatuses?: { restartCount?: number }[];
}

export type Pod = KubeObject & { spec?: { nodeName?: string; [k: string]: unknown }; status?: PodStatus };

export function podStatus(p: Pod): PodStatus {
  return (p.status ?? {}) as PodStatus;
}

/** Not terminating and not finished: it counts towards a controller's replicas. */
export function isActive(p: Pod): boolean {
  const phase = podStatus(p).phase;
  return !p.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

export function readyCondition(p: Pod): PodCondition | undefined {
  return podStatus(p).conditions?.find((c) => c.type === 'Ready');
}

export function isReady(p: Pod): boolean {
  return readyCondition(p)?.status === 'True';
}

/**
 * Ready for at least `minReadySeconds` at `now`. Returns true/false, and when false but ready, how many
 * ms until it will be available (for a requeue).
 */
export function availability(p: Pod, minReadySeconds: number, now: number): { available: boolean; inMs?: number } {
  const c = readyCondition(p);
  if (c?.status !== 'True') return { available: false };
  if (!minReadySeconds) return { available: true };
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  if (Number.isNaN(since)) return { available: false, inMs: minReadySeconds * 1000 };
  const at = since + minReadySeconds * 1000;
  return at <= now ? { available: true } : { available: false, inMs: at - now };
}

export function isAvailable(p: Pod, minReadySeconds: number, now: number): boolean {
  return availability(p, minReadySeconds, now).available;
}

export function controllerRef(o: KubeObject): OwnerReference | undefined {
  return o.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** The reference a controller sets on what it creates or adopts. */
export function ownerRefTo(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion ?? '', kind: owner.kind ?? '', name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** Every key of `want` is in `labels` with the same value. */
export function hasLabels(labels: Record<string, string> | undefined, want: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(want ?? {})) if (labels?.[k] !== v) return false;
  return true;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function restarts(p: Pod): number {
  return (podStatus(p).containerStatuses ?? []).reduce((n, c) => Math.max(n, c.restartCount ?? 0), 0);
}

function time(s: string | undefined): number {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? 0 : t;
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
  const ap = PHASE_RANK[podStatus(a).phase ?? 'Pending'] ?? 0;
  const bp = PHASE_RANK[podStatus(b).phase ?? 'Pending'] ?? 0;
  if (ap !== bp) return ap - bp;
  const ar = isReady(a) ? 1 : 0;
  const br = isReady(b) ? 1 : 0;
  if (ar !== br) return ar - br;
  if (ar && br) {
    const at = time(readyCondition(a)?.lastTransitionTime);
    const bt = time(readyCondition(b)?.lastTransitionTime);
    if (at !== bt) return bt - at;
  }
  const rs = restarts(b) - restarts(a);
  if (rs !== 0) return rs;
  const ct = time(b.metadata?.creationTimestamp) - time(a.metadata?.creationTimestamp);
  if (ct !== 0) return ct;
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}
