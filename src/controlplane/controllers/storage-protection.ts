/**
 * The pvc-protection and pv-protection controllers of kube-controller-manager: a claim being
 * deleted keeps its `kubernetes.io/pvc-protection` finalizer while a pod that is not finished
 * mounts it (its data must not go under a running pod), and a volume being deleted keeps
 * `kubernetes.io/pv-protection` while it is Bound. The finalizers are added on create by the
 * StorageObjectInUseProtection admission plugin (src/policy/admission/storage-protection.ts).
 */
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../api/errors.js';
import { objectKey } from '../client/informer.js';
import { refs } from '../client/refs.js';
import type { KubeObject } from '../resources/types.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';

export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

/** Whether `pod` keeps `claim` (of its namespace) in use: it mounts it and has not finished. */
export function podUsesClaim(pod: Pod, namespace: string, claim: string): boolean {
  if (pod.metadata?.namespace !== namespace || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  return (pod.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim);
}

/** Removes `finalizer` with a merge patch pinned to the object's resourceVersion (a stale cache retries). */
async function dropFinalizer(ctx: ControllerContext, ref: typeof refs.persistentvolumes, obj: KubeObject, finalizer: string): Promise<void> {
  const rest = (obj.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
  try {
    await ctx.client.patch(ref, obj.metadata?.name ?? '', 'merge', { metadata: { finalizers: rest.length ? rest : null, resourceVersion: obj.metadata?.resourceVersion } }, { namespace: obj.metadata?.namespace });
  } catch (e) {
    if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
  }
}

export function pvcProtectionController(): Controller {
  return {
    name: 'pvc-protection-controller',
    setup(ctx: ControllerContext) {
      const claims = ctx.informers.get<PersistentVolumeClaim & KubeObject>(refs.persistentvolumeclaims);
      const pods = ctx.informers.get<Pod & KubeObject>(refs.pods);
      const enqueue = (c: KubeObject) => {
        if (c.metadata?.deletionTimestamp) ctx.enqueue(objectKey(c));
      };
      claims.on({ onAdd: enqueue, onUpdate: (_o, c) => enqueue(c) });
      // a pod that finished or went away may be the last user of a claim being deleted
      const podChanged = (p: Pod) => {
        for (const v of p.spec?.volumes ?? []) if (v.persistentVolumeClaim) ctx.enqueue(`${p.metadata?.namespace}/${v.persistentVolumeClaim.claimName}`);
      };
      pods.on({ onUpdate: (_o, p) => podChanged(p), onDelete: podChanged });
      return {
        async reconcile(key: string): Promise<Result> {
          const claim = claims.get(key);
          if (!claim?.metadata?.deletionTimestamp || !claim.metadata.finalizers?.includes(PVC_PROTECTION_FINALIZER)) return {};
          const [ns, name] = key.split('/');
          if (pods.list((p) => podUsesClaim(p, ns, name)).length > 0) return {};
          await dropFinalizer(ctx, refs.persistentvolumeclaims, claim, PVC_PROTECTION_FINALIZER);
          return {};
        },
      };
    },
  };
}

export function pvProtectionController(): Controller {
  return {
    name: 'pv-protection-controller',
    setup(ctx: ControllerContext) {
      const volumes = ctx.informers.get<PersistentVolume & KubeObject>(refs.persistentvolumes);
      const enqueue = (v: KubeObject) => {
        if (v.metadata?.deletionTimestamp) ctx.enqueue(objectKey(v));
      };
      volumes.on({ onAdd: enqueue, onUpdate: (_o, v) => enqueue(v) });
      return {
        async reconcile(key: string): Promise<Result> {
          const pv = volumes.get(key);
          if (!pv?.metadata?.deletionTimestamp || !pv.metadata.finalizers?.includes(PV_PROTECTION_FINALIZER) || pv.status?.phase === 'Bound') return {};
          await dropFinalizer(ctx, refs.persistentvolumes, pv, PV_PROTECTION_FINALIZER);
          return {};
        },
      };
    },
  };
}
