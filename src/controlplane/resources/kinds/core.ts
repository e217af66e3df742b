/**
 * The core group (`/api/v1`): namespaces, pods, services, endpoints, config maps, secrets, service
 * accounts, nodes, events, replication controllers, persistent volumes and claims, resource quotas
 * and limit ranges — names, short names, categories, subresources and field selectors as the
 * Kubernetes apiserver registers them.
 */
import type { ConfigMap, Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod, ReplicationController, Secret, Service } from 'kubernetes-types/core/v1.js';
import {
  defaultEndpoints,
  defaultLimitRange,
  defaultNamespace,
  defaultNode,
  defaultPersistentVolume,
  defaultPersistentVolumeClaim,
  defaultSecret,
  defaultService,
} from '../defaults/core.js';
import { defaultPod } from '../defaults/pod.js';
import { defaultReplicationController } from '../defaults/workloads.js';
import {
  configMapPrinter,
  endpointsPrinter,
  eventPrinter,
  limitRangePrinter,
  namespacePrinter,
  nodePrinter,
  persistentVolumeClaimPrinter,
  persistentVolumePrinter,
  resourceQuotaPrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
} from '../tables/core.js';
import { podPrinter } from '../tables/pods.js';
import { replicationControllerPrinter } from '../tables/workloads.js';
import type { ResourceType } from '../types.js';
import {
  validateConfigMap,
  validateImmutableData,
  validateNamespace,
  validateNode,
  validatePersistentVolume,
  validatePersistentVolumeClaim,
  validateSecret,
  validateService,
} from '../validation/core.js';
import { nameIsDNS1035Label, nameIsDNSLabel } from '../validation/names.js';
import { validatePodSpec, validatePodSpecUpdate } from '../validation/pod.js';
import { validateReplicationController } from '../validation/workloads.js';
import { as, defineKind, fieldAt, SCALE, subresource } from './define.js';

const core = { group: '', version: 'v1' };

/** Event field selectors (core/v1 names; `source` is the reporting component). */
export const EVENT_FIELD_SELECTORS = {
  'involvedObject.kind': fieldAt('involvedObject.kind'),
  'involvedObject.namespace': fieldAt('involvedObject.namespace'),
  'involvedObject.name': fieldAt('involvedObject.name'),
  'involvedObject.uid': fieldAt('involvedObject.uid'),
  'involvedObject.apiVersion': fieldAt('involvedObject.apiVersion'),
  'involvedObject.resourceVersion': fieldAt('involvedObject.resourceVersion'),
  'involvedObject.fieldPath': fieldAt('involvedObject.fieldPath'),
  reason: fieldAt('reason'),
  reportingComponent: fieldAt('reportingComponent'),
  source: fieldAt('source.component'),
  type: fieldAt('type'),
};

export const coreKinds: ResourceType[] = [
  defineKind({
    ...core,
    kind: 'Namespace',
    resource: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    status: true,
    subresources: [subresource('finalize', 'Namespace', ['update'])],
    printer: namespacePrinter,
    fieldSelectors: { 'status.phase': fieldAt('status.phase') },
    defaults: defaultNamespace,
    validate: (obj) => validateNamespace(as<Namespace>(obj)),
    nameValidator: nameIsDNSLabel,
  }),
  defineKind({
    ...core,
    kind: 'Pod',
    resource: 'pods',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    status: true,
    subresources: [
      subresource('attach', 'PodAttachOptions', ['create', 'get']),
      subresource('binding', 'Binding', ['create']),
      subresource('eviction', 'Eviction', ['create'], 'policy', 'v1'),
      subresource('exec', 'PodExecOptions', ['create', 'get']),
      subresource('log', 'Pod', ['get']),
      subresource('portforward', 'PodPortForwardOptions', ['create', 'get']),
    ],
    printer: podPrinter,
    fieldSelectors: {
      'spec.nodeName': fieldAt('spec.nodeName'),
      'spec.restartPolicy': fieldAt('spec.restartPolicy'),
      'spec.schedulerName': fieldAt('spec.schedulerName'),
      'spec.serviceAccountName': fieldAt('spec.serviceAccountName'),
      'spec.hostNetwork': fieldAt('spec.hostNetwork', 'false'),
      'status.phase': fieldAt('status.phase'),
      'status.podIP': fieldAt('status.podIP'),
      'status.nominatedNodeName': fieldAt('status.nominatedNodeName'),
    },
    defaults: defaultPod,
    validate: (obj, old) => [
      ...validatePodSpec(as<Pod>(obj).spec, 'spec'),
      ...(old ? validatePodSpecUpdate(as<Pod>(obj).spec, as<Pod>(old).spec) : []),
    ],
  }),
  defineKind({
    ...core,
    kind: 'Service',
    resource: 'services',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    status: true,
    printer: servicePrinter,
    fieldSelectors: { 'spec.clusterIP': fieldAt('spec.clusterIP'), 'spec.type': fieldAt('spec.type') },
    defaults: defaultService,
    validate: (obj) => validateService(as<Service>(obj)),
    nameValidator: nameIsDNS1035Label,
  }),
  defineKind({ ...core, kind: 'Endpoints', resource: 'endpoints', namespaced: true, shortNames: ['ep'], printer: endpointsPrinter, defaults: defaultEndpoints }),
  defineKind({
    ...core,
    kind: 'ConfigMap',
    resource: 'configmaps',
    namespaced: true,
    shortNames: ['cm'],
    printer: configMapPrinter,
    validate: (obj, old) => [...validateConfigMap(as<ConfigMap>(obj)), ...(old ? validateImmutableData(as<ConfigMap>(obj), as<ConfigMap>(old)) : [])],
  }),
  defineKind({
    ...core,
    kind: 'Secret',
    resource: 'secrets',
    namespaced: true,
    printer: secretPrinter,
    fieldSelectors: { type: fieldAt('type') },
    defaults: defaultSecret,
    validate: (obj, old) => [...validateSecret(as<Secret>(obj)), ...(old ? validateImmutableData(as<Secret>(obj), as<Secret>(old)) : [])],
  }),
  defineKind({
    ...core,
    kind: 'ServiceAccount',
    resource: 'serviceaccounts',
    namespaced: true,
    shortNames: ['sa'],
    subresources: [subresource('token', 'TokenRequest', ['create'], 'authentication.k8s.io', 'v1')],
    printer: serviceAccountPrinter,
  }),
  defineKind({
    ...core,
    kind: 'Node',
    resource: 'nodes',
    namespaced: false,
    shortNames: ['no'],
    status: true,
    printer: nodePrinter,
    fieldSelectors: { 'spec.unschedulable': fieldAt('spec.unschedulable', 'false') },
    defaults: defaultNode,
    validate: (obj) => validateNode(as<Node>(obj)),
  }),
  defineKind({ ...core, kind: 'Event', resource: 'events', namespaced: true, shortNames: ['ev'], printer: eventPrinter, fieldSelectors: EVENT_FIELD_SELECTORS }),
  defineKind({
    ...core,
    kind: 'ReplicationController',
    resource: 'replicationcontrollers',
    namespaced: true,
    shortNames: ['rc'],
    categories: ['all'],
    status: true,
    subresources: [SCALE],
    printer: replicationControllerPrinter,
    fieldSelectors: { 'status.replicas': fieldAt('status.replicas', '0') },
    defaults: defaultReplicationController,
    validate: (obj) => validateReplicationController(as<ReplicationController>(obj)),
  }),
  defineKind({
    ...core,
    kind: 'PersistentVolume',
    resource: 'persistentvolumes',
    namespaced: false,
    shortNames: ['pv'],
    status: true,
    printer: persistentVolumePrinter,
    defaults: defaultPersistentVolume,
    validate: (obj) => validatePersistentVolume(as<PersistentVolume>(obj)),
  }),
  defineKind({
    ...core,
    kind: 'PersistentVolumeClaim',
    resource: 'persistentvolumeclaims',
    namespaced: true,
    shortNames: ['pvc'],
    status: true,
    printer: persistentVolumeClaimPrinter,
    defaults: defaultPersistentVolumeClaim,
    validate: (obj) => validatePersistentVolumeClaim(as<PersistentVolumeClaim>(obj)),
  }),
  defineKind({ ...core, kind: 'ResourceQuota', resource: 'resourcequotas', namespaced: true, shortNames: ['quota'], status: true, printer: resourceQuotaPrinter }),
  defineKind({ ...core, kind: 'LimitRange', resource: 'limitranges', namespaced: true, shortNames: ['limits'], printer: limitRangePrinter, defaults: defaultLimitRange }),
];
