/**
 * The garbage collector: walks the ownerReference graph of every kind berth serves. Background:
 * an object whose owners are all gone is deleted. Foreground (`foregroundDeletion` finalizer): the
 * owner's dependents are deleted first (blocking ones, blockOwnerDeletion=true, are waited for), then
 * the finalizer goes. Orphan (`orphan` finalizer): dependents lose their ownerReference to the owner,
 * then the finalizer goes. `decideOwnership` is the pure core.
 */
import { StatusError } from '../api/errors.js';
import type { ResourceRef } from '../client/client.js';
import type { Informer } from '../client/informer.js';
import { objectKey } from '../client/informer.js';
import { refOf } from '../client/refs.js';
import { registry } from '../resources/registry.js';
import type { KubeObject, OwnerReference } from '../resources/types.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';

/** What an owner reference points at, as far as the collector could find out. */
export type OwnerState = 'solid' | 'dangling' | 'waitingForDependents';

export type OwnershipAction =
  | { kind: 'none' }
  /** remove these references (dangling, or owners deleting in foreground while a solid owner remains) */
  | { kind: 'removeRefs'; uids: string[] }
  | { kind: 'delete'; policy: 'Background' | 'Foreground' };

/** Kubernetes' attemptToDeleteItem for a dependent, given the state of each of its owners. */
export function decideOwnership(refs: OwnerReference[], states: Map<string, OwnerState>): OwnershipAction {
  const known = refs.filter((r) => states.has(r.uid));
  if (known.length === 0) return { kind: 'none' };
  const solid = known.filter((r) => states.get(r.uid) === 'solid');
  const dangling = known.filter((r) => states.get(r.uid) === 'dangling');
  const waiting = known.filter((r) => states.get(r.uid) === 'waitingForDependents');
  if (solid.length > 0) {
    const drop = [...dangling, ...waiting.filter((r) => r.blockOwnerDeletion)].map((r) => r.uid);
    return drop.length ? { kind: 'removeRefs', uids: drop } : { kind: 'none' };
  }
  if (known.length < refs.length) return { kind: 'none' };
  if (waiting.some((r) => r.blockOwnerDeletion)) return { kind: 'delete', policy: 'Foreground' };
  return { kind: 'delete', policy: 'Background' };
}

interface Tracked {
  id: string;
  ref: ResourceRef;
  informer: Informer;
}

/** The kinds the collector watches: every stored kind that can be listed, watched and deleted, except Events. */
export function collectedTypes() {
  const preferred = new Map(registry.groups().map((g) => [g.name, g.preferredVersion]));
  return registry
    .all()
    .filter((t) => preferred.get(t.group) === t.version && ['list', 'watch', 'delete', 'patch'].every((v) => t.verbs.includes(v as never)) && t.kind !== 'Event');
}

function isStatus(e: unknown, ...reasons: string[]): boolean {
  return e instanceof StatusError && reasons.includes(e.reason);
}

export const garbageCollector = (): Controller => ({
  name: 'garbage-collector',
  setup(ctx: ControllerContext) {
    const byId = new Map<string, Tracked>();
    const byKind = new Map<string, Tracked>();
    /** owner uid → keys of its dependents */
    const dependents = new Map<string, Set<string>>();
    const gcKey = (t: Tracked, o: KubeObject) => `${t.id}|${objectKey(o)}`;

    const ownerKey = (dependent: KubeObject, r: OwnerReference): string | undefined => {
      const t = byKind.get(`${r.apiVersion}/${r.kind}`);
      if (!t) return undefined;
      return t.ref.namespaced ? `${t.id}|${dependent.metadata?.namespace}/${r.name}` : `${t.id}|${r.name}`;
    };
    const index = (key: string, o: KubeObject, add: boolean) => {
      for (const r of o.metadata?.ownerReferences ?? []) {
        let s = dependents.get(r.uid);
        if (add) {
          if (!s) dependents.set(r.uid, (s = new Set()));
          s.add(key);
        } else if (s) {
          s.delete(key);
          if (s.size === 0) dependents.delete(r.uid);
        }
      }
    };
    /** Every owner is in the cache with the referenced uid and not being deleted: nothing to do yet. */
    const ownersSolidInCache = (o: KubeObject) =>
      (o.metadata?.ownerReferences ?? []).every((r) => {
        const t = byKind.get(`${r.apiVersion}/${r.kind}`);
        if (!t) return true;
        const owner = t.informer.get(t.ref.namespaced ? `${o.metadata?.namespace}/${r.name}` : r.name);
        return owner?.metadata?.uid === r.uid && !owner.metadata.deletionTimestamp;
      });
    const hasGcFinalizer = (o: KubeObject) => !!o.metadata?.deletionTimestamp && (o.metadata.finalizers ?? []).some((f) => f === FOREGROUND || f === ORPHAN);
    const sameRefs = (a: KubeObject, b: KubeObject) => JSON.stringify(a.metadata?.ownerReferences ?? []) === JSON.stringify(b.metadata?.ownerReferences ?? []);

    for (const type of collectedTypes()) {
      const ref = refOf(type);
      const t: Tracked = { id: `${type.group || 'core'}/${type.version}/${type.resource}`, ref, informer: ctx.informers.get(ref) };
      byId.set(t.id, t);
      byKind.set(`${type.group ? `${type.group}/${type.version}` : type.version}/${type.kind}`, t);
      t.informer.on({
        onAdd: (o) => {
          const k = gcKey(t, o);
          index(k, o, true);
          // an owner that goes later enqueues its dependents then
          if ((o.metadata?.ownerReferences?.length && !ownersSolidInCache(o)) || hasGcFinalizer(o)) ctx.enqueue(k);
        },
        onUpdate: (old, o) => {
          const k = gcKey(t, o);
          if (!sameRefs(old, o)) {
            index(k, old, false);
            index(k, o, true);
            if (!ownersSolidInCache(o)) ctx.enqueue(k);
          }
          if (hasGcFinalizer(o) || (old === o && o.metadata?.ownerReferences?.length)) ctx.enqueue(k);
        },
        onDelete: (o) => {
          const k = gcKey(t, o);
          index(k, o, false);
          // its dependents may now be dangling; an owner deleting in foreground may be unblocked
          for (const d of dependents.get(o.metadata?.uid ?? '') ?? []) ctx.enqueue(d);
          for (const r of o.metadata?.ownerReferences ?? []) {
            const ok = ownerKey(o, r);
            if (ok) ctx.enqueue(ok);
          }
        },
      });
    }

    const lookup = (key: string): { t: Tracked; obj?: KubeObject } | undefined => {
      const bar = key.indexOf('|');
      const t = byId.get(key.slice(0, bar));
      return t && { t, obj: t.informer.get(key.slice(bar + 1)) };
    };

    /** The state of an owner: from the cache when it shows the owner, else asked live (never delete on a stale cache). */
    const ownerState = async (dependent: KubeObject, r: OwnerReference): Promise<OwnerState | undefined> => {
      const t = byKind.get(`${r.apiVersion}/${r.kind}`);
      if (!t) return undefined;
      const ns = t.ref.namespaced ? dependent.metadata?.namespace : undefined;
      let owner: KubeObject | undefined = t.informer.get(ns ? `${ns}/${r.name}` : r.name);
      if (!owner || owner.metadata?.uid !== r.uid) owner = await ctx.client.find(t.ref, r.name, ns);
      if (!owner || owner.metadata?.uid !== r.uid) return 'dangling';
      if (owner.metadata?.deletionTimestamp && owner.metadata.finalizers?.includes(FOREGROUND)) return 'waitingForDependents';
      return 'solid';
    };

    const patchMeta = async (t: Tracked, o: KubeObject, metadata: Record<string, unknown>) => {
      try {
        await ctx.client.patch(t.ref, o.metadata?.name ?? '', 'merge', { metadata: { resourceVersion: o.metadata?.resourceVersion, ...metadata } }, { namespace: o.metadata?.namespace });
      } catch (e) {
        if (!isStatus(e, 'NotFound')) throw e;
      }
    };
    const remove = async (t: Tracked, o: KubeObject, policy: 'Background' | 'Foreground') => {
      try {
        await ctx.client.delete(t.ref, o.metadata?.name ?? '', { namespace: o.metadata?.namespace, propagationPolicy: policy, preconditions: { uid: o.metadata?.uid } });
      } catch (e) {
        if (!isStatus(e, 'NotFound', 'Conflict')) throw e;
      }
    };
    const dependentsOf = (o: KubeObject) =>
      [...(dependents.get(o.metadata?.uid ?? '') ?? [])].map(lookup).filter((x): x is { t: Tracked; obj: KubeObject } => !!x?.obj);

    return {
      async reconcile(key: string): Promise<Result> {
        const found = lookup(key);
        if (!found?.obj) return {};
        const { t, obj } = found;
        const uid = obj.metadata?.uid ?? '';
        const finalizers = obj.metadata?.finalizers ?? [];
        if (obj.metadata?.deletionTimestamp && finalizers.includes(ORPHAN)) {
          for (const d of dependentsOf(obj)) {
            const rest = (d.obj.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid);
            await patchMeta(d.t, d.obj, { ownerReferences: rest.length ? rest : null });
          }
          const left = finalizers.filter((f) => f !== ORPHAN);
          await patchMeta(t, obj, { finalizers: left.length ? left : null });
          return {};
        }
        if (obj.metadata?.deletionTimestamp && finalizers.includes(FOREGROUND)) {
          let blocking = 0;
          for (const d of dependentsOf(obj)) {
            const r = d.obj.metadata?.ownerReferences?.find((x) => x.uid === uid);
            if (r?.blockOwnerDeletion) blocking++;
            if (!d.obj.metadata?.deletionTimestamp) await remove(d.t, d.obj, r?.blockOwnerDeletion ? 'Foreground' : 'Background');
          }
          if (blocking > 0) return {};
          const left = finalizers.filter((f) => f !== FOREGROUND);
          await patchMeta(t, obj, { finalizers: left.length ? left : null });
          return {};
        }
        const refs = obj.metadata?.ownerReferences ?? [];
        if (refs.length === 0 || obj.metadata?.deletionTimestamp) return {};
        const states = new Map<string, OwnerState>();
        for (const r of refs) {
          const s = await ownerState(obj, r);
          if (s) states.set(r.uid, s);
        }
        const action = decideOwnership(refs, states);
        if (action.kind === 'removeRefs') {
          const rest = refs.filter((r) => !action.uids.includes(r.uid));
          await patchMeta(t, obj, { ownerReferences: rest.length ? rest : null });
        } else if (action.kind === 'delete') {
          await remove(t, obj, action.policy);
        }
        return {};
      },
    };
  },
});
