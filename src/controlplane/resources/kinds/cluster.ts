/**
 * The small API groups: coordination.k8s.io (leases), policy (pod disruption budgets),
 * scheduling.k8s.io (priority classes), events.k8s.io (events), discovery.k8s.io (endpoint
 * slices) and storage.k8s.io (storage classes).
 */
import { defaultEndpointSlice, defaultPriorityClass, defaultStorageClass } from '../defaults/cluster.js';
import {
  endpointSlicePrinter,
  leasePrinter,
  podDisruptionBudgetPrinter,
  priorityClassPrinter,
  storageClassPrinter,
} from '../tables/cluster.js';
import { eventPrinter } from '../tables/core.js';
import type { ResourceType } from '../types.js';
import { defineKind, fieldAt } from './define.js';

export const clusterKinds: ResourceType[] = [
  defineKind({ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', resource: 'leases', namespaced: true, printer: leasePrinter }),
  defineKind({
    group: 'policy',
    version: 'v1',
    kind: 'PodDisruptionBudget',
    resource: 'poddisruptionbudgets',
    namespaced: true,
    shortNames: ['pdb'],
    status: true,
    printer: podDisruptionBudgetPrinter,
  }),
  defineKind({
    group: 'scheduling.k8s.io',
    version: 'v1',
    kind: 'PriorityClass',
    resource: 'priorityclasses',
    namespaced: false,
    shortNames: ['pc'],
    printer: priorityClassPrinter,
    defaults: defaultPriorityClass,
  }),
  defineKind({
    group: 'events.k8s.io',
    version: 'v1',
    kind: 'Event',
    resource: 'events',
    namespaced: true,
    shortNames: ['ev'],
    printer: eventPrinter,
    fieldSelectors: {
      'regarding.kind': fieldAt('regarding.kind'),
      'regarding.namespace': fieldAt('regarding.namespace'),
      'regarding.name': fieldAt('regarding.name'),
      'regarding.uid': fieldAt('regarding.uid'),
      'regarding.apiVersion': fieldAt('regarding.apiVersion'),
      'regarding.resourceVersion': fieldAt('regarding.resourceVersion'),
      'regarding.fieldPath': fieldAt('regarding.fieldPath'),
      reason: fieldAt('reason'),
      reportingController: fieldAt('reportingController'),
      type: fieldAt('type'),
    },
  }),
  defineKind({ group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', resource: 'endpointslices', namespaced: true, printer: endpointSlicePrinter, defaults: defaultEndpointSlice }),
  defineKind({
    group: 'storage.k8s.io',
    version: 'v1',
    kind: 'StorageClass',
    resource: 'storageclasses',
    namespaced: false,
    shortNames: ['sc'],
    printer: storageClassPrinter,
    defaults: defaultStorageClass,
  }),
];
