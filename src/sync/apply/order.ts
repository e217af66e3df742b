/**
 * The order objects are applied in: sync wave first, then kind (Namespaces, CRD-like kinds,
 * ServiceAccounts and RBAC, ConfigMaps and Secrets, Services, workloads, everything else), then
 * namespace and name. Prune uses the reverse. Pure.
 */
import type { KubeObject } from '../../controlplane/resources/types.js';
import { WAVE_ANNOTATIONS } from '../app/types.js';

const KIND_RANK: Record<string, number> = {
  Namespace: 0,
  CustomResourceDefinition: 1,
  PriorityClass: 1,
  StorageClass: 1,
  ServiceAccount: 2,
  ClusterRole: 2,
  Role: 2,
  ClusterRoleBinding: 3,
  RoleBinding: 3,
  ConfigMap: 4,
  Secret: 4,
  PersistentVolume: 5,
  PersistentVolumeClaim: 5,
  Service: 6,
  Pod: 7,
  ReplicationController: 7,
  ReplicaSet: 7,
  Deployment: 7,
  StatefulSet: 7,
  DaemonSet: 7,
  Job: 7,
  CronJob: 7,
};
const OTHER_RANK = 8;

/** The object's sync wave (0 when unset or not an integer). */
export function waveOf(obj: KubeObject): number {
  const a = obj.metadata?.annotations ?? {};
  for (const k of WAVE_ANNOTATIONS) {
    const v = a[k];
    if (v !== undefined && /^-?\d+$/.test(v.trim())) return Number(v);
  }
  return 0;
}

export function kindRank(kind: string): number {
  return KIND_RANK[kind] ?? OTHER_RANK;
}

/** Objects sorted into apply order (a new array). */
export function applyOrder<T extends KubeObject>(objs: T[]): T[] {
  const key = (o: KubeObject) => [waveOf(o), kindRank(o.kind ?? ''), o.metadata?.namespace ?? '', o.metadata?.name ?? ''] as const;
  return [...objs].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
  });
}
