/**
 * The pure core of the PersistentVolume controller (persistentvolume-controller.ts): which PV a
 * claim binds to (Kubernetes' `findBestMatchForClaim`: storage class, access modes, volume mode,
 * selector, capacity, node), the PV the local provisioner creates for a claim, the phases a claim
 * and a volume should show, and the names berth's local storage shares between the controller, the
 * scheduler's VolumeBinding filter and the node agents.
 */
import type { Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { value } from '../scheduler/quantity.js';
import { termMatchesNode } from '../scheduler/plugins/node-affinity.js';
import { labelSelectorFromObject } from '../store/selectors.js';

/** The provisioner of berth's default class: a directory on the node (like kind's local-path). */
export const LOCAL_PROVISIONER = 'berth.dev/local';
/** Name of the StorageClass berth creates in a cluster that has none. */
export const DEFAULT_STORAGE_CLASS = 'standard';
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';
const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';
/** The node the scheduler chose for a WaitForFirstConsumer claim's first pod. */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
export const BOUND_BY_CONTROLLER_ANNOTATION = 'pv.kubernetes.io/bound-by-controller';
export const BIND_COMPLETED_ANNOTATION = 'pv.kubernetes.io/bind-completed';
/** On a Node: the directory under which the agent keeps local volumes (its data dir). */
export const LOCAL_VOLUME_ROOT_ANNOTATION = 'berth.dev/local-volume-root';
/** On a provisioned PV: the node agent removes the directory, then this finalizer. */
export const LOCAL_VOLUME_FINALIZER = 'berth.dev/local-volume-cleanup';
const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** The class a claim asks for ('' = explicitly none), the beta annotation first as in Kubernetes. */
export function claimClass(pvc: PersistentVolumeClaim): string {
  return pvc.metadata?.annotations?.[BETA_CLASS_ANNOTATION] ?? pvc.spec?.storageClassName ?? '';
}

export function volumeClass(pv: PersistentVolume): string {
  return pv.metadata?.annotations?.[BETA_CLASS_ANNOTATION] ?? pv.spec?.storageClassName ?? '';
}

export function isDefaultClass(sc: StorageClass): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
}

/** The default class, the newest when several are marked (Kubernetes 1.28+). */
export function defaultClass(classes: StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter(isDefaultClass);
  defaults.sort((a, b) => (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  return defaults[0];
}

/** The StorageClass berth installs: local directories, bound when the first pod is scheduled. */
export function defaultStorageClassObject(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    provisioner: LOCAL_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

/** Whether the PV's required node affinity admits the node (a PV without affinity fits every node). */
export function volumeFitsNode(pv: PersistentVolume, node: { name: string; labels: Record<string, string> }): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return true;
  return terms.some((t) => termMatchesNode(t, node));
}

export function nodeLabels(node: Node): { name: string; labels: Record<string, string> } {
  return { name: node.metadata?.name ?? '', labels: node.metadata?.labels ?? {} };
}

/** The node a local PV lives on (its hostname affinity), when it names one. */
export function volumeNodeName(pv: PersistentVolume): string | undefined {
  for (const t of pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    for (const e of t.matchExpressions ?? []) if (e.key === HOSTNAME_LABEL && e.operator === 'In' && e.values?.length === 1) return e.values[0];
  }
  return undefined;
}

function storageBytes(q: unknown): number {
  try {
    return q === undefined ? 0 : value(String(q));
  } catch {
    return 0;
  }
}

/** Whether `pv` could serve `pvc` (ignoring who it is bound to). `node`: the PV must fit it too. */
export function volumeMatchesClaim(pv: PersistentVolume, pvc: PersistentVolumeClaim, node?: { name: string; labels: Record<string, string> }): boolean {
  if (volumeClass(pv) !== claimClass(pvc)) return false;
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (pvc.spec?.volumeMode ?? 'Filesystem')) return false;
  const modes = new Set(pv.spec?.accessModes ?? []);
  if (!(pvc.spec?.accessModes ?? []).every((m) => modes.has(m))) return false;
  if (storageBytes(pv.spec?.capacity?.storage) < storageBytes(pvc.spec?.resources?.requests?.storage)) return false;
  if (pvc.spec?.selector && !labelSelectorFromObject(pvc.spec.selector as never).matches(pv.metadata?.labels ?? {})) return false;
  if (node && !volumeFitsNode(pv, node)) return false;
  return true;
}

/** Whether the PV is pre-bound to (or already bound to) this claim. */
export function volumeClaimedBy(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref || ref.name !== pvc.metadata?.name || ref.namespace !== pvc.metadata?.namespace) return false;
  return !ref.uid || ref.uid === pvc.metadata?.uid;
}

/**
 * The PV a claim should bind to: one pre-bound to it, else the smallest available match (an
 * exact fit wastes the least, as Kubernetes picks). Undefined when none fits.
 */
export function bestVolumeForClaim(pvc: PersistentVolumeClaim, pvs: PersistentVolume[], node?: { name: string; labels: Record<string, string> }): PersistentVolume | undefined {
  let best: PersistentVolume | undefined;
  for (const pv of pvs) {
    if (pv.metadata?.deletionTimestamp) continue;
    const mine = volumeClaimedBy(pv, pvc);
    if (!mine && pv.spec?.claimRef) continue;
    if (!mine && pv.status?.phase !== 'Available' && pv.status?.phase !== 'Pending') continue;
    if (!volumeMatchesClaim(pv, pvc, node)) continue;
    if (mine) return pv;
    if (!best || storageBytes(pv.spec?.capacity?.storage) < storageBytes(best.spec?.capacity?.storage)) best = pv;
  }
  return best;
}

/** The name of a provisioned PV: one per claim, so a retried provisioning finds its own PV. */
export function provisionedVolumeName(pvc: PersistentVolumeClaim): string {
  return `pvc-${pvc.metadata?.uid ?? ''}`;
}

/**
 * The PV the local provisioner creates for `pvc` on `node`: a hostPath directory under the node's
 * local-volume root, pinned to the node, pre-bound to the claim (as external provisioners do).
 */
export function provisionVolume(pvc: PersistentVolumeClaim, sc: StorageClass, node: string, root: string): PersistentVolume {
  const name = provisionedVolumeName(pvc);
  const ns = pvc.metadata?.namespace ?? 'default';
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PROVISIONER },
      finalizers: [LOCAL_VOLUME_FINALIZER],
    },
    spec: {
      capacity: { storage: String(pvc.spec?.resources?.requests?.storage ?? '1Gi') },
      accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
      volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
      persistentVolumeReclaimPolicy: (sc.reclaimPolicy as 'Delete' | 'Retain' | undefined) ?? 'Delete',
      storageClassName: sc.metadata?.name,
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: pvc.metadata?.name, uid: pvc.metadata?.uid, resourceVersion: pvc.metadata?.resourceVersion },
      hostPath: { path: `${root.replace(/\/+$/, '')}/${name}_${ns}_${pvc.metadata?.name}`, type: 'DirectoryOrCreate' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [node] }] }] } },
      ...(sc.mountOptions ? { mountOptions: sc.mountOptions } : {}),
    },
  };
}

/** The directory of a local or hostPath PV. */
export function volumePath(pv: PersistentVolume): string | undefined {
  return pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
}

/**
 * The phase a volume should show: Bound while the claim its claimRef names (with that uid) exists —
 * also before the claim's volumeName is written, as Kubernetes shows it — Released once that claim
 * is gone, Available when nobody claims it (or it is only pre-bound to a claim by name).
 */
export function volumePhase(pv: PersistentVolume, claim: PersistentVolumeClaim | undefined): 'Available' | 'Bound' | 'Released' {
  const ref = pv.spec?.claimRef;
  if (!ref?.uid) return 'Available';
  return claim && claim.metadata?.uid === ref.uid ? 'Bound' : 'Released';
}

/** The node a new provisioned volume goes to, for Immediate classes: the node with the fewest local volumes. */
export function pickProvisioningNode(nodes: Node[], pvs: PersistentVolume[]): Node | undefined {
  const count = new Map<string, number>();
  for (const pv of pvs) {
    const n = volumeNodeName(pv);
    if (n) count.set(n, (count.get(n) ?? 0) + 1);
  }
  const ready = nodes.filter((n) => n.metadata?.annotations?.[LOCAL_VOLUME_ROOT_ANNOTATION] && !n.spec?.unschedulable && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  ready.sort((a, b) => (count.get(a.metadata?.name ?? '') ?? 0) - (count.get(b.metadata?.name ?? '') ?? 0) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  return ready[0];
}
