/**
 * Defaults of the workload kinds (apps/v1, batch/v1 and core/v1 ReplicationController
 * SetDefaults_*): replica counts, update strategies, history limits, Job completion settings,
 * CronJob policies, and the pod-template defaults inside each. A Job's generated selector needs
 * its uid and is set by the API layer's create strategy, not here.
 */
import { ensureObject, isObject, objects, setDefault, type JsonObject } from '../object.js';
import { defaultPersistentVolumeClaim } from './core.js';
import { defaultPodTemplate } from './pod.js';

function specOf(obj: JsonObject): JsonObject {
  return ensureObject(obj, 'spec');
}

export function defaultDeployment(obj: JsonObject): void {
  const spec = specOf(obj);
  setDefault(spec, 'replicas', 1);
  const strategy = ensureObject(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureObject(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(spec.template);
}

export function defaultReplicaSet(obj: JsonObject): void {
  const spec = specOf(obj);
  setDefault(spec, 'replicas', 1);
  defaultPodTemplate(spec.template);
}

/** core/v1 RC: selector and labels come from the template's labels when absent. */
export function defaultReplicationController(obj: JsonObject): void {
  const spec = specOf(obj);
  const labels = isObject(spec.template) && isObject(spec.template.metadata) && isObject(spec.template.metadata.labels) ? spec.template.metadata.labels : undefined;
  if (labels) {
    if (!isObject(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
    const meta = ensureObject(obj, 'metadata');
    if (!isObject(meta.labels) || Object.keys(meta.labels).length === 0) meta.labels = { ...labels };
  }
  setDefault(spec, 'replicas', 1);
  defaultPodTemplate(spec.template);
}

export function defaultDaemonSet(obj: JsonObject): void {
  const spec = specOf(obj);
  const strategy = ensureObject(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureObject(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec.template);
}

export function defaultStatefulSet(obj: JsonObject): void {
  const spec = specOf(obj);
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = ensureObject(spec, 'updateStrategy');
  if (strategy.type === undefined || strategy.type === null || strategy.type === '') {
    strategy.type = 'RollingUpdate';
    ensureObject(strategy, 'rollingUpdate');
  }
  if (strategy.type === 'RollingUpdate' && isObject(strategy.rollingUpdate)) setDefault(strategy.rollingUpdate, 'partition', 0);
  const retention = ensureObject(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefault(retention, 'whenDeleted', 'Retain');
  setDefault(retention, 'whenScaled', 'Retain');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  for (const pvc of objects(spec.volumeClaimTemplates)) defaultPersistentVolumeClaim(pvc);
  defaultPodTemplate(spec.template);
}

export function defaultJob(obj: JsonObject): void {
  const spec = specOf(obj);
  if ((spec.completions === undefined || spec.completions === null) && (spec.parallelism === undefined || spec.parallelism === null)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? 2147483647 : 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'podReplacementPolicy', isObject(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed');
  if (isObject(spec.podFailurePolicy)) {
    for (const rule of objects(spec.podFailurePolicy.rules)) for (const c of objects(rule.onPodConditions)) setDefault(c, 'status', 'True');
  }
  const template = isObject(spec.template) ? spec.template : undefined;
  const labels = template && isObject(template.metadata) && isObject(template.metadata.labels) ? template.metadata.labels : undefined;
  if (labels) {
    const meta = ensureObject(obj, 'metadata');
    if (!isObject(meta.labels) || Object.keys(meta.labels).length === 0) meta.labels = { ...labels };
  }
  defaultPodTemplate(spec.template);
}

export function defaultCronJob(obj: JsonObject): void {
  const spec = specOf(obj);
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  if (isObject(spec.jobTemplate) && isObject(spec.jobTemplate.spec)) defaultPodTemplate(spec.jobTemplate.spec.template);
}
