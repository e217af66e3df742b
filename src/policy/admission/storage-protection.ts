/**
 * Kubernetes' StorageObjectInUseProtection admission plugin: every PersistentVolumeClaim gets the
 * `kubernetes.io/pvc-protection` finalizer and every PersistentVolume `kubernetes.io/pv-protection`
 * when created, so deleting a claim a pod still mounts (or a volume still bound) waits until it is
 * no longer in use; the storage-protection controllers remove the finalizers then.
 */
import type { AdmissionPlugin } from '../../controlplane/api/admission.js';
import { PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from '../../controlplane/controllers/storage-protection.js';

export const storageProtectionAdmission: AdmissionPlugin = {
  name: 'StorageObjectInUseProtection',
  mutate(a) {
    if (a.operation !== 'CREATE' || a.subresource || a.type.group !== '' || !a.object) return;
    const finalizer = a.type.resource === 'persistentvolumeclaims' ? PVC_PROTECTION_FINALIZER : a.type.resource === 'persistentvolumes' ? PV_PROTECTION_FINALIZER : undefined;
    if (!finalizer) return;
    const meta = (a.object.metadata ??= {});
    if (!meta.finalizers?.includes(finalizer)) meta.finalizers = [...(meta.finalizers ?? []), finalizer];
  },
};
