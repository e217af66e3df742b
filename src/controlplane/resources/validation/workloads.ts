/**
 * Semantic checks of the workload kinds (apps/v1, batch/v1, ReplicationController), as Kubernetes'
 * apps/batch/core validation words them: selectors that must match the pod template's labels,
 * non-negative counts, update strategies, the restart policies each controller allows, cron
 * schedules, and the fields an update may not change.
 */
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job, JobSpec } from 'kubernetes-types/batch/v1.js';
import type { PodTemplateSpec, ReplicationController } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { StatusCause } from '../../api/errors.js';
import { isObject, jsonEqual } from '../object.js';
import { selectorIsEmpty, selectorMatches } from '../selectors.js';
import type { KubeObject } from '../types.js';
import { child, forbidden, index, invalid, notSupported, required } from './field.js';
import { validateLabels, validateTemplateMeta } from './metadata.js';
import { isQualifiedName } from './names.js';
import { validatePodSpec } from './pod.js';

const NON_NEGATIVE = 'must be greater than or equal to 0';
const IMMUTABLE = 'field is immutable';
const SELECTOR_MISMATCH = '`selector` does not match template `labels`';

function nonNegative(value: unknown, path: string): StatusCause[] {
  return typeof value === 'number' && value < 0 ? [invalid(path, value, NON_NEGATIVE)] : [];
}

export function validateLabelSelector(selector: LabelSelector, path: string): StatusCause[] {
  const causes = validateLabels(selector.matchLabels, child(path, 'matchLabels'));
  (selector.matchExpressions ?? []).forEach((e, i) => {
    const ep = index(child(path, 'matchExpressions'), i);
    const values = e.values ?? [];
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (values.length === 0) causes.push(required(child(ep, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if (values.length > 0) causes.push(forbidden(child(ep, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      causes.push(invalid(child(ep, 'operator'), e.operator, 'not a valid selector operator'));
    }
    for (const msg of isQualifiedName(e.key ?? '')) causes.push(invalid(child(ep, 'key'), e.key ?? '', msg));
  });
  return causes;
}

/** A pod template under `path`, checked against the controller's selector and allowed restart policies. */
function validateTemplate(
  template: PodTemplateSpec | undefined,
  path: string,
  selector: LabelSelector | undefined,
  restartPolicies: string[],
): StatusCause[] {
  if (!template) return [required(path)];
  const causes = validateTemplateMeta(template.metadata, child(path, 'metadata'));
  if (selector && !selectorIsEmpty(selector) && !selectorMatches(selector, template.metadata?.labels)) {
    causes.push(invalid(child(path, 'metadata.labels'), template.metadata?.labels ?? {}, SELECTOR_MISMATCH));
  }
  causes.push(...validatePodSpec(template.spec, child(path, 'spec'), true));
  const policy = template.spec?.restartPolicy;
  if (policy && !restartPolicies.includes(policy)) causes.push(notSupported(child(path, 'spec.restartPolicy'), policy, restartPolicies));
  return causes;
}

/**
 * The selector + template pair of Deployment, ReplicaSet, DaemonSet and StatefulSet; `kind` and
 * `Kind` are the words Kubernetes' messages use for each.
 */
function validateSelectedTemplate(spec: { selector?: LabelSelector; template?: PodTemplateSpec }, kind: string, Kind: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!spec.selector) causes.push(required('spec.selector'));
  else {
    causes.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    if (selectorIsEmpty(spec.selector)) causes.push(invalid('spec.selector', spec.selector, `empty selector is invalid for ${kind}`));
  }
  causes.push(...validateTemplate(spec.template, 'spec.template', spec.selector, ['Always']));
  if (spec.template?.spec?.activeDeadlineSeconds !== undefined) {
    causes.push(invalid('spec.template.spec.activeDeadlineSeconds', spec.template.spec.activeDeadlineSeconds, `activeDeadlineSeconds in ${Kind} is not Supported`));
  }
  return causes;
}

/** An int-or-percent rolling update bound (`25%`, `1`). */
function intOrPercent(value: unknown, path: string): StatusCause[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'number') return nonNegative(value, path);
  const m = /^(\d+)%$/.exec(String(value));
  if (!m) return [invalid(path, value, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
  return Number(m[1]) > 100 ? [invalid(path, value, 'must not be greater than 100%')] : [];
}

function isZero(value: unknown): boolean {
  return value === 0 || value === '0%';
}

export function validateDeployment(d: Deployment): StatusCause[] {
  const spec = d.spec ?? ({} as NonNullable<Deployment['spec']>);
  const causes = [...nonNegative(spec.replicas, 'spec.replicas'), ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds')];
  causes.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  causes.push(...validateSelectedTemplate(spec, 'deployment', 'ReplicaSet'));
  const strategy = spec.strategy ?? {};
  if (strategy.type !== undefined && strategy.type !== 'Recreate' && strategy.type !== 'RollingUpdate') {
    causes.push(notSupported('spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate']));
  }
  if (strategy.type === 'Recreate' && strategy.rollingUpdate) {
    causes.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
  }
  const ru = strategy.rollingUpdate;
  if (ru) {
    causes.push(...intOrPercent(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable'));
    causes.push(...intOrPercent(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge'));
    if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge)) {
      causes.push(invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  if (typeof spec.progressDeadlineSeconds === 'number' && spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
    causes.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
  return causes;
}

export function validateReplicaSet(rs: ReplicaSet): StatusCause[] {
  const spec = rs.spec ?? ({} as NonNullable<ReplicaSet['spec']>);
  return [...nonNegative(spec.replicas, 'spec.replicas'), ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'), ...validateSelectedTemplate(spec, 'deployment', 'ReplicaSet')];
}

export function validateDaemonSet(ds: DaemonSet): StatusCause[] {
  const spec = ds.spec ?? ({} as NonNullable<DaemonSet['spec']>);
  const causes = [...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'), ...validateSelectedTemplate(spec, 'daemonset', 'DaemonSet')];
  const strategy = spec.updateStrategy ?? {};
  if (strategy.type !== undefined && strategy.type !== 'RollingUpdate' && strategy.type !== 'OnDelete') {
    causes.push(notSupported('spec.updateStrategy.type', strategy.type, ['OnDelete', 'RollingUpdate']));
  }
  if (strategy.rollingUpdate) {
    causes.push(...intOrPercent(strategy.rollingUpdate.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable'));
    causes.push(...intOrPercent(strategy.rollingUpdate.maxSurge, 'spec.updateStrategy.rollingUpdate.maxSurge'));
  }
  return causes;
}

export function validateStatefulSet(sts: StatefulSet): StatusCause[] {
  const spec = sts.spec ?? ({} as NonNullable<StatefulSet['spec']>);
  const causes = [...nonNegative(spec.replicas, 'spec.replicas'), ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds')];
  // Containers may mount the claims of volumeClaimTemplates: the controller adds those volumes to
  // each pod, so the template is validated as if it had them (as the apiserver does).
  const claims = (spec.volumeClaimTemplates ?? []).map((t) => ({ name: t.metadata?.name ?? '', persistentVolumeClaim: { claimName: t.metadata?.name ?? '' } }));
  const template = spec.template && claims.length > 0
    ? { ...spec.template, spec: { ...spec.template.spec!, volumes: [...(spec.template.spec?.volumes ?? []), ...claims] } }
    : spec.template;
  causes.push(...validateSelectedTemplate({ selector: spec.selector, template }, 'statefulset', 'StatefulSet'));
  if (spec.podManagementPolicy !== undefined && spec.podManagementPolicy !== 'OrderedReady' && spec.podManagementPolicy !== 'Parallel') {
    causes.push(notSupported('spec.podManagementPolicy', spec.podManagementPolicy, ['OrderedReady', 'Parallel']));
  }
  const strategy = spec.updateStrategy ?? {};
  if (strategy.type !== undefined && strategy.type !== 'RollingUpdate' && strategy.type !== 'OnDelete') {
    causes.push(notSupported('spec.updateStrategy.type', strategy.type, ['OnDelete', 'RollingUpdate']));
  }
  causes.push(...nonNegative(strategy.rollingUpdate?.partition, 'spec.updateStrategy.rollingUpdate.partition'));
  return causes;
}

export function validateReplicationController(rc: ReplicationController): StatusCause[] {
  const spec = rc.spec ?? {};
  const causes = [...nonNegative(spec.replicas, 'spec.replicas'), ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds')];
  const selector = spec.selector ?? {};
  if (Object.keys(selector).length === 0) causes.push(required('spec.selector'));
  else causes.push(...validateLabels(selector, 'spec.selector'));
  causes.push(...validateTemplate(spec.template, 'spec.template', { matchLabels: selector }, ['Always']));
  return causes;
}

/** The part of Job validation that CronJob's jobTemplate shares; `path` is where the JobSpec sits. */
function validateJobSpec(spec: JobSpec | undefined, path: string, topLevel: boolean): StatusCause[] {
  if (!spec) return [required(path)];
  const causes: StatusCause[] = [];
  for (const f of ['parallelism', 'completions', 'backoffLimit', 'ttlSecondsAfterFinished'] as const) causes.push(...nonNegative(spec[f], child(path, f)));
  if (typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds <= 0) {
    causes.push(invalid(child(path, 'activeDeadlineSeconds'), spec.activeDeadlineSeconds, 'must be greater than 0'));
  }
  if (spec.completionMode !== undefined && spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') {
    causes.push(notSupported(child(path, 'completionMode'), spec.completionMode, ['NonIndexed', 'Indexed']));
  }
  if (spec.completionMode === 'Indexed' && (spec.completions === undefined || spec.completions === null)) {
    causes.push(required(child(path, 'completions'), 'when completion mode is Indexed'));
  }
  if (topLevel && spec.manualSelector === true && !spec.selector) causes.push(required(child(path, 'selector')));
  if (spec.selector) causes.push(...validateLabelSelector(spec.selector, child(path, 'selector')));
  causes.push(...validateTemplate(spec.template, child(path, 'template'), spec.selector, ['OnFailure', 'Never']));
  return causes;
}

export function validateJob(job: Job): StatusCause[] {
  return validateJobSpec(job.spec, 'spec', true);
}

const CRON_FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?$/;

/** Problems of a cron schedule, as robfig/cron (used by the CronJob controller) reports them. */
export function cronScheduleErrors(schedule: string): string[] {
  if (/^\s*(CRON_)?TZ=/.test(schedule)) return ['cannot use TZ or CRON_TZ in schedule, use timeZone field instead'];
  const s = schedule.trim();
  if (s.startsWith('@')) {
    return ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'].includes(s) || /^@every \S+$/.test(s) ? [] : [`unrecognized descriptor: ${s}`];
  }
  const fields = s.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) return [`expected exactly 5 fields, found ${fields.length}: ${schedule}`];
  for (const f of fields) {
    for (const part of f.split(',')) {
      if (!CRON_FIELD.test(part)) return [`failed to parse int from ${part}: strconv.Atoi: parsing ${JSON.stringify(part)}: invalid syntax`];
    }
  }
  return [];
}

export function validateCronJob(cj: CronJob): StatusCause[] {
  const spec = cj.spec ?? ({} as NonNullable<CronJob['spec']>);
  const causes: StatusCause[] = [];
  const name = cj.metadata?.name ?? '';
  if (name.length > 52) causes.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  if (!spec.schedule) causes.push(required('spec.schedule'));
  else for (const msg of cronScheduleErrors(spec.schedule)) causes.push(invalid('spec.schedule', spec.schedule, msg));
  if (spec.concurrencyPolicy !== undefined && !['Allow', 'Forbid', 'Replace'].includes(spec.concurrencyPolicy)) {
    causes.push(notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, ['Allow', 'Forbid', 'Replace']));
  }
  for (const f of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'] as const) causes.push(...nonNegative(spec[f], `spec.${f}`));
  causes.push(...validateTemplateMeta(spec.jobTemplate?.metadata, 'spec.jobTemplate.metadata'));
  causes.push(...validateJobSpec(spec.jobTemplate?.spec, 'spec.jobTemplate.spec', false));
  return causes;
}

/** `spec.selector` may not change (apps/v1 and Job). */
export function validateSelectorImmutable(obj: KubeObject, old: KubeObject): StatusCause[] {
  const selector = (o: KubeObject): unknown => (isObject(o.spec) ? o.spec.selector : undefined);
  return jsonEqual(selector(obj), selector(old)) ? [] : [invalid('spec.selector', selector(obj) ?? null, IMMUTABLE)];
}

const STS_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

/** StatefulSet updates may change only a few spec fields. */
export function validateStatefulSetUpdate(sts: StatefulSet, old: StatefulSet): StatusCause[] {
  const rest = (s: StatefulSet): Record<string, unknown> => {
    const copy: Record<string, unknown> = { ...(s.spec ?? {}) };
    for (const f of STS_MUTABLE) delete copy[f];
    return copy;
  };
  if (jsonEqual(rest(sts), rest(old))) return [];
  return [
    forbidden(
      'spec',
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}
