/**
 * The PersistentVolume controller (kube-controller-manager's persistentvolume-binder, with berth's
 * local provisioner built in). Two kinds of key on one queue, as Kubernetes has a claim worker and
 * a volume worker: `claim/<ns>/<name>` binds a claim to the best matching PV or provisions one
 * (class `berth.dev/local`: a directory on a node, see persistentvolume.ts), then shows both Bound;
 * `volume/<name>` keeps a volume's phase (Available, Bound, Released) and reclaims it once its
 * claim is gone — Delete removes a provisioned PV (the node agent removes its directory and the
 * finalizer), Retain keeps it Released. WaitForFirstConsumer claims wait for the scheduler's
 * selected-node annotation, so the volume is made where the pod runs.
 */
import type { Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { StatusError } from '../api/errors.js';
import { refs } from '../client/refs.js';
import type { KubeObject } from '../resources/types.js';
import {
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  bestVolumeForClaim,
  claimClass,
  LOCAL_PROVISIONER,
  LOCAL_VOLUME_ROOT_ANNOTATION,
  nodeLabels,
  pickProvisioningNode,
  PROVISIONED_BY_ANNOTATION,
  provisionVolume,
  SELECTED_NODE_ANNOTATION,
  volumePhase,
} from './persistentvolume.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import { WaitingError, type Result } from './runtime/reconciler.js';

export const PERSISTENTVOLUME_CONTROLLER = 'persistentvolume-controller';

type Claim = PersistentVolumeClaim & KubeObject;
type Volume = PersistentVolume & KubeObject;

const claimKey = (ns: string | undefined, name: string | undefined) => `claim/${ns}/${name}`;
const volumeKey = (name: string | undefined) => `volume/${name}`;

function ignoreGone(e: unknown): void {
  if (!(e instanceof StatusError && (e.reason === 'NotFound' || e.reason === 'AlreadyExists'))) throw e;
}

export function persistentVolumeController(): Controller {
  return {
    name: PERSISTENTVOLUME_CONTROLLER,
    setup(ctx: ControllerContext) {
      const claims = ctx.informers.get<Claim>(refs.persistentvolumeclaims);
      const volumes = ctx.informers.get<Volume>(refs.persistentvolumes);
      const classes = ctx.informers.get<StorageClass & KubeObject>(refs.storageclasses);
      const nodes = ctx.informers.get<Node & KubeObject>(refs.nodes);

      const claimChanged = (c: Claim) => {
        ctx.enqueue(claimKey(c.metadata?.namespace, c.metadata?.name));
        if (c.spec?.volumeName) ctx.enqueue(volumeKey(c.spec.volumeName));
      };
      claims.on({
        onAdd: claimChanged,
        onUpdate: (_o, c) => claimChanged(c),
        onDelete: (c) => {
          for (const v of volumes.list((v) => v.spec?.claimRef?.namespace === c.metadata?.namespace && v.spec?.claimRef?.name === c.metadata?.name)) ctx.enqueue(volumeKey(v.metadata?.name));
        },
      });
      const volumeChanged = (v: Volume) => {
        ctx.enqueue(volumeKey(v.metadata?.name));
        const ref = v.spec?.claimRef;
        if (ref) ctx.enqueue(claimKey(ref.namespace, ref.name));
        // a volume that became available may serve a waiting claim
        else for (const c of claims.list((c) => !c.spec?.volumeName)) claimChanged(c);
      };
      volumes.on({ onAdd: volumeChanged, onUpdate: (_o, v) => volumeChanged(v), onDelete: volumeChanged });
      classes.on({ onAdd: () => claims.list((c) => !c.spec?.volumeName).forEach(claimChanged) });

      const record = (o: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string) => void ctx.events.record(o, type, reason, message);

      /** Writes claimRef on the volume (CAS on its resourceVersion: two claims never get one volume), then the claim's volumeName, then both statuses. */
      async function bind(pv: Volume, pvc: Claim): Promise<void> {
        const ref = pv.spec?.claimRef;
        let volume = pv;
        if (!ref || ref.uid !== pvc.metadata?.uid) {
          volume = await ctx.client.update(refs.persistentvolumes, {
            ...pv,
            metadata: { ...pv.metadata, annotations: { ...pv.metadata?.annotations, [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' } },
            spec: { ...pv.spec, claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: pvc.metadata?.namespace, name: pvc.metadata?.name, uid: pvc.metadata?.uid, resourceVersion: pvc.metadata?.resourceVersion } },
          } as Volume);
        }
        if (volume.status?.phase !== 'Bound') volume = await ctx.client.updateStatus(refs.persistentvolumes, { ...volume, status: { ...volume.status, phase: 'Bound' } } as Volume);
        let claim = pvc;
        if (pvc.spec?.volumeName !== pv.metadata?.name || pvc.metadata?.annotations?.[BIND_COMPLETED_ANNOTATION] !== 'yes') {
          const annotations: Record<string, string> = { ...pvc.metadata?.annotations, [BIND_COMPLETED_ANNOTATION]: 'yes' };
          if (!pvc.spec?.volumeName) annotations[BOUND_BY_CONTROLLER_ANNOTATION] = 'yes';
          claim = await ctx.client.update(refs.persistentvolumeclaims, { ...pvc, metadata: { ...pvc.metadata, annotations }, spec: { ...pvc.spec, volumeName: pv.metadata?.name } } as Claim);
        }
        if (claim.status?.phase !== 'Bound') {
          await ctx.client.updateStatus(refs.persistentvolumeclaims, { ...claim, status: { ...claim.status, phase: 'Bound', accessModes: volume.spec?.accessModes, capacity: volume.spec?.capacity } } as Claim);
        }
      }

      async function setClaimPhase(pvc: Claim, phase: 'Pending' | 'Lost'): Promise<void> {
        if (pvc.status?.phase === phase) return;
        await ctx.client.updateStatus(refs.persistentvolumeclaims, { ...pvc, status: { ...pvc.status, phase } } as Claim);
      }

      async function provision(pvc: Claim, sc: StorageClass, selected: Node | undefined): Promise<void> {
        const node = selected ?? pickProvisioningNode(nodes.list(), volumes.list());
        if (!node) throw new WaitingError(`no Ready node with local storage for claim ${pvc.metadata?.namespace}/${pvc.metadata?.name}`, 5000);
        const root = node.metadata?.annotations?.[LOCAL_VOLUME_ROOT_ANNOTATION];
        if (!root) {
          record(pvc, 'Warning', 'ProvisioningFailed', `node ${node.metadata?.name} has no local volume directory (annotation ${LOCAL_VOLUME_ROOT_ANNOTATION}): its agent must run to provision there`);
          return;
        }
        const pv = provisionVolume(pvc, sc, node.metadata?.name ?? '', root);
        try {
          await ctx.client.create(refs.persistentvolumes, pv as unknown as Volume);
          record(pvc, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pv.metadata?.name} on node ${node.metadata?.name}`);
        } catch (e) {
          ignoreGone(e);
        }
      }

      async function reconcileClaim(ns: string, name: string): Promise<Result> {
        const pvc = claims.get(`${ns}/${name}`);
        if (!pvc || pvc.metadata?.deletionTimestamp) return {};
        if (pvc.spec?.volumeName) {
          const pv = volumes.get(pvc.spec.volumeName);
          if (!pv) {
            await setClaimPhase(pvc, pvc.status?.phase === 'Bound' || pvc.status?.phase === 'Lost' ? 'Lost' : 'Pending');
            if (pvc.status?.phase === 'Bound') record(pvc, 'Warning', 'ClaimLost', `Bound claim has lost its PersistentVolume ${pvc.spec.volumeName}. Data on the volume is lost!`);
            return {};
          }
          const ref = pv.spec?.claimRef;
          if (ref && (ref.namespace !== ns || ref.name !== name || (ref.uid && ref.uid !== pvc.metadata?.uid))) {
            record(pvc, 'Warning', 'FailedBinding', `volume "${pv.metadata?.name}" already bound to a different claim.`);
            await setClaimPhase(pvc, 'Pending');
            return {};
          }
          await bind(pv, pvc);
          return {};
        }
        const className = claimClass(pvc);
        const sc = className ? classes.get(className) : undefined;
        const selectedName = pvc.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
        if (sc?.volumeBindingMode === 'WaitForFirstConsumer' && !selectedName) {
          record(pvc, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
          return {};
        }
        const selected = selectedName ? nodes.get(selectedName) : undefined;
        const pv = bestVolumeForClaim(pvc, volumes.list(), selected && nodeLabels(selected));
        if (pv) {
          await bind(pv as Volume, pvc);
          return {};
        }
        await setClaimPhase(pvc, 'Pending');
        if (sc?.provisioner === LOCAL_PROVISIONER && !pvc.spec?.selector) {
          await provision(pvc, sc, selected);
        } else if (!className) {
          record(pvc, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
        } else if (!sc) {
          record(pvc, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
        }
        return {};
      }

      async function reconcileVolume(name: string): Promise<Result> {
        const pv = volumes.get(name);
        if (!pv || pv.metadata?.deletionTimestamp) return {};
        const ref = pv.spec?.claimRef;
        const claim = ref ? claims.get(`${ref.namespace}/${ref.name}`) : undefined;
        const phase = volumePhase(pv, claim);
        if (phase === 'Released' && pv.spec?.persistentVolumeReclaimPolicy === 'Delete') {
          if (pv.metadata?.annotations?.[PROVISIONED_BY_ANNOTATION] === LOCAL_PROVISIONER) {
            // Released first: pv-protection lets a deleted volume go only once it is not Bound
            if (pv.status?.phase !== 'Released') await ctx.client.updateStatus(refs.persistentvolumes, { ...pv, status: { phase: 'Released' } } as Volume);
            await ctx.client.delete(refs.persistentvolumes, name, { preconditions: { uid: pv.metadata?.uid } }).catch(ignoreGone);
            return {};
          }
          if (pv.status?.phase !== 'Failed') {
            const message = `no deleter for volume "${name}": only volumes provisioned by ${LOCAL_PROVISIONER} are deleted`;
            await ctx.client.updateStatus(refs.persistentvolumes, { ...pv, status: { phase: 'Failed', message } } as Volume);
            record(pv, 'Warning', 'VolumeFailedDelete', message);
          }
          return {};
        }
        if (phase === 'Released' && pv.spec?.persistentVolumeReclaimPolicy === 'Recycle' && pv.status?.phase !== 'Failed') {
          await ctx.client.updateStatus(refs.persistentvolumes, { ...pv, status: { phase: 'Failed', message: 'the Recycle reclaim policy is deprecated and not supported by berth' } } as Volume);
          return {};
        }
        if (pv.status?.phase !== phase && pv.status?.phase !== 'Failed') {
          await ctx.client.updateStatus(refs.persistentvolumes, { ...pv, status: { phase } } as Volume);
        }
        return {};
      }

      return {
        async reconcile(key: string): Promise<Result> {
          const [kind, a, b] = key.split('/');
          if (kind === 'claim') return reconcileClaim(a, b);
          if (kind === 'volume') return reconcileVolume(a);
          return {};
        },
      };
    },
  };
}
