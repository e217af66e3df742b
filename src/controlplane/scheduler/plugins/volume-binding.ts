/**
 * VolumeBinding filter (kube-scheduler's plugin, reduced to what berth's storage needs): a pod's
 * bound claims pin it to the nodes their PersistentVolumes' node affinity admits (a local volume:
 * its node); an unbound claim of a WaitForFirstConsumer class needs a node with a matching
 * available PV or, for berth's local provisioner, a node that can hold local volumes; an unbound
 * claim of an Immediate class waits for the PV controller. `claimsToSelect` lists the claims the
 * scheduler annotates with the chosen node before binding (volume.kubernetes.io/selected-node), so
 * the PV controller binds or provisions there.
 */
import type { PersistentVolumeClaim, PersistentVolume, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { bestVolumeForClaim, claimClass, LOCAL_PROVISIONER, LOCAL_VOLUME_ROOT_ANNOTATION, volumeFitsNode } from '../../controllers/persistentvolume.js';
import { SKIP, unresolvable, type FilterPlugin, type NodeInfo, type Rejection, type VolumeLister } from '../types.js';

export const ERR_VOLUME_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
export const ERR_NO_VOLUME_TO_BIND = "node(s) didn't find available persistent volumes to bind";

interface PodVolumes {
  bound: PersistentVolume[];
  /** WaitForFirstConsumer claims still to bind, with their class */
  unbound: { claim: PersistentVolumeClaim; sc: StorageClass }[];
}

function claimNames(pod: Pod): string[] {
  return (pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : []));
}

/** The pod's claims sorted into bound volumes and claims to bind here, or why it cannot go anywhere yet. */
export function podVolumes(pod: Pod, lister: VolumeLister): PodVolumes | Rejection {
  const ns = pod.metadata?.namespace ?? 'default';
  const out: PodVolumes = { bound: [], unbound: [] };
  for (const name of claimNames(pod)) {
    const claim = lister.claim(ns, name);
    if (!claim) return unresolvable(`persistentvolumeclaim "${name}" not found`);
    if (claim.metadata?.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
    if (claim.spec?.volumeName) {
      const pv = lister.volume(claim.spec.volumeName);
      if (!pv) return unresolvable(`pvc(s) bound to non-existent pv(s)`);
      out.bound.push(pv);
      continue;
    }
    const sc = lister.storageClass(claimClass(claim));
    if (sc?.volumeBindingMode !== 'WaitForFirstConsumer') return unresolvable(ERR_UNBOUND_IMMEDIATE);
    out.unbound.push({ claim, sc });
  }
  return out;
}

/** The unbound WaitForFirstConsumer claims of `pod`, which get the selected-node annotation before it binds. */
export function claimsToSelect(pod: Pod, lister: VolumeLister | undefined): PersistentVolumeClaim[] {
  if (!lister) return [];
  const v = podVolumes(pod, lister);
  return 'unbound' in v ? v.unbound.map((u) => u.claim) : [];
}

const KEY = 'VolumeBinding';

export function volumeBinding(): FilterPlugin {
  return {
    name: KEY,
    preFilter(state) {
      const lister = state.snapshot.volumes;
      if (!lister || claimNames(state.pod.pod).length === 0) return SKIP;
      const v = podVolumes(state.pod.pod, lister);
      if (!('bound' in v)) return v;
      state.data.set(KEY, v);
    },
    filter(state, node: NodeInfo) {
      const v = state.data.get(KEY) as PodVolumes;
      for (const pv of v.bound) if (!volumeFitsNode(pv, node)) return unresolvable(ERR_VOLUME_NODE_CONFLICT);
      for (const { claim, sc } of v.unbound) {
        if (bestVolumeForClaim(claim, [...state.snapshot.volumes!.volumes()], node)) continue;
        if (sc.provisioner === LOCAL_PROVISIONER && node.node.metadata?.annotations?.[LOCAL_VOLUME_ROOT_ANNOTATION]) continue;
        return unresolvable(ERR_NO_VOLUME_TO_BIND);
      }
      return undefined;
    },
  };
}
