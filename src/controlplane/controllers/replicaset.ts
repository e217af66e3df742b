/**
 * The ReplicaSet controller: keeps `spec.replicas` active pods matching the selector. Adopts
 * matching orphans and releases owned pods that stopped matching (controller ownerReferences),
 * creates in slow-start batches, deletes the least valuable pods first, and reports status. The same
 * machinery runs ReplicationControllers (replicationcontroller.ts); `decideReplicas` is the pure core.
 */
import type { Client, ResourceRef } from '../client/client.js';
import { objectKey } from '../client/informer.js';
import { refs } from '../client/refs.js';
import { StatusError } from '../api/errors.js';
import type { KubeObject, OwnerReference } from '../resources/types.js';
import { labelSelectorFromObject, type LabelSelector } from '../store/selectors.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';
import { availability, compareForDeletion, controllerOf, controllerRef, hasLabels, isActive, isReady, type PodObject as Pod } from '../resources/pod-state.js';

/** Most pods created or deleted in one reconcile (Kubernetes' burstReplicas). */
export const BURST_REPLICAS = 500;

export interface ReplicaOwner {
  uid: string;
  replicas: number;
  minReadySeconds: number;
  deleting: boolean;
  templateLabels: Record<string, string>;
}

export interface ReplicaStatusCounts {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
}

export interface ReplicaDecision {
  adopt: Pod[];
  release: Pod[];
  create: number;
  delete: Pod[];
  status: ReplicaStatusCounts;
  /** a ready pod becomes available (minReadySeconds) after this long */
  requeueAfterMs?: number;
}

/**
 * What to do for one ReplicaSet/ReplicationController given every pod in its namespace. Pods owned
 * by another controller are left alone; terminating and finished pods do not count.
 */
export function decideReplicas(owner: ReplicaOwner, selector: LabelSelector, pods: Pod[], now: number, burst = BURST_REPLICAS): ReplicaDecision {
  const adopt: Pod[] = [];
  const release: Pod[] = [];
  const mine: Pod[] = [];
  for (const p of pods) {
    const ref = controllerOf(p);
    const matches = selector.matches(p.metadata?.labels);
    if (ref) {
      if (ref.uid !== owner.uid) continue;
      if (matches) mine.push(p);
      else if (!p.metadata?.deletionTimestamp) release.push(p);
    } else if (matches && !owner.deleting && isActive(p)) {
      adopt.push(p);
      mine.push(p);
    }
  }
  const active = mine.filter(isActive);
  let create = 0;
  let del: Pod[] = [];
  if (!owner.deleting) {
    const diff = owner.replicas - active.length;
    if (diff > 0) create = Math.min(diff, burst);
    else if (diff < 0) del = [...active].sort(compareForDeletion).slice(0, Math.min(-diff, burst));
  }
  // status describes the pods that remain after this decision: a stale count of pods being deleted
  // would let a Deployment believe more are available than are
  const deleting = new Set(del);
  const remaining = active.filter((p) => !deleting.has(p));
  let requeueAfterMs: number | undefined;
  let available = 0;
  for (const p of remaining) {
    const a = availability(p, owner.minReadySeconds, now);
    if (a.available) available++;
    else if (a.availableInMs !== undefined) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, a.availableInMs);
  }
  const status: ReplicaStatusCounts = {
    replicas: remaining.length,
    fullyLabeledReplicas: remaining.filter((p) => hasLabels(p.metadata?.labels, owner.templateLabels)).length,
    readyReplicas: remaining.filter(isReady).length,
    availableReplicas: available,
  };
  return { adopt, release, create, delete: del, status, requeueAfterMs };
}

/** Batch sizes for creating `n` objects: 1, 2, 4, ... (Kubernetes' slowStartBatch). */
export function slowStartBatches(n: number, initial = 1): number[] {
  const out: number[] = [];
  let size = initial;
  for (let left = n; left > 0; left -= out[out.length - 1]) {
    out.push(Math.min(size, left));
    size *= 2;
  }
  return out;
}

/** How a replica controller reads its kind (ReplicaSet vs ReplicationController). */
export interface ReplicaKind {
  name: string;
  ref: ResourceRef;
  apiVersion: string;
  kind: string;
  /** a matcher for the owner's selector (RC: a map; RS: a LabelSelector) */
  selector(owner: KubeObject): LabelSelector;
}

interface ReplicaSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: unknown;
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown };
}

/** The pod a replica controller creates from its template. */
export function podFromTemplate(owner: KubeObject): Pod {
  const spec = (owner.spec ?? {}) as ReplicaSpec;
  const tm = spec.template?.metadata ?? {};
  const metadata: Pod['metadata'] = {
    generateName: `${owner.metadata?.name}-`,
    namespace: owner.metadata?.namespace,
    labels: { ...(tm.labels ?? {}) },
    ownerReferences: [controllerRef(owner)],
  };
  if (tm.annotations) metadata.annotations = { ...tm.annotations };
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(spec.template?.spec ?? {}) as Pod['spec'] };
}

function isNotFound(e: unknown): boolean {
  return e instanceof StatusError && e.reason === 'NotFound';
}

/** Replaces a pod's ownerReferences, failing with Conflict if the pod changed since we read it. */
function patchOwners(client: Client, pod: Pod, owners: OwnerReference[] | undefined): Promise<Pod> {
  return client.patch<Pod>(refs.pods, pod.metadata?.name ?? '', 'merge', { metadata: { resourceVersion: pod.metadata?.resourceVersion, ownerReferences: owners ?? null } }, { namespace: pod.metadata?.namespace });
}

/** A replica controller (ReplicaSet or ReplicationController). */
export function replicaController(kind: ReplicaKind): Controller {
  return {
    name: kind.name,
    setup(ctx: ControllerContext) {
      const owners = ctx.informers.get(kind.ref);
      const pods = ctx.informers.get<Pod>(refs.pods);
      const enqueueOwner = (o: KubeObject) => ctx.enqueue(objectKey(o));
      owners.on({ onAdd: enqueueOwner, onUpdate: (_o, n) => enqueueOwner(n), onDelete: enqueueOwner });
      // a pod event concerns its controller, or any owner that might adopt it
      const ownersOf = (p: Pod) => {
        const ref = controllerOf(p);
        if (ref) {
          if (ref.apiVersion === kind.apiVersion && ref.kind === kind.kind) ctx.enqueue(`${p.metadata?.namespace}/${ref.name}`);
          return;
        }
        if (!isActive(p)) return;
        for (const o of owners.list((o) => o.metadata?.namespace === p.metadata?.namespace)) {
          if (safeSelector(kind, o)?.matches(p.metadata?.labels)) enqueueOwner(o);
        }
      };
      pods.on({
        onAdd: ownersOf,
        onUpdate: (old, p) => {
          if (old !== p && controllerOf(old)?.uid !== controllerOf(p)?.uid) ownersOf(old);
          ownersOf(p);
        },
        onDelete: ownersOf,
      });

      return {
        async reconcile(key: string): Promise<Result> {
          const owner = owners.get(key);
          if (!owner) return {};
          await ctx.expectations.await(key, refs.pods);
          const ns = owner.metadata?.namespace ?? '';
          const spec = (owner.spec ?? {}) as ReplicaSpec;
          const selector = safeSelector(kind, owner);
          const now = Date.now();
          const d = decideReplicas(
            {
              uid: owner.metadata?.uid ?? '',
              replicas: spec.replicas ?? 1,
              minReadySeconds: spec.minReadySeconds ?? 0,
              deleting: !!owner.metadata?.deletionTimestamp,
              templateLabels: spec.template?.metadata?.labels ?? {},
            },
            selector ?? labelSelectorFromObject(null),
            pods.list((p) => p.metadata?.namespace === ns),
            now,
          );
          const written: (KubeObject | undefined)[] = [];
          const errors: unknown[] = [];
          const attempt = async <T extends KubeObject>(p: Promise<T>): Promise<T | undefined> => {
            try {
              const o = await p;
              written.push(o);
              return o;
            } catch (e) {
              if (!isNotFound(e)) errors.push(e);
              return undefined;
            }
          };
          await Promise.all(d.adopt.map((p) => attempt(patchOwners(ctx.client, p, [...(p.metadata?.ownerReferences ?? []), controllerRef(owner)]))));
          await Promise.all(
            d.release.map((p) => {
              const rest = (p.metadata?.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata?.uid);
              return attempt(patchOwners(ctx.client, p, rest.length ? rest : undefined));
            }),
          );
          if (d.create > 0) {
            const template = podFromTemplate(owner);
            for (const n of slowStartBatches(d.create)) {
              const before = errors.length;
              const made = await Promise.all(Array.from({ length: n }, () => attempt(ctx.client.create(refs.pods, structuredClone(template)))));
              for (const p of made) if (p) void ctx.events.record(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata?.name}`);
              if (errors.length > before) {
                void ctx.events.record(owner, 'Warning', 'FailedCreate', `Error creating: ${(errors[before] as Error).message}`);
                break;
              }
            }
          }
          await Promise.all(
            d.delete.map(async (p) => {
              const gone = await attempt(ctx.client.delete<Pod>(refs.pods, p.metadata?.name ?? '', { namespace: ns, preconditions: { uid: p.metadata?.uid } }));
              if (gone) void ctx.events.record(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata?.name}`);
            }),
          );
          await ctx.expectations.record(key, written);
          await updateStatus(ctx.client, kind.ref, owner, d);
          if (errors.length > 0) throw errors[0];
          if (d.create + d.delete.length >= BURST_REPLICAS) return { requeueAfterMs: 0 };
          return d.requeueAfterMs !== undefined ? { requeueAfterMs: d.requeueAfterMs } : {};
        },
      };
    },
  };
}

function safeSelector(kind: ReplicaKind, owner: KubeObject): LabelSelector | undefined {
  try {
    return kind.selector(owner);
  } catch {
    return undefined;
  }
}

async function updateStatus(client: Client, ref: ResourceRef, owner: KubeObject, d: ReplicaDecision): Promise<void> {
  const cur = (owner.status ?? {}) as Record<string, unknown>;
  const want: Record<string, unknown> = { ...d.status, observedGeneration: owner.metadata?.generation ?? 0 };
  if (Object.entries(want).every(([k, v]) => (cur[k] ?? 0) === v)) return;
  try {
    await client.patch(ref, owner.metadata?.name ?? '', 'merge', { status: want }, { namespace: owner.metadata?.namespace, subresource: 'status' });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

export const replicaSetController = (): Controller =>
  replicaController({
    name: 'replicaset-controller',
    ref: refs.replicasets,
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    selector: (o) => labelSelectorFromObject(((o.spec ?? {}) as { selector?: Parameters<typeof labelSelectorFromObject>[0] }).selector),
  });
