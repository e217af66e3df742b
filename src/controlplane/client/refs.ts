/**
 * ResourceRefs for the kinds berth serves, looked up in the registry, so callers name kinds the way
 * manifests do (`ref('apps/v1', 'Deployment')`) instead of spelling paths.
 */
import { registry } from '../resources/registry.js';
import type { ResourceType } from '../resources/types.js';
import type { ResourceRef } from './client.js';

export function refOf(type: ResourceType): ResourceRef {
  return { group: type.group, version: type.version, resource: type.resource, namespaced: type.namespaced };
}

/** The ref of `apiVersion` + `kind`; throws when the server does not serve it. */
export function ref(apiVersion: string, kind: string): ResourceRef {
  const t = registry.findKind(apiVersion, kind);
  if (!t) throw new Error(`berth does not serve ${apiVersion} ${kind}`);
  return refOf(t);
}

/** Refs used across components. */
export const refs = {
  namespaces: ref('v1', 'Namespace'),
  pods: ref('v1', 'Pod'),
  nodes: ref('v1', 'Node'),
  services: ref('v1', 'Service'),
  endpoints: ref('v1', 'Endpoints'),
  events: ref('v1', 'Event'),
  configmaps: ref('v1', 'ConfigMap'),
  secrets: ref('v1', 'Secret'),
  serviceaccounts: ref('v1', 'ServiceAccount'),
  persistentvolumeclaims: ref('v1', 'PersistentVolumeClaim'),
  persistentvolumes: ref('v1', 'PersistentVolume'),
  replicationcontrollers: ref('v1', 'ReplicationController'),
  resourcequotas: ref('v1', 'ResourceQuota'),
  limitranges: ref('v1', 'LimitRange'),
  deployments: ref('apps/v1', 'Deployment'),
  replicasets: ref('apps/v1', 'ReplicaSet'),
  daemonsets: ref('apps/v1', 'DaemonSet'),
  statefulsets: ref('apps/v1', 'StatefulSet'),
  controllerrevisions: ref('apps/v1', 'ControllerRevision'),
  jobs: ref('batch/v1', 'Job'),
  cronjobs: ref('batch/v1', 'CronJob'),
  leases: ref('coordination.k8s.io/v1', 'Lease'),
  poddisruptionbudgets: ref('policy/v1', 'PodDisruptionBudget'),
  priorityclasses: ref('scheduling.k8s.io/v1', 'PriorityClass'),
  storageclasses: ref('storage.k8s.io/v1', 'StorageClass'),
} as const;
