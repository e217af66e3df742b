/**
 * Pod spec validation (the common part of Kubernetes' ValidatePodSpec), shared by pods and every
 * pod template: containers (names, images, ports, env, mounts, probes), volumes, restart and DNS
 * policies, node selector, tolerations; plus the pod update rule (the spec is immutable but for
 * images, tolerations added, activeDeadlineSeconds and the scheduler's binding).
 */
import type { Container, PodSpec, Probe, Toleration } from 'kubernetes-types/core/v1.js';
import type { StatusCause } from '../../api/errors.js';
import { isObject, jsonEqual } from '../object.js';
import { child, duplicate, forbidden, index, invalid, notFound, notSupported, required } from './field.js';
import { validateLabels } from './metadata.js';
import { isDNS1123Label, isDNS1123Subdomain, isEnvVarName, isQualifiedName, isValidPortName, isValidPortNum } from './names.js';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;

function validateProbe(probe: Probe | undefined, path: string, liveOrStartup: boolean): StatusCause[] {
  if (!probe) return [];
  const causes: StatusCause[] = [];
  const handlers = PROBE_HANDLERS.filter((h) => probe[h] !== undefined && probe[h] !== null);
  if (handlers.length === 0) causes.push(required(path, 'must specify a handler type'));
  for (const extra of handlers.slice(1)) causes.push(forbidden(child(path, extra), 'may not specify more than 1 handler type'));
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    const v = probe[f];
    if (typeof v === 'number' && v < 0) causes.push(invalid(child(path, f), v, 'must be greater than or equal to 0'));
  }
  if (liveOrStartup && typeof probe.successThreshold === 'number' && probe.successThreshold !== 1) {
    causes.push(invalid(child(path, 'successThreshold'), probe.successThreshold, 'must be 1'));
  }
  return causes;
}

function validateContainer(c: Container, path: string, volumes: Set<string>, template: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!c.image) causes.push(required(child(path, 'image')));
  else if (!template && c.image.trim() !== c.image) causes.push(invalid(child(path, 'image'), c.image, 'must not have leading or trailing whitespace'));
  if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(c.imagePullPolicy)) {
    causes.push(notSupported(child(path, 'imagePullPolicy'), c.imagePullPolicy, PULL_POLICIES));
  }
  const portNames = new Set<string>();
  (c.ports ?? []).forEach((p, i) => {
    const pp = index(child(path, 'ports'), i);
    for (const msg of isValidPortNum(p.containerPort)) causes.push(invalid(child(pp, 'containerPort'), p.containerPort, msg));
    if (p.hostPort) for (const msg of isValidPortNum(p.hostPort)) causes.push(invalid(child(pp, 'hostPort'), p.hostPort, msg));
    if (p.protocol !== undefined && !PROTOCOLS.includes(p.protocol)) causes.push(notSupported(child(pp, 'protocol'), p.protocol, PROTOCOLS));
    if (p.name) {
      for (const msg of isValidPortName(p.name)) causes.push(invalid(child(pp, 'name'), p.name, msg));
      if (portNames.has(p.name)) causes.push(duplicate(child(pp, 'name'), p.name));
      portNames.add(p.name);
    }
  });
  (c.env ?? []).forEach((e, i) => {
    const ep = child(index(child(path, 'env'), i), 'name');
    if (!e.name) causes.push(required(ep));
    else for (const msg of isEnvVarName(e.name)) causes.push(invalid(ep, e.name, msg));
  });
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    const mp = index(child(path, 'volumeMounts'), i);
    if (!m.name) causes.push(required(child(mp, 'name')));
    else if (!volumes.has(m.name)) causes.push(notFound(child(mp, 'name'), m.name));
    if (!m.mountPath) causes.push(required(child(mp, 'mountPath')));
    else if (mountPaths.has(m.mountPath)) causes.push(invalid(child(mp, 'mountPath'), m.mountPath, 'must be unique'));
    if (m.mountPath) mountPaths.add(m.mountPath);
  });
  causes.push(...validateProbe(c.livenessProbe, child(path, 'livenessProbe'), true));
  causes.push(...validateProbe(c.readinessProbe, child(path, 'readinessProbe'), false));
  causes.push(...validateProbe(c.startupProbe, child(path, 'startupProbe'), true));
  return causes;
}

function validateVolumes(spec: PodSpec, path: string): { causes: StatusCause[]; names: Set<string> } {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    const vp = index(path, i);
    if (!v.name) causes.push(required(child(vp, 'name')));
    else {
      for (const msg of isDNS1123Label(v.name)) causes.push(invalid(child(vp, 'name'), v.name, msg));
      if (names.has(v.name)) causes.push(duplicate(child(vp, 'name'), v.name));
      names.add(v.name);
    }
    const sources = Object.keys(v).filter((k) => k !== 'name' && isObject((v as unknown as Record<string, unknown>)[k]));
    if (sources.length === 0) causes.push(required(vp, 'must specify a volume type'));
    for (const extra of sources.slice(1)) causes.push(forbidden(child(vp, extra), 'may not specify more than 1 volume type'));
  });
  return { causes, names };
}

function validateTolerations(tolerations: Toleration[] | undefined, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const tp = index(path, i);
    if (t.key) for (const msg of isQualifiedName(t.key)) causes.push(invalid(child(tp, 'key'), t.key, msg));
    if (!t.key && t.operator !== 'Exists') causes.push(invalid(child(tp, 'operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      causes.push(invalid(child(tp, 'effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (t.operator === 'Exists' && t.value) causes.push(invalid(child(tp, 'operator'), t.value, "value must be empty when `operator` is 'Exists'"));
    else if (t.operator !== undefined && t.operator !== '' && t.operator !== 'Equal' && t.operator !== 'Exists') {
      causes.push(notSupported(child(tp, 'operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
      causes.push(notSupported(child(tp, 'effect'), t.effect, ['NoExecute', 'NoSchedule', 'PreferNoSchedule']));
    }
  });
  return causes;
}

/**
 * A pod spec at `path` (`spec`, `spec.template.spec`...). `template`: inside a workload, where
 * Kubernetes skips the pod-only checks.
 */
export function validatePodSpec(spec: PodSpec | undefined, path: string, template = false): StatusCause[] {
  const s = spec ?? ({} as PodSpec);
  const vol = validateVolumes(s, child(path, 'volumes'));
  const causes = [...vol.causes];
  const containers = s.containers ?? [];
  if (containers.length === 0) causes.push(required(child(path, 'containers')));
  const names = new Set<string>();
  const checkName = (c: Container, cp: string): void => {
    if (!c.name) causes.push(required(child(cp, 'name')));
    else {
      for (const msg of isDNS1123Label(c.name)) causes.push(invalid(child(cp, 'name'), c.name, msg));
      if (names.has(c.name)) causes.push(duplicate(child(cp, 'name'), c.name));
      names.add(c.name);
    }
  };
  containers.forEach((c, i) => {
    const cp = index(child(path, 'containers'), i);
    checkName(c, cp);
    causes.push(...validateContainer(c, cp, vol.names, template));
  });
  (s.initContainers ?? []).forEach((c, i) => {
    const cp = index(child(path, 'initContainers'), i);
    checkName(c, cp);
    causes.push(...validateContainer(c, cp, vol.names, template));
  });
  if (!s.restartPolicy) causes.push(required(child(path, 'restartPolicy')));
  else if (!RESTART_POLICIES.includes(s.restartPolicy)) causes.push(notSupported(child(path, 'restartPolicy'), s.restartPolicy, RESTART_POLICIES));
  if (!s.dnsPolicy) causes.push(required(child(path, 'dnsPolicy')));
  else if (!DNS_POLICIES.includes(s.dnsPolicy)) causes.push(notSupported(child(path, 'dnsPolicy'), s.dnsPolicy, DNS_POLICIES));
  if (typeof s.activeDeadlineSeconds === 'number' && (s.activeDeadlineSeconds < 1 || s.activeDeadlineSeconds > 2147483647)) {
    causes.push(invalid(child(path, 'activeDeadlineSeconds'), s.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  causes.push(...validateLabels(s.nodeSelector, child(path, 'nodeSelector')));
  if (s.serviceAccountName) for (const msg of isDNS1123Subdomain(s.serviceAccountName)) causes.push(invalid(child(path, 'serviceAccountName'), s.serviceAccountName, msg));
  if (s.hostname) for (const msg of isDNS1123Label(s.hostname)) causes.push(invalid(child(path, 'hostname'), s.hostname, msg));
  if (s.subdomain) for (const msg of isDNS1123Label(s.subdomain)) causes.push(invalid(child(path, 'subdomain'), s.subdomain, msg));
  causes.push(...validateTolerations(s.tolerations, child(path, 'tolerations')));
  return causes;
}

const POD_UPDATE_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** The parts of a pod spec an update may change, blanked so the rest can be compared. */
function immutablePart(spec: PodSpec, old: PodSpec): unknown {
  const strip = (cs: Container[] | undefined): unknown => cs?.map((c) => ({ ...c, image: undefined }));
  return {
    ...spec,
    containers: strip(spec.containers),
    initContainers: strip(spec.initContainers),
    activeDeadlineSeconds: undefined,
    terminationGracePeriodSeconds: undefined,
    tolerations: undefined,
    schedulingGates: undefined,
    // binding: the scheduler sets nodeName once
    nodeName: old.nodeName ? spec.nodeName : undefined,
  };
}

/** ValidatePodUpdate's spec rule. */
export function validatePodSpecUpdate(spec: PodSpec | undefined, old: PodSpec | undefined): StatusCause[] {
  const s = spec ?? ({} as PodSpec);
  const o = old ?? ({} as PodSpec);
  const causes: StatusCause[] = [];
  if (!jsonEqual(immutablePart(s, o), immutablePart(o, o))) causes.push(forbidden('spec', POD_UPDATE_MESSAGE));
  const sansSeconds = (t: Toleration): Toleration => ({ ...t, tolerationSeconds: undefined });
  const kept = (o.tolerations ?? []).every((t) => (s.tolerations ?? []).some((n) => jsonEqual(sansSeconds(n), sansSeconds(t))));
  if (!kept) causes.push(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
  return causes;
}
