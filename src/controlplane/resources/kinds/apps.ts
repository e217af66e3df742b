/** apps/v1: deployments, replica sets, daemon sets, stateful sets and controller revisions. */
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import { defaultDaemonSet, defaultDeployment, defaultReplicaSet, defaultStatefulSet } from '../defaults/workloads.js';
import {
  controllerRevisionPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  replicaSetPrinter,
  statefulSetPrinter,
} from '../tables/workloads.js';
import type { KubeObject, ResourceType } from '../types.js';
import type { StatusCause } from '../../api/errors.js';
import {
  validateDaemonSet,
  validateDeployment,
  validateReplicaSet,
  validateSelectorImmutable,
  validateStatefulSet,
  validateStatefulSetUpdate,
} from '../validation/workloads.js';
import { nameIsDNSLabel } from '../validation/names.js';
import { as, defineKind, fieldAt, SCALE } from './define.js';

const apps = { group: 'apps', version: 'v1', namespaced: true };

/** Adds the apps/v1 rule that a controller's selector never changes. */
function withImmutableSelector<T>(check: (obj: T) => StatusCause[]): (obj: KubeObject, old?: KubeObject) => StatusCause[] {
  return (obj, old) => [...check(as<T>(obj)), ...(old ? validateSelectorImmutable(obj, old) : [])];
}

export const appsKinds: ResourceType[] = [
  defineKind({
    ...apps,
    kind: 'Deployment',
    resource: 'deployments',
    shortNames: ['deploy'],
    categories: ['all'],
    status: true,
    subresources: [SCALE],
    printer: deploymentPrinter,
    defaults: defaultDeployment,
    validate: withImmutableSelector<Deployment>(validateDeployment),
  }),
  defineKind({
    ...apps,
    kind: 'ReplicaSet',
    resource: 'replicasets',
    shortNames: ['rs'],
    categories: ['all'],
    status: true,
    subresources: [SCALE],
    printer: replicaSetPrinter,
    fieldSelectors: { 'status.replicas': fieldAt('status.replicas', '0') },
    defaults: defaultReplicaSet,
    validate: withImmutableSelector<ReplicaSet>(validateReplicaSet),
  }),
  defineKind({
    ...apps,
    kind: 'DaemonSet',
    resource: 'daemonsets',
    shortNames: ['ds'],
    categories: ['all'],
    status: true,
    printer: daemonSetPrinter,
    defaults: defaultDaemonSet,
    validate: withImmutableSelector<DaemonSet>(validateDaemonSet),
  }),
  defineKind({
    ...apps,
    kind: 'StatefulSet',
    resource: 'statefulsets',
    shortNames: ['sts'],
    categories: ['all'],
    status: true,
    subresources: [SCALE],
    printer: statefulSetPrinter,
    defaults: defaultStatefulSet,
    validate: (obj, old) => [...validateStatefulSet(as<StatefulSet>(obj)), ...(old ? validateStatefulSetUpdate(as<StatefulSet>(obj), as<StatefulSet>(old)) : [])],
    // pods are named <set>-<ordinal> and use it as their hostname
    nameValidator: nameIsDNSLabel,
  }),
  defineKind({ ...apps, kind: 'ControllerRevision', resource: 'controllerrevisions', printer: controllerRevisionPrinter }),
];
