/**
 * Pod defaults as Kubernetes applies them (core/v1 SetDefaults_PodSpec, _Container, _Probe,
 * _Volume..., plus what the ServiceAccount and Priority admission plugins fill on pods). Pod
 * templates inside workloads get the pod-spec part only, as in Kubernetes. Every function only
 * fills what is absent, so applying it twice changes nothing.
 */
import { ensureObject, isObject, objects, setDefault, type JsonObject } from '../object.js';

/** The image's tag ('' with a digest, 'latest' with neither), as docker reference parsing sees it. */
export function imageTag(image: string): string {
  if (image.includes('@')) return '';
  const lastSlash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > lastSlash ? image.slice(colon + 1) : 'latest';
}

function defaultHandler(handler: unknown): void {
  if (!isObject(handler)) return;
  if (isObject(handler.httpGet)) {
    setDefault(handler.httpGet, 'path', '/');
    setDefault(handler.httpGet, 'scheme', 'HTTP');
  }
  if (isObject(handler.grpc)) setDefault(handler.grpc, 'service', '');
}

function defaultProbe(probe: unknown): void {
  if (!isObject(probe)) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  defaultHandler(probe);
}

export function defaultContainer(c: JsonObject): void {
  if (typeof c.image === 'string') setDefault(c, 'imagePullPolicy', imageTag(c.image) === 'latest' ? 'Always' : 'IfNotPresent');
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  for (const p of objects(c.ports)) setDefault(p, 'protocol', 'TCP');
  for (const e of objects(c.env)) {
    if (isObject(e.valueFrom) && isObject(e.valueFrom.fieldRef)) setDefault(e.valueFrom.fieldRef, 'apiVersion', 'v1');
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (isObject(c.lifecycle)) {
    defaultHandler(c.lifecycle.postStart);
    defaultHandler(c.lifecycle.preStop);
  }
}

function defaultVolume(v: JsonObject): void {
  const sources = Object.keys(v).filter((k) => k !== 'name' && v[k] !== null && v[k] !== undefined);
  if (sources.length === 0) v.emptyDir = {};
  for (const source of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    if (isObject(v[source])) setDefault(v[source] as JsonObject, 'defaultMode', 420);
  }
  if (isObject(v.hostPath)) setDefault(v.hostPath, 'type', '');
  if (isObject(v.downwardAPI)) {
    for (const item of objects(v.downwardAPI.items)) if (isObject(item.fieldRef)) setDefault(item.fieldRef, 'apiVersion', 'v1');
  }
}

/** hostNetwork pods publish each container port on the host at the same number. */
function defaultHostNetworkPorts(containers: JsonObject[]): void {
  for (const c of containers) for (const p of objects(c.ports)) if (!p.hostPort) p.hostPort = p.containerPort;
}

/** SetDefaults_PodSpec and what it reaches: pods and pod templates alike. */
export function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  const containers = [...objects(spec.containers), ...objects(spec.initContainers), ...objects(spec.ephemeralContainers)];
  for (const c of containers) defaultContainer(c);
  for (const v of objects(spec.volumes)) defaultVolume(v);
  if (spec.hostNetwork === true) defaultHostNetworkPorts([...objects(spec.containers), ...objects(spec.initContainers)]);
}

/** A pod template (`spec.template` of a workload). */
export function defaultPodTemplate(template: unknown): void {
  if (isObject(template) && isObject(template.spec)) defaultPodSpec(template.spec);
}

/** Containers with limits but no request for a resource request the limit (pods only, not templates). */
function defaultRequestsFromLimits(containers: JsonObject[]): void {
  for (const c of containers) {
    if (!isObject(c.resources) || !isObject(c.resources.limits)) continue;
    const requests = ensureObject(c.resources, 'requests');
    for (const [k, v] of Object.entries(c.resources.limits)) setDefault(requests, k, v);
  }
}

/** A Pod: the pod-spec defaults, SetDefaults_Pod, and the service account and priority admission defaults. */
export function defaultPod(pod: JsonObject): void {
  const spec = ensureObject(pod, 'spec');
  defaultPodSpec(spec);
  defaultRequestsFromLimits([...objects(spec.containers), ...objects(spec.initContainers)]);
  setDefault(spec, 'enableServiceLinks', true);
  setDefault(spec, 'serviceAccountName', typeof spec.serviceAccount === 'string' && spec.serviceAccount ? spec.serviceAccount : 'default');
  setDefault(spec, 'serviceAccount', spec.serviceAccountName);
  if (spec.priorityClassName === undefined || spec.priorityClassName === '') {
    setDefault(spec, 'priority', 0);
    setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  }
}
