/**
 * What an object costs against a ResourceQuota (Kubernetes' quota evaluators, pkg/quota/v1): pods
 * (`pods`, `requests.cpu`/`memory`, `limits.*`, bare `cpu`/`memory` = requests, extended
 * `requests.*`, while not terminal), services (`services`, `services.nodeports`,
 * `services.loadbalancers`), PVCs (`persistentvolumeclaims`, `requests.storage`, per storage class),
 * and object counts (`configmaps`, `secrets`, ..., `count/<resource>.<group>` for any kind); quota
 * scopes; the "must specify" constraint; and the admission check that turns a request into new
 * `status.used` values or Kubernetes' "exceeded quota" message. Pure but for `listIn`, the one
 * read it needs; the ResourceQuota admission plugin and the resource-quota controller share it.
 */
import {
  addAmounts,
  amountOf,
  exceededNames,
  maskAmounts,
  maxAmounts,
  parseAmounts,
  prettyPrint,
  removeZeros,
  subtractNonNegative,
  type Amount,
  type Amounts,
} from './quantities.js';
import type { Client } from '../client/client.js';
import { refOf } from '../client/refs.js';
import { registry } from './registry.js';
import type { KubeObject } from './types.js';

export interface GroupResource {
  group: string;
  resource: string;
}

export interface ScopedSelectorRequirement {
  scopeName: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: string[];
}

/** The parts of a ResourceQuota the check needs. */
export interface QuotaState {
  name: string;
  /** spec.hard */
  hard: Amounts;
  /** status.used (filled in for every hard resource before checking) */
  used: Amounts;
  /** spec.scopes as Exists selectors, plus spec.scopeSelector.matchExpressions */
  scopes: ScopedSelectorRequirement[];
}

export interface ResourceList {
  [name: string]: string | number;
}

export interface Container {
  name: string;
  restartPolicy?: string;
  resources?: { requests?: ResourceList; limits?: ResourceList };
}

/** The fields of a Pod that quota and limit ranges read. */
export interface PodLike {
  metadata?: { deletionTimestamp?: string; annotations?: Record<string, string> };
  spec?: {
    containers?: Container[];
    initContainers?: Container[];
    overhead?: ResourceList;
    activeDeadlineSeconds?: number;
    priorityClassName?: string;
    affinity?: { podAffinity?: AffinityTerms; podAntiAffinity?: AffinityTerms };
  };
  status?: { phase?: string };
}

interface AffinityTerms {
  requiredDuringSchedulingIgnoredDuringExecution?: { namespaces?: string[]; namespaceSelector?: unknown }[];
  preferredDuringSchedulingIgnoredDuringExecution?: { podAffinityTerm?: { namespaces?: string[]; namespaceSelector?: unknown } }[];
}

/** `count/pods`, `count/deployments.apps`: the object-count name of a resource. */
export function countName(gr: GroupResource): string {
  return `count/${gr.resource}${gr.group ? '.' + gr.group : ''}`;
}

/** The resource a `count/<resource>.<group>` name counts, if it is one. */
export function countedResource(name: string): GroupResource | undefined {
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  return dot < 0 ? { group: '', resource: rest } : { group: rest.slice(dot + 1), resource: rest.slice(0, dot) };
}

/** Core resources also counted under their bare name (`configmaps`...) as well as `count/...`. */
const LEGACY_COUNT: Record<string, string> = {
  configmaps: 'configmaps',
  secrets: 'secrets',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
};

const NATIVE_PREFIXES = ['kubernetes.io/', 'requests.', 'limits.'];
const POD_NAMES = ['pods', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage'];
/** Kubernetes requires these on every container when a quota tracks them (its "mistake" it keeps). */
const MUST_SPECIFY = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);
const ONE = amountOf(1);

function isExtended(name: string): boolean {
  return name.includes('/') && !NATIVE_PREFIXES.some((p) => name.startsWith(p)) && !name.startsWith('count/');
}

/** Quota names a container's requests and limits make (podComputeUsageHelper). */
function computeUsage(requests: Amounts, limits: Amounts): Amounts {
  const out: Amounts = { pods: ONE };
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    if (requests[r]) out[r] = out[`requests.${r}`] = requests[r];
    if (limits[r]) out[`limits.${r}`] = limits[r];
  }
  for (const [r, v] of Object.entries(requests)) {
    if (r.startsWith('hugepages-')) out[r] = out[`requests.${r}`] = v;
    if (isExtended(r)) out[`requests.${r}`] = v;
  }
  return out;
}

/**
 * What the pod's containers ask for together (resourcehelper.PodRequests/PodLimits): the sum of the
 * app containers and sidecars, or the largest init container plus the sidecars started before it
 * when that is more, plus the pod overhead.
 */
export function podTotals(pod: PodLike, which: 'requests' | 'limits'): Amounts {
  const of = (c: Container) => parseAmounts(c.resources?.[which]);
  let total: Amounts = {};
  for (const c of pod.spec?.containers ?? []) total = addAmounts(total, of(c));
  let sidecars: Amounts = {};
  let initMax: Amounts = {};
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy === 'Always') {
      sidecars = addAmounts(sidecars, of(c));
      initMax = maxAmounts(initMax, sidecars);
    } else {
      initMax = maxAmounts(initMax, addAmounts(of(c), sidecars));
    }
  }
  total = maxAmounts(addAmounts(total, sidecars), initMax);
  const overhead = parseAmounts(pod.spec?.overhead);
  if (which === 'requests' || Object.keys(total).length > 0) total = addAmounts(total, maskAmounts(overhead, which === 'limits' ? Object.keys(total) : Object.keys(overhead)));
  return total;
}

/** A pod stops counting for compute resources once terminal or past its deletion grace (QuotaV1Pod). */
export function podCountsForCompute(pod: PodLike, now: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const del = pod.metadata?.deletionTimestamp;
  return !(del && Date.parse(del) <= now);
}

function podUsage(pod: PodLike, now: number): Amounts {
  const out: Amounts = { 'count/pods': ONE };
  if (!podCountsForCompute(pod, now)) return out;
  return { ...out, ...computeUsage(podTotals(pod, 'requests'), podTotals(pod, 'limits')) };
}

function isBestEffort(pod: PodLike): boolean {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return all.every((c) => ['requests', 'limits'].every((w) => !Object.keys(c.resources?.[w as 'requests'] ?? {}).some((r) => r === 'cpu' || r === 'memory')));
}

function crossNamespaceAffinity(pod: PodLike): boolean {
  const terms = (t?: AffinityTerms) => [
    ...(t?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(t?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => w.podAffinityTerm ?? {}),
  ];
  const a = pod.spec?.affinity;
  return [...terms(a?.podAffinity), ...terms(a?.podAntiAffinity)].some((t) => (t.namespaces?.length ?? 0) > 0 || t.namespaceSelector !== undefined);
}

function podMatchesScope(sel: ScopedSelectorRequirement, pod: PodLike): boolean {
  switch (sel.scopeName) {
    case 'Terminating':
      return (pod.spec?.activeDeadlineSeconds ?? -1) >= 0;
    case 'NotTerminating':
      return !((pod.spec?.activeDeadlineSeconds ?? -1) >= 0);
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'CrossNamespacePodAffinity':
      return crossNamespaceAffinity(pod);
    case 'PriorityClass': {
      const pc = pod.spec?.priorityClassName ?? '';
      switch (sel.operator) {
        case 'Exists':
          return pc !== '';
        case 'DoesNotExist':
          return pc === '';
        case 'In':
          return pc !== '' && (sel.values ?? []).includes(pc);
        case 'NotIn':
          return pc === '' || !(sel.values ?? []).includes(pc);
      }
      return false;
    }
  }
  return false;
}

/** How one resource is charged (Kubernetes' quota.Evaluator). */
export interface Evaluator {
  /** the quota names this resource can consume, of `names` */
  matchingResources(names: string[]): string[];
  /** what the object costs */
  usage(obj: KubeObject, now: number): Amounts;
  /** whether the object falls in the scope (objects other than pods match no scope) */
  matchesScope(sel: ScopedSelectorRequirement, obj: KubeObject): boolean;
  /** which writes are charged */
  handles(operation: string, subresource: string | undefined): boolean;
  /** the message when the object lacks what `required` needs, else undefined */
  constraints?(required: string[], obj: KubeObject): string | undefined;
}

const createOnly = (op: string, sub: string | undefined) => op === 'CREATE' && !sub;
const createOrUpdate = (op: string, sub: string | undefined) => (op === 'CREATE' || op === 'UPDATE') && !sub;

const podEvaluator: Evaluator = {
  matchingResources: (names) => names.filter((n) => POD_NAMES.includes(n) || n === 'count/pods' || n.startsWith('hugepages-') || n.startsWith('requests.hugepages-') || (n.startsWith('requests.') && isExtended(n.slice('requests.'.length)))),
  usage: (obj, now) => podUsage(obj as PodLike, now),
  matchesScope: (sel, obj) => podMatchesScope(sel, obj as PodLike),
  handles: createOnly,
  constraints(required, obj) {
    const need = required.filter((r) => MUST_SPECIFY.has(r));
    if (need.length === 0) return undefined;
    const pod = obj as PodLike;
    const missing = new Map<string, Set<string>>();
    for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
      const has = computeUsage(parseAmounts(c.resources?.requests), parseAmounts(c.resources?.limits));
      for (const r of need) if (!(r in has)) (missing.get(r) ?? missing.set(r, new Set()).get(r)!).add(c.name);
    }
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
};

interface ServiceLike {
  spec?: { type?: string; ports?: { nodePort?: number }[] };
}

const serviceEvaluator: Evaluator = {
  matchingResources: (names) => names.filter((n) => ['services', 'count/services', 'services.nodeports', 'services.loadbalancers'].includes(n)),
  usage(obj) {
    const spec = (obj as ServiceLike).spec ?? {};
    const ports = spec.ports?.length ?? 0;
    const out: Amounts = { services: ONE, 'count/services': ONE, 'services.nodeports': amountOf(0), 'services.loadbalancers': amountOf(0) };
    if (spec.type === 'NodePort') out['services.nodeports'] = amountOf(ports);
    if (spec.type === 'LoadBalancer') {
      out['services.loadbalancers'] = ONE;
      out['services.nodeports'] = amountOf((spec.ports ?? []).filter((p) => p.nodePort !== 0).length);
    }
    return out;
  },
  matchesScope: () => false,
  handles: createOrUpdate,
};

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

interface ClaimLike {
  spec?: { storageClassName?: string; resources?: { requests?: ResourceList } };
}

const claimEvaluator: Evaluator = {
  matchingResources: (names) =>
    names.filter((n) => ['persistentvolumeclaims', 'count/persistentvolumeclaims', 'requests.storage'].includes(n) || n.endsWith(STORAGE_CLASS_SUFFIX + 'requests.storage') || n.endsWith(STORAGE_CLASS_SUFFIX + 'persistentvolumeclaims')),
  usage(obj) {
    const spec = (obj as ClaimLike).spec ?? {};
    const out: Amounts = { persistentvolumeclaims: ONE, 'count/persistentvolumeclaims': ONE };
    const sc = spec.storageClassName;
    if (sc) out[`${sc}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`] = ONE;
    const storage = spec.resources?.requests?.storage;
    if (storage !== undefined) {
      const amount: Amount = parseAmounts({ storage }).storage;
      out['requests.storage'] = amount;
      if (sc) out[`${sc}${STORAGE_CLASS_SUFFIX}requests.storage`] = amount;
    }
    return out;
  },
  matchesScope: () => false,
  handles: createOrUpdate,
};

function countEvaluator(gr: GroupResource): Evaluator {
  const names = [countName(gr), ...(gr.group === '' && LEGACY_COUNT[gr.resource] ? [LEGACY_COUNT[gr.resource]] : [])];
  return {
    matchingResources: (input) => input.filter((n) => names.includes(n)),
    usage: () => Object.fromEntries(names.map((n) => [n, ONE])),
    matchesScope: () => false,
    handles: createOnly,
  };
}

/**
 * Count evaluators by `resource.group`, made once: every write of a namespaced object asks for one,
 * and making it (four closures, each named at run time under tsx) cost more than the check it feeds.
 */
const countEvaluators = new Map<string, Evaluator>();

/** The evaluator charging writes of `gr`. */
export function evaluatorFor(gr: GroupResource): Evaluator {
  if (gr.group === '') {
    if (gr.resource === 'pods') return podEvaluator;
    if (gr.resource === 'services') return serviceEvaluator;
    if (gr.resource === 'persistentvolumeclaims') return claimEvaluator;
  }
  const key = `${gr.resource}.${gr.group}`;
  let ev = countEvaluators.get(key);
  if (!ev) {
    ev = countEvaluator(gr);
    countEvaluators.set(key, ev);
  }
  return ev;
}

/** The resources whose objects a quota with these hard names counts (to list them for its usage). */
export function countedResources(hardNames: string[]): GroupResource[] {
  const out = new Map<string, GroupResource>();
  const add = (gr: GroupResource) => out.set(`${gr.resource}.${gr.group}`, gr);
  for (const gr of [{ group: '', resource: 'pods' }, { group: '', resource: 'services' }, { group: '', resource: 'persistentvolumeclaims' }, ...Object.keys(LEGACY_COUNT).map((r) => ({ group: '', resource: r }))]) {
    if (evaluatorFor(gr).matchingResources(hardNames).length > 0) add(gr);
  }
  for (const n of hardNames) {
    const gr = countedResource(n);
    if (gr) add(gr);
  }
  return [...out.values()];
}

/** Whether a quota applies to the object: it limits something the object uses, and every scope matches. */
export function quotaMatches(q: QuotaState, ev: Evaluator, obj: KubeObject): boolean {
  if (ev.matchingResources(Object.keys(q.hard)).length === 0) return false;
  return q.scopes.every((s) => ev.matchesScope(s, obj));
}

/**
 * A quota's `status.used`: the usage of `objects` (every object of the counted resources in the
 * namespace, by resource) that falls in the quota, masked to its hard names; names nothing uses
 * are 0.
 */
export function calculateUsed(q: QuotaState, objects: { gr: GroupResource; items: KubeObject[] }[], now: number): Amounts {
  const names = Object.keys(q.hard);
  let used: Amounts = Object.fromEntries(names.map((n) => [n, amountOf(0)]));
  for (const { gr, items } of objects) {
    const ev = evaluatorFor(gr);
    const mine = ev.matchingResources(names);
    if (mine.length === 0) continue;
    for (const o of items) if (q.scopes.every((s) => ev.matchesScope(s, o))) used = addAmounts(used, maskAmounts(ev.usage(o, now), mine));
  }
  return used;
}

/** Lists the objects of one resource in the quota's namespace. */
export type ListObjects = (gr: GroupResource) => Promise<KubeObject[]>;

/** Lists the objects of a resource in `namespace` through `client`; none for kinds berth does not serve. */
export function listIn(client: Client, namespace: string): ListObjects {
  return async (gr) => {
    const type = registry.all().find((t) => t.group === gr.group && t.resource === gr.resource && t.namespaced);
    return type ? (await client.list(refOf(type), { namespace })).items : [];
  };
}

/** A quota's usage, counted from what `list` returns for each resource it counts. */
export async function usedByListing(q: QuotaState, list: ListObjects, now: number): Promise<Amounts> {
  const objects = [];
  for (const gr of countedResources(Object.keys(q.hard))) objects.push({ gr, items: await list(gr) });
  return calculateUsed(q, objects, now);
}

export interface QuotaRequest {
  operation: string;
  subresource?: string;
  gr: GroupResource;
  object: KubeObject;
  /** the stored object, for updates */
  oldObject?: KubeObject;
  now: number;
}

/** A request refused by a quota; `message` is Kubernetes' text after `<kind> "<name>" is forbidden: `. */
export class QuotaDenied extends Error {}

/**
 * Kubernetes' CheckRequest: the quotas this request changes, with their new `used`, or QuotaDenied
 * ("exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2", "failed quota: q: must
 * specify limits.cpu for: app"). Returns [] when no quota is charged. `quotas[i].used` must hold a
 * value for each of its hard names.
 */
export function checkRequest(quotas: QuotaState[], req: QuotaRequest): { name: string; used: Amounts }[] {
  const ev = evaluatorFor(req.gr);
  if (!ev.handles(req.operation, req.subresource)) return [];
  const matching = quotas.filter((q) => quotaMatches(q, ev, req.object));
  for (const q of matching) {
    const why = ev.constraints?.(ev.matchingResources(Object.keys(q.hard)), req.object);
    if (why) throw new QuotaDenied(`failed quota: ${q.name}: ${why}`);
  }
  if (matching.length === 0) return [];
  const usage = ev.usage(req.object, req.now);
  const negative = Object.keys(usage).filter((n) => usage[n].nano < 0n);
  if (negative.length > 0) throw new QuotaDenied(`quota usage is negative for resource(s): ${negative.sort().join(',')}`);
  const oldUsage = req.operation === 'UPDATE' && req.oldObject ? ev.usage(req.oldObject, req.now) : undefined;
  const changed: { name: string; used: Amounts }[] = [];
  for (const q of matching) {
    const delta = removeZeros(oldUsage && quotaMatches(q, ev, req.oldObject!) ? subtractNonNegative(usage, oldUsage) : usage);
    const requested = maskAmounts(delta, Object.keys(q.hard));
    if (Object.keys(requested).length === 0) continue;
    const next = addAmounts(q.used, requested);
    const exceeded = exceededNames(maskAmounts(next, Object.keys(requested)), q.hard);
    if (exceeded.length > 0) {
      throw new QuotaDenied(
        `exceeded quota: ${q.name}, requested: ${prettyPrint(maskAmounts(requested, exceeded))}, used: ${prettyPrint(maskAmounts(q.used, exceeded))}, limited: ${prettyPrint(maskAmounts(q.hard, exceeded))}`,
      );
    }
    changed.push({ name: q.name, used: next });
  }
  return changed;
}

interface QuotaObject {
  metadata?: { name?: string };
  spec?: { hard?: ResourceList; scopes?: string[]; scopeSelector?: { matchExpressions?: ScopedSelectorRequirement[] } };
  status?: { hard?: ResourceList; used?: ResourceList };
}

/** The QuotaState of a ResourceQuota object (used as stored; missing names are the caller's to fill). */
export function quotaState(obj: KubeObject): QuotaState {
  const q = obj as QuotaObject;
  return {
    name: q.metadata?.name ?? '',
    hard: parseAmounts(q.spec?.hard),
    used: parseAmounts(q.status?.used),
    scopes: [...(q.spec?.scopes ?? []).map((s) => ({ scopeName: s, operator: 'Exists' })), ...(q.spec?.scopeSelector?.matchExpressions ?? [])],
  };
}

/** Hard names `used` has no value for (the quota's usage was never computed for them). */
export function missingUsage(q: QuotaState): string[] {
  return Object.keys(q.hard).filter((n) => !(n in q.used));
}
