/**
 * Works out a pod's scheduling facts once: its resource requests as Kubernetes computes them
 * (`resourcehelper.PodRequests`: max of the app containers' sum and each init container, where
 * sidecar init containers keep running and add up; plus overhead), the non-zero requests scoring
 * uses, host ports, and compiled affinity terms.
 */
import type { Container, Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { objectKey } from '../client/informer.js';
import { labelSelectorFromObject } from '../store/selectors.js';
import { milliValue, value } from './quantity.js';
import { emptyResources, type AffinityTerm, type HostPort, type PodInfo, type Resources } from './types.js';

/** kube-scheduler's defaults for containers without a request, used only for scoring. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** Adds a resource list (`{cpu: "100m", memory: "1Gi"}`) into `into`. */
export function addResourceList(into: Resources, list: Record<string, unknown> | undefined, sign = 1): void {
  if (!list) return;
  for (const [name, q] of Object.entries(list)) {
    const s = String(q);
    if (name === 'cpu') into.milliCPU += sign * milliValue(s);
    else if (name === 'memory') into.memory += sign * value(s);
    else if (name === 'ephemeral-storage') into.ephemeralStorage += sign * value(s);
    else if (name === 'pods') into.pods += sign * value(s);
    else into.scalar[name] = (into.scalar[name] ?? 0) + sign * value(s);
  }
}

export function addResources(into: Resources, r: Resources, sign = 1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  into.pods += sign * r.pods;
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = (into.scalar[k] ?? 0) + sign * v;
}

function maxResources(into: Resources, r: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = Math.max(into.scalar[k] ?? 0, v);
}

function copy(r: Resources): Resources {
  return { ...r, scalar: { ...r.scalar } };
}

type Requests = (c: Container) => Resources;

const requestsOf: Requests = (c) => {
  const r = emptyResources();
  addResourceList(r, c.resources?.requests as Record<string, unknown> | undefined);
  return r;
};

const nonZeroRequestsOf: Requests = (c) => {
  const r = requestsOf(c);
  if (r.milliCPU === 0) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
  if (r.memory === 0) r.memory = DEFAULT_MEMORY_REQUEST;
  return r;
};

/** PodRequests: containers summed; each init container in turn (plus the sidecars before it) as a floor. */
function podRequests(pod: Pod, of: Requests): Resources {
  const spec = pod.spec;
  const reqs = emptyResources();
  for (const c of spec?.containers ?? []) addResources(reqs, of(c));
  const sidecars = emptyResources();
  const initFloor = emptyResources();
  for (const c of spec?.initContainers ?? []) {
    const r = of(c);
    if (c.restartPolicy === 'Always') {
      addResources(reqs, r);
      addResources(sidecars, r);
      maxResources(initFloor, sidecars);
    } else {
      const during = copy(r);
      addResources(during, sidecars);
      maxResources(initFloor, during);
    }
  }
  maxResources(reqs, initFloor);
  addResourceList(reqs, spec?.overhead as Record<string, unknown> | undefined);
  reqs.pods = 1;
  return reqs;
}

function hostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

/** The key of NodeInfo.labelCounts for one label of a pod in `namespace`. */
export function labelCountKey(namespace: string, key: string, value: string): string {
  return `${namespace}\u0000${key}=${value}`;
}

/** Pods of one workload carry the same terms: compiled once, shared (bounded). */
const compiled = new Map<string, AffinityTerm>();
const MAX_COMPILED = 10_000;

function compileTerm(term: PodAffinityTerm, podNamespace: string, weight: number): AffinityTerm {
  const id = JSON.stringify([term, podNamespace, weight]);
  const hit = compiled.get(id);
  if (hit) return hit;
  const namespaces = new Set(term.namespaces ?? []);
  if (namespaces.size === 0 && !term.namespaceSelector) namespaces.add(podNamespace);
  const selector = labelSelectorFromObject(term.labelSelector ?? null);
  const only = selector.requirements.length === 1 ? selector.requirements[0] : undefined;
  const single = only && (only.op === '=' || only.op === '==' || (only.op === 'in' && only.values.length === 1));
  const out: AffinityTerm = {
    selector,
    namespaces,
    namespaceSelector: term.namespaceSelector ? labelSelectorFromObject(term.namespaceSelector) : undefined,
    topologyKey: term.topologyKey,
    weight,
    countKey: single && namespaces.size === 1 && !term.namespaceSelector ? labelCountKey([...namespaces][0], only.key, only.values[0]) : undefined,
  };
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(id, out);
  return out;
}

function required(terms: PodAffinityTerm[] | undefined, ns: string): AffinityTerm[] {
  return (terms ?? []).map((t) => compileTerm(t, ns, 0));
}

function preferred(terms: WeightedPodAffinityTerm[] | undefined, ns: string): AffinityTerm[] {
  return (terms ?? []).map((t) => compileTerm(t.podAffinityTerm, ns, t.weight));
}

/** Whether `term` selects `pod` (namespace by list or namespaceSelector, then labels). */
export function termMatches(term: AffinityTerm, pod: PodInfo, namespaceLabels: (ns: string) => Record<string, string> | undefined): boolean {
  if (!term.namespaces.has(pod.namespace)) {
    if (!term.namespaceSelector || !term.namespaceSelector.matches(namespaceLabels(pod.namespace) ?? {})) return false;
  }
  return term.selector.matches(pod.labels);
}

/** Facts by pod object: the informer's add, the attempt and the cache see the same object. */
const infos = new WeakMap<Pod, PodInfo>();

/** The pod's scheduling facts, worked out once per object (pods are never changed in place: informers hand out new objects). */
export function podInfo(pod: Pod): PodInfo {
  let info = infos.get(pod);
  if (!info) infos.set(pod, (info = factsOf(pod)));
  return info;
}

function factsOf(pod: Pod): PodInfo {
  const ns = pod.metadata?.namespace ?? 'default';
  const nonZero = podRequests(pod, nonZeroRequestsOf);
  const aff = pod.spec?.affinity;
  return {
    pod,
    key: objectKey(pod as Parameters<typeof objectKey>[0]),
    uid: pod.metadata?.uid ?? '',
    namespace: ns,
    labels: pod.metadata?.labels ?? {},
    priority: pod.spec?.priority ?? 0,
    requests: podRequests(pod, requestsOf),
    nonZeroCPU: nonZero.milliCPU,
    nonZeroMemory: nonZero.memory,
    hostPorts: hostPorts(pod),
    tolerations: pod.spec?.tolerations ?? [],
    requiredAffinity: required(aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution, ns),
    requiredAntiAffinity: required(aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution, ns),
    preferredAffinity: preferred(aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution, ns),
    preferredAntiAffinity: preferred(aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution, ns),
    nominatedNode: pod.status?.nominatedNodeName || undefined,
    terminating: !!pod.metadata?.deletionTimestamp,
  };
}
