/**
 * The PodSecurity admission plugin: a namespace's `pod-security.kubernetes.io/enforce`, `warn` and
 * `audit` labels (each `privileged`, `baseline` or `restricted`, with an optional `-version` label,
 * evaluated as latest) decide which Pod Security Standard its pods must meet. As kube-apiserver does:
 * a pod that fails the enforce level is refused (`violates PodSecurity "restricted:latest": ...`); a
 * pod failing the warn level, and a workload (Deployment, Job, ...) whose pod template fails the
 * enforce or warn level, gets a `would violate PodSecurity` warning (kubectl prints it); audit
 * violations go to the audit callback. Labelling a namespace warns about its existing pods that fail
 * the new enforce level. Namespaces without the labels are `privileged`: nothing is checked.
 */
import type { AdmissionAttributes, AdmissionPlugin } from '../../controlplane/api/admission.js';
import { StatusError } from '../../controlplane/api/errors.js';
import type { Client } from '../../controlplane/client/client.js';
import { refs } from '../../controlplane/client/refs.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { describeViolations, evaluate, type Level, type PodTemplate } from './pod-security-checks.js';
import type { AuditEvent } from './validating-policy.js';

const PREFIX = 'pod-security.kubernetes.io/';
const LEVELS: Level[] = ['privileged', 'baseline', 'restricted'];

export interface LevelVersion {
  level: Level;
  /** shown as written in the label (`latest` when absent); the checks are always the latest */
  version: string;
}

/** The level a mode (`enforce`, `warn`, `audit`) sets by the namespace's labels; an unknown level counts as restricted. */
export function modeLevel(labels: Record<string, string> | undefined, mode: 'enforce' | 'warn' | 'audit'): LevelVersion | undefined {
  const value = labels?.[PREFIX + mode];
  if (value === undefined) return undefined;
  const level = (LEVELS as string[]).includes(value) ? (value as Level) : 'restricted';
  return { level, version: labels?.[`${PREFIX}${mode}-version`] || 'latest' };
}

const label = (lv: LevelVersion) => `${lv.level}:${lv.version}`;

/** Where each workload kind keeps its pod template. */
function templateOf(a: AdmissionAttributes): PodTemplate | undefined {
  const o = a.object as { spec?: { template?: PodTemplate; jobTemplate?: { spec?: { template?: PodTemplate } } }; template?: PodTemplate } | undefined;
  const key = `${a.type.group}/${a.type.resource}`;
  switch (key) {
    case 'apps/deployments':
    case 'apps/replicasets':
    case 'apps/statefulsets':
    case 'apps/daemonsets':
    case 'batch/jobs':
    case '/replicationcontrollers':
      return o?.spec?.template;
    case 'batch/cronjobs':
      return o?.spec?.jobTemplate?.spec?.template;
    case '/podtemplates':
      return o?.template;
  }
  return undefined;
}

export interface PodSecurityOptions {
  /** reads namespaces (and pods, for the warning when a namespace is labelled) */
  client: () => Client;
  /** the namespace from a cache; undefined (not synced or not seen yet) reads it from the API */
  cachedNamespace?: (name: string) => KubeObject | undefined;
  /** receives audit-level violations (policy `PodSecurity`, binding the namespace's audit label) */
  audit?: (e: AuditEvent) => void;
}

export function podSecurityPlugin(opts: PodSecurityOptions): AdmissionPlugin {
  const namespaceLabels = async (name: string): Promise<Record<string, string> | undefined> => {
    const ns = opts.cachedNamespace?.(name) ?? (await opts.client().find(refs.namespaces, name));
    return ns?.metadata?.labels;
  };

  const checkPod = (a: AdmissionAttributes, labels: Record<string, string> | undefined) => {
    const pod = a.object as PodTemplate;
    const enforce = modeLevel(labels, 'enforce');
    if (enforce) {
      const vs = evaluate(enforce.level, pod);
      if (vs.length > 0) {
        throw new StatusError('Forbidden', `pods "${a.name}" is forbidden: violates PodSecurity "${label(enforce)}": ${describeViolations(vs)}`, { kind: 'pods', name: a.name });
      }
    }
    const warn = modeLevel(labels, 'warn');
    if (warn && warn.level !== enforce?.level) {
      const vs = evaluate(warn.level, pod);
      if (vs.length > 0) a.warnings.push(`would violate PodSecurity "${label(warn)}": ${describeViolations(vs)}`);
    }
    audit(a, labels, pod);
  };

  const audit = (a: AdmissionAttributes, labels: Record<string, string> | undefined, pod: PodTemplate) => {
    const level = modeLevel(labels, 'audit');
    if (!level || !opts.audit) return;
    const vs = evaluate(level.level, pod);
    if (vs.length === 0) return;
    opts.audit({
      policy: 'PodSecurity',
      binding: `${PREFIX}audit=${level.level}`,
      message: `would violate PodSecurity "${label(level)}": ${describeViolations(vs)}`,
      request: { operation: a.operation, resource: a.type.resource, namespace: a.namespace, name: a.name, user: a.user.username },
    });
  };

  const checkWorkload = (a: AdmissionAttributes, labels: Record<string, string> | undefined, template: PodTemplate) => {
    const seen = new Set<string>();
    for (const mode of ['enforce', 'warn'] as const) {
      const lv = modeLevel(labels, mode);
      if (!lv || seen.has(lv.level)) continue;
      seen.add(lv.level);
      const vs = evaluate(lv.level, template);
      if (vs.length > 0) a.warnings.push(`would violate PodSecurity "${label(lv)}": ${describeViolations(vs)}`);
    }
    audit(a, labels, template);
  };

  /** A namespace whose enforce level changes: warn about the pods already there that fail it. */
  const checkNamespace = async (a: AdmissionAttributes) => {
    const next = modeLevel(a.object?.metadata?.labels, 'enforce');
    const prev = modeLevel(a.oldObject?.metadata?.labels, 'enforce');
    if (!next || next.level === 'privileged' || (prev && prev.level === next.level && prev.version === next.version)) return;
    const pods = (await opts.client().list(refs.pods, { namespace: a.name })).items;
    const failing = pods.map((p) => ({ name: p.metadata?.name ?? '', vs: evaluate(next.level, p as PodTemplate) })).filter((p) => p.vs.length > 0);
    if (failing.length === 0) return;
    a.warnings.push(`existing pods in namespace "${a.name}" violate the new PodSecurity enforce level "${label(next)}"`);
    for (const p of failing) a.warnings.push(`${p.name}: ${p.vs.map((v) => v.reason).join(', ')}`);
  };

  return {
    name: 'PodSecurity',
    async validate(a) {
      if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
      if (a.subresource || !a.object) return;
      if (a.type.group === '' && a.type.resource === 'namespaces') return checkNamespace(a);
      const isPod = a.type.group === '' && a.type.resource === 'pods';
      // pods are checked when created; their security-relevant fields cannot change afterwards
      if (isPod && a.operation !== 'CREATE') return;
      const template = isPod ? undefined : templateOf(a);
      if (!isPod && !template) return;
      const labels = await namespaceLabels(a.namespace);
      if (!labels || !Object.keys(labels).some((k) => k.startsWith(PREFIX))) return;
      if (isPod) checkPod(a, labels);
      else checkWorkload(a, labels, template!);
    },
  };
}
