/**
 * Kubernetes' DefaultStorageClass admission plugin: a PersistentVolumeClaim created without
 * `spec.storageClassName` (nor the beta annotation) gets the default StorageClass — the one marked
 * `storageclass.kubernetes.io/is-default-class: "true"`, the newest when several are. An explicit
 * `""` asks for no class and stays. The classes come from a list-watch cache (no API call on the
 * claim-create path). `ensureDefaultStorageClass` installs berth's `standard` class (local
 * directories on the nodes) in a cluster that has no StorageClass at all.
 */
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { AdmissionPlugin } from '../../controlplane/api/admission.js';
import { StatusError } from '../../controlplane/api/errors.js';
import type { Client } from '../../controlplane/client/client.js';
import { Informer } from '../../controlplane/client/informer.js';
import { refs } from '../../controlplane/client/refs.js';
import { defaultClass, defaultStorageClassObject } from '../../controlplane/controllers/persistentvolume.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import type { Runnable } from '../../controlplane/runtime/runnable.js';

/** StorageClasses from a list-watch cache; reads through the client until it has synced. */
export class StorageClassCache implements Runnable {
  readonly name = 'storage-class cache';
  private informer?: Informer<StorageClass & KubeObject>;

  constructor(private readonly client: () => Client) {}

  async start(signal: AbortSignal): Promise<void> {
    const informer = new Informer<StorageClass & KubeObject>(this.client(), refs.storageclasses);
    await informer.start(signal);
    this.informer = informer;
  }

  async stopped(): Promise<void> {
    await this.informer?.stopped();
  }

  async list(): Promise<StorageClass[]> {
    return this.informer ? this.informer.list() : (await this.client().list<StorageClass>(refs.storageclasses)).items;
  }
}

export function defaultStorageClassAdmission(classes: Pick<StorageClassCache, 'list'>): AdmissionPlugin {
  return {
    name: 'DefaultStorageClass',
    async mutate(a) {
      if (a.operation !== 'CREATE' || a.subresource || a.type.group !== '' || a.type.resource !== 'persistentvolumeclaims' || !a.object) return;
      const pvc = a.object as unknown as PersistentVolumeClaim;
      if (pvc.spec?.storageClassName !== undefined && pvc.spec.storageClassName !== null) return;
      if (pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] !== undefined) return;
      const sc = defaultClass(await classes.list());
      if (sc?.metadata?.name) (pvc.spec ??= {}).storageClassName = sc.metadata.name;
    },
  };
}

/** Creates berth's default `standard` StorageClass when the cluster has no StorageClass; returns whether it did. */
export async function ensureDefaultStorageClass(client: Client): Promise<boolean> {
  if ((await client.list(refs.storageclasses, { limit: 1 })).items.length > 0) return false;
  try {
    await client.create(refs.storageclasses, defaultStorageClassObject() as StorageClass & KubeObject);
    return true;
  } catch (e) {
    if (e instanceof StatusError && e.reason === 'AlreadyExists') return false;
    throw e;
  }
}
