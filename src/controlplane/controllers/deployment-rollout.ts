/**
 * The Deployment controller's pure core (Kubernetes' pkg/controller/deployment/util and rolling.go):
 * pod-template-hash, surge/unavailable fenceposts, how far to scale the new and old ReplicaSets, the
 * status and the Available/Progressing conditions. No I/O; deployment.ts applies the results.
 */
import type { KubeObject } from '../resources/types.js';

export const HASH_LABEL = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Deployment annotations that are not copied to its ReplicaSets (Kubernetes' skipCopyAnnotation). */
const NOT_COPIED = new Set([LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS]);

export type IntOrString = number | string;

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: unknown;
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  template?: PodTemplate;
  strategy?: { type?: 'RollingUpdate' | 'Recreate'; rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  paused?: boolean;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  collisionCount?: number;
  conditions?: Condition[];
}

export type Deployment = KubeObject & { spec: DeploymentSpec; status?: DeploymentStatus };

export interface RSStatus {
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
}

export type ReplicaSet = KubeObject & {
  spec: { replicas?: number; minReadySeconds?: number; selector?: DeploymentSpec['selector']; template?: PodTemplate };
  status?: RSStatus;
};

// --- hashing ----------------------------------------------------------------------------------------

/** FNV-32a of a byte string. */
export function fnv32a(data: Uint8Array, hash = 0x811c9dc5): number {
  let h = hash;
  for (const b of data) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** Kubernetes' rand.SafeEncodeString: maps each character onto letters and digits that spell no words. */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}

/** JSON with object keys sorted, so equal templates hash equally whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Drops nulls, empty objects and empty lists, recursively: Kubernetes compares templates as decoded
 * Go structs, where `creationTimestamp: null` or `resources: {}` (as `kubectl rollout undo` writes
 * them) equal an absent field.
 */
export function semantic(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(semantic).filter((x) => x !== undefined);
    return items.length ? items : undefined;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const y = semantic(x);
      if (y !== undefined) out[k] = y;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v === null ? undefined : v;
}

/**
 * The pod-template-hash: FNV-32a of the template, then of the decimal collisionCount if set, printed
 * in decimal and safe-encoded, as Kubernetes' ComputeHash (of the template's `semantic` form). Kubernetes hashes a dump of its Go struct
 * where berth hashes canonical JSON, so the values differ from a kube-controller-manager's; the shape
 * (and its stability) is the same.
 */
export function podTemplateHash(template: PodTemplate | undefined, collisionCount?: number): string {
  const enc = new TextEncoder();
  let h = fnv32a(enc.encode(canonicalJson(semantic(template) ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) h = fnv32a(enc.encode(String(collisionCount)), h);
  return safeEncode(String(h));
}

/** The template without the pod-template-hash label, for comparing a ReplicaSet's to a Deployment's. */
function withoutHash(t: PodTemplate | undefined): PodTemplate {
  const c = structuredClone(t ?? {});
  if (c.metadata?.labels) {
    delete c.metadata.labels[HASH_LABEL];
    if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
  }
  return c;
}

/** Templates equal ignoring pod-template-hash (Kubernetes' EqualIgnoreHash). */
export function sameTemplate(a: PodTemplate | undefined, b: PodTemplate | undefined): boolean {
  return canonicalJson(semantic(withoutHash(a)) ?? {}) === canonicalJson(semantic(withoutHash(b)) ?? {});
}

// --- numbers ----------------------------------------------------------------------------------------

/** An int-or-percent scaled against `total` (Kubernetes' GetScaledValueFromIntOrPercent). */
export function scaled(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    const n = Number(v);
    if (Number.isInteger(n)) return n;
    throw new Error(`invalid value for IntOrString: ${v}`);
  }
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** [maxSurge, maxUnavailable] for `desired` replicas; both 0 becomes unavailable 1 (ResolveFenceposts). */
export function fenceposts(spec: DeploymentSpec): [number, number] {
  const desired = spec.replicas ?? 1;
  if (spec.strategy?.type === 'Recreate') return [0, 0];
  const ru = spec.strategy?.rollingUpdate ?? {};
  const surge = scaled(ru.maxSurge ?? '25%', desired, true);
  let unavailable = scaled(ru.maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, Math.min(unavailable, desired)];
}

const specReplicas = (rs: ReplicaSet | undefined) => rs?.spec?.replicas ?? 0;
const sum = (rss: ReplicaSet[], f: (rs: ReplicaSet) => number) => rss.reduce((n, rs) => n + f(rs), 0);

export function revisionOf(o: KubeObject | undefined): number {
  const n = Number(o?.metadata?.annotations?.[REVISION] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** Oldest first (creation time, then name), as Kubernetes' ReplicaSetsByCreationTimestamp. */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  return ta !== tb ? ta - tb : (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** Replicas the new ReplicaSet should have now (Kubernetes' NewRSNewReplicas). */
export function newRSReplicas(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet | undefined): number {
  const desired = d.spec.replicas ?? 1;
  if (d.spec.strategy?.type === 'Recreate') return desired;
  const [surge] = fenceposts(d.spec);
  // pods that exist count even where spec.replicas already dropped (an old ReplicaSet still deleting)
  const current = sum(all, (rs) => Math.max(specReplicas(rs), rs.status?.replicas ?? 0));
  const maxTotal = desired + surge;
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, desired - specReplicas(newRS));
  return specReplicas(newRS) + Math.max(0, up);
}

/** Target replicas per old ReplicaSet name for one step of a rolling update (reconcileOldReplicaSets). */
export function scaleDownOld(d: Deployment, newRS: ReplicaSet | undefined, olds: ReplicaSet[]): Map<string, number> {
  const out = new Map<string, number>();
  const desired = d.spec.replicas ?? 1;
  const oldPods = sum(olds, specReplicas);
  if (oldPods === 0) return out;
  const all = newRS ? [newRS, ...olds] : olds;
  const [, maxUnavailable] = fenceposts(d.spec);
  const minAvailable = desired - maxUnavailable;
  const newUnavailable = specReplicas(newRS) - (newRS?.status?.availableReplicas ?? 0);
  const maxScaledDown = sum(all, specReplicas) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return out;
  const target = new Map(olds.map((rs) => [rs.metadata?.name ?? '', specReplicas(rs)]));
  // first, unhealthy old replicas (they are unavailable anyway)
  let cleaned = 0;
  for (const rs of [...olds].sort(byCreation)) {
    if (cleaned >= maxScaledDown) break;
    const cur = target.get(rs.metadata?.name ?? '') ?? 0;
    if (cur === 0) continue;
    const unhealthy = cur - (rs.status?.availableReplicas ?? 0);
    if (unhealthy <= 0) continue;
    const n = Math.min(maxScaledDown - cleaned, unhealthy);
    target.set(rs.metadata?.name ?? '', cur - n);
    cleaned += n;
  }
  // then healthy ones, as far as availability allows
  const available = sum(all, (rs) => rs.status?.availableReplicas ?? 0);
  let budget = Math.min(available - minAvailable, maxScaledDown - cleaned);
  for (const rs of [...olds].sort(byCreation)) {
    if (budget <= 0) break;
    const cur = target.get(rs.metadata?.name ?? '') ?? 0;
    if (cur === 0) continue;
    const n = Math.min(cur, budget);
    target.set(rs.metadata?.name ?? '', cur - n);
    budget -= n;
  }
  for (const rs of olds) {
    const name = rs.metadata?.name ?? '';
    if (target.get(name) !== specReplicas(rs)) out.set(name, target.get(name) ?? 0);
  }
  return out;
}

/**
 * Proportional scaling while several ReplicaSets are active and spec.replicas changed (Kubernetes'
 * `scale`): the difference to replicas+maxSurge is spread by size, the remainder to the largest
 * (newest on ties). Returns target replicas by ReplicaSet name.
 */
export function proportionalScale(d: Deployment, active: ReplicaSet[]): Map<string, number> {
  const out = new Map<string, number>();
  const desired = d.spec.replicas ?? 1;
  const [surge] = fenceposts(d.spec);
  const allowed = desired + surge;
  const current = sum(active, specReplicas);
  const toAdd = allowed - current;
  if (toAdd === 0 || current === 0) return out;
  const sorted = [...active].sort((a, b) => specReplicas(b) - specReplicas(a) || -byCreation(a, b));
  let added = 0;
  const targets = new Map<string, number>();
  for (const rs of sorted) {
    let p = Math.round((specReplicas(rs) * toAdd) / current);
    if (toAdd > 0) p = Math.min(p, toAdd - added);
    else p = Math.max(p, toAdd - added);
    targets.set(rs.metadata?.name ?? '', specReplicas(rs) + p);
    added += p;
  }
  const first = sorted[0].metadata?.name ?? '';
  targets.set(first, Math.max(0, (targets.get(first) ?? 0) + (toAdd - added)));
  for (const rs of active) {
    const t = Math.max(0, targets.get(rs.metadata?.name ?? '') ?? 0);
    if (t !== specReplicas(rs)) out.set(rs.metadata?.name ?? '', t);
  }
  return out;
}

// --- status -----------------------------------------------------------------------------------------

export function calculateStatus(d: Deployment, newRS: ReplicaSet | undefined, all: ReplicaSet[]): DeploymentStatus {
  const available = sum(all, (rs) => rs.status?.availableReplicas ?? 0);
  const total = sum(all, specReplicas);
  const s: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: sum(all, (rs) => rs.status?.replicas ?? 0),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum(all, (rs) => rs.status?.readyReplicas ?? 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  if (d.status?.collisionCount !== undefined) s.collisionCount = d.status.collisionCount;
  return s;
}

export function isComplete(d: Deployment, s: DeploymentStatus): boolean {
  const desired = d.spec.replicas ?? 1;
  return s.updatedReplicas === desired && s.replicas === desired && s.availableReplicas === desired && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

function isProgressing(old: DeploymentStatus, s: DeploymentStatus): boolean {
  const oldStale = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newStale = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newStale < oldStale || (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

export function getCondition(s: DeploymentStatus | undefined, type: string): Condition | undefined {
  return s?.conditions?.find((c) => c.type === type);
}

/** Sets a condition, keeping lastTransitionTime when the status did not change (SetDeploymentCondition). */
export function setCondition(conds: Condition[], c: Condition, now: string): Condition[] {
  const cur = conds.find((x) => x.type === c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason && cur.message === c.message) return conds;
  const next: Condition = { ...c, lastUpdateTime: now, lastTransitionTime: cur && cur.status === c.status ? cur.lastTransitionTime : now };
  return [...conds.filter((x) => x.type !== c.type), next];
}

export interface StatusWithConditions {
  status: DeploymentStatus;
  /** check progress again after this long (the progress deadline) */
  requeueAfterMs?: number;
}

/**
 * The full status: counts plus Available and Progressing (syncRolloutStatus). `event` names what
 * this reconcile did to the new ReplicaSet (created / found) when nothing else explains progress.
 */
export function rolloutStatus(d: Deployment, newRS: ReplicaSet | undefined, all: ReplicaSet[], now: number, event?: 'created'): StatusWithConditions {
  const ts = new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const s = calculateStatus(d, newRS, all);
  const old = d.status ?? {};
  let conds = [...(old.conditions ?? [])];
  const desired = d.spec.replicas ?? 1;
  const [, maxUnavailable] = fenceposts(d.spec);
  conds =
    (s.availableReplicas ?? 0) >= desired - maxUnavailable
      ? setCondition(conds, { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }, ts)
      : setCondition(conds, { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }, ts);
  const deadline = d.spec.progressDeadlineSeconds;
  const rsName = newRS?.metadata?.name ?? '';
  let requeueAfterMs: number | undefined;
  const prog = getCondition({ conditions: conds }, 'Progressing');
  if (d.spec.paused) {
    if (prog?.reason !== 'DeploymentPaused') conds = setCondition(conds, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }, ts);
  } else if (deadline !== undefined && deadline !== null) {
    const resumed = prog?.reason === 'DeploymentPaused';
    if (isComplete(d, s)) {
      conds = setCondition(conds, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }, ts);
    } else if (resumed) {
      conds = setCondition(conds, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed' }, ts);
      requeueAfterMs = deadline * 1000;
    } else if (event === 'created') {
      conds = setCondition(conds, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"` }, ts);
      requeueAfterMs = deadline * 1000;
    } else if (isProgressing(old, s) || !prog) {
      // progress moves lastUpdateTime on, which restarts the deadline
      const c: Condition = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` };
      conds = [...conds.filter((x) => x.type !== 'Progressing'), { ...c, lastUpdateTime: ts, lastTransitionTime: prog?.status === 'True' ? prog.lastTransitionTime : ts }];
      requeueAfterMs = deadline * 1000;
    } else if (prog.reason === 'ProgressDeadlineExceeded') {
      // stays failed until progress is made
    } else {
      const since = Date.parse(prog.lastUpdateTime ?? prog.lastTransitionTime ?? '') || now;
      const left = since + deadline * 1000 - now;
      if (left <= 0) conds = setCondition(conds, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }, ts);
      else requeueAfterMs = left;
    }
  }
  // Available first, then Progressing, as Kubernetes lists them
  s.conditions = conds.sort((a, b) => order(a.type) - order(b.type));
  return { status: s, requeueAfterMs };
}

function order(type: string): number {
  return type === 'Available' ? 0 : type === 'Progressing' ? 1 : 2;
}

// --- the new ReplicaSet -----------------------------------------------------------------------------

/** The ReplicaSet a Deployment creates for its current template. */
export function newReplicaSet(d: Deployment, hash: string, revision: number, replicas: number): ReplicaSet {
  const template = structuredClone(d.spec.template ?? {});
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [HASH_LABEL]: hash } };
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (!NOT_COPIED.has(k)) annotations[k] = v;
  annotations[REVISION] = String(revision);
  annotations[DESIRED_REPLICAS] = String(d.spec.replicas ?? 1);
  annotations[MAX_REPLICAS] = String((d.spec.replicas ?? 1) + fenceposts(d.spec)[0]);
  const selector = structuredClone(d.spec.selector ?? {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata?.name}-${hash}`,
      namespace: d.metadata?.namespace,
      labels: { ...(d.spec.template?.metadata?.labels ?? {}), [HASH_LABEL]: hash },
      annotations,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata?.name ?? '', uid: d.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: { replicas, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
  };
}

/** Deployment annotations copied onto the ReplicaSet that becomes current (change-cause and friends). */
export function copiedAnnotations(d: Deployment): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (!NOT_COPIED.has(k)) out[k] = v;
  return out;
}

/** Old ReplicaSets to delete beyond revisionHistoryLimit: scaled to zero, oldest revision first. */
export function historyToPrune(d: Deployment, olds: ReplicaSet[]): ReplicaSet[] {
  const limit = d.spec.revisionHistoryLimit ?? 10;
  const idle = olds.filter((rs) => specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata?.deletionTimestamp);
  if (idle.length <= limit) return [];
  idle.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
  return idle.slice(0, idle.length - limit);
}
