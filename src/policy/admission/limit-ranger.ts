/**
 * The LimitRanger admission plugin: a namespace's LimitRanges give containers that leave them out
 * a default limit (`default`) and request (`defaultRequest`) — recorded in the pod's
 * `kubernetes.io/limit-ranger` annotation — and refuse pods and PersistentVolumeClaims outside
 * `min`/`max`/`maxLimitRequestRatio` for the Container, Pod and PersistentVolumeClaim types, with
 * kube-apiserver's messages ("maximum cpu usage per Container is 800m, but limit is 1500m"). Pods are
 * defaulted and checked on create only (their containers' resources cannot change afterwards).
 */
import type { AdmissionAttributes, AdmissionPlugin } from '../../controlplane/api/admission.js';
import { StatusError } from '../../controlplane/api/errors.js';
import type { Client } from '../../controlplane/client/client.js';
import { refs } from '../../controlplane/client/refs.js';
import { formatAmount, parseAmount, type Amounts } from '../../controlplane/resources/quantities.js';
import { podTotals, type Container, type PodLike, type ResourceList } from '../../controlplane/resources/quota-usage.js';
import type { KubeObject } from '../../controlplane/resources/types.js';


interface LimitRangeItem {
  type: string;
  min?: ResourceList;
  max?: ResourceList;
  default?: ResourceList;
  defaultRequest?: ResourceList;
  maxLimitRequestRatio?: ResourceList;
}

interface LimitRange {
  spec?: { limits?: LimitRangeItem[] };
}

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

/** Fills missing requests and limits from the Container items' defaults; returns the annotation text, if any was set. */
export function applyDefaults(ranges: LimitRange[], pod: PodLike): string | undefined {
  const limits: ResourceList = {};
  const requests: ResourceList = {};
  for (const r of ranges) {
    for (const item of r.spec?.limits ?? []) {
      if (item.type !== 'Container') continue;
      Object.assign(requests, item.defaultRequest ?? {});
      Object.assign(limits, item.default ?? {});
    }
  }
  const notes: string[] = [];
  const merge = (c: Container, kind: string) => {
    const res = (c.resources ??= {});
    const setLimits = Object.keys(limits).filter((k) => !(k in (res.limits ?? {})));
    const setRequests = Object.keys(requests).filter((k) => !(k in (res.requests ?? {})));
    if (setLimits.length > 0) res.limits = { ...res.limits, ...Object.fromEntries(setLimits.map((k) => [k, limits[k]])) };
    if (setRequests.length > 0) res.requests = { ...res.requests, ...Object.fromEntries(setRequests.map((k) => [k, requests[k]])) };
    if (setRequests.length > 0) notes.push(`${setRequests.sort().join(', ')} request for ${kind} ${c.name}`);
    if (setLimits.length > 0) notes.push(`${setLimits.sort().join(', ')} limit for ${kind} ${c.name}`);
  };
  for (const c of pod.spec?.containers ?? []) merge(c, 'container');
  for (const c of pod.spec?.initContainers ?? []) merge(c, 'init container');
  return notes.length > 0 ? `LimitRanger plugin set: ${notes.join('; ')}` : undefined;
}

const show = (v: string | number) => formatAmount(parseAmount(v));

function minConstraint(type: string, name: string, enforced: string | number, req: ResourceList, lim: ResourceList): string | undefined {
  const e = parseAmount(enforced).nano;
  if (!(name in req)) return `minimum ${name} usage per ${type} is ${show(enforced)}.  No request is specified`;
  if (parseAmount(req[name]).nano < e) return `minimum ${name} usage per ${type} is ${show(enforced)}, but request is ${show(req[name])}`;
  if (name in lim && parseAmount(lim[name]).nano < e) return `minimum ${name} usage per ${type} is ${show(enforced)}, but limit is ${show(lim[name])}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: string | number, req: ResourceList, lim: ResourceList): string | undefined {
  const e = parseAmount(enforced).nano;
  if (!(name in lim)) return `maximum ${name} usage per ${type} is ${show(enforced)}.  No limit is specified`;
  if (parseAmount(lim[name]).nano > e) return `maximum ${name} usage per ${type} is ${show(enforced)}, but limit is ${show(lim[name])}`;
  if (name in req && parseAmount(req[name]).nano > e) return `maximum ${name} usage per ${type} is ${show(enforced)}, but request is ${show(req[name])}`;
  return undefined;
}

/** PVCs have no limits: max applies to the request. */
function maxRequestConstraint(type: string, name: string, enforced: string | number, req: ResourceList): string | undefined {
  if (!(name in req)) return `maximum ${name} usage per ${type} is ${show(enforced)}.  No request is specified`;
  if (parseAmount(req[name]).nano > parseAmount(enforced).nano) return `maximum ${name} usage per ${type} is ${show(enforced)}, but request is ${show(req[name])}`;
  return undefined;
}

function ratioConstraint(type: string, name: string, enforced: string | number, req: ResourceList, lim: ResourceList): string | undefined {
  const r = name in req ? parseAmount(req[name]).nano : 0n;
  const l = name in lim ? parseAmount(lim[name]).nano : 0n;
  if (r === 0n) return `${name} max limit to request ratio per ${type} is ${show(enforced)}, but no request is specified or request is 0`;
  if (l === 0n) return `${name} max limit to request ratio per ${type} is ${show(enforced)}, but no limit is specified or limit is 0`;
  const ratio = Number(l) / Number(r);
  if (l * 1_000_000_000n > parseAmount(enforced).nano * r) return `${name} max limit to request ratio per ${type} is ${show(enforced)}, but provided ratio is ${ratio.toFixed(6)}`;
  return undefined;
}

const names = (l: ResourceList | undefined) => Object.keys(l ?? {}).sort();

/** Checks min, max and ratio of every item against one request/limit pair. */
function checkItem(item: LimitRangeItem, req: ResourceList, lim: ResourceList): string[] {
  const out: (string | undefined)[] = [];
  for (const n of names(item.min)) out.push(minConstraint(item.type, n, item.min![n], req, lim));
  for (const n of names(item.max)) out.push(maxConstraint(item.type, n, item.max![n], req, lim));
  for (const n of names(item.maxLimitRequestRatio)) out.push(ratioConstraint(item.type, n, item.maxLimitRequestRatio![n], req, lim));
  return out.filter((m): m is string => m !== undefined);
}

const asList = (a: Amounts): ResourceList => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, formatAmount(v)]));

/** Every min/max/ratio violation of the pod, in Kubernetes' wording and order. */
export function podViolations(ranges: LimitRange[], pod: PodLike): string[] {
  const out: string[] = [];
  for (const r of ranges) {
    for (const item of r.spec?.limits ?? []) {
      if (item.type === 'Container') {
        for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) out.push(...checkItem(item, c.resources?.requests ?? {}, c.resources?.limits ?? {}));
      } else if (item.type === 'Pod') {
        out.push(...checkItem(item, asList(podTotals(pod, 'requests')), asList(podTotals(pod, 'limits'))));
      }
    }
  }
  return out;
}

interface ClaimLike {
  spec?: { resources?: { requests?: ResourceList } };
}

export function claimViolations(ranges: LimitRange[], claim: ClaimLike): string[] {
  const out: (string | undefined)[] = [];
  const req = claim.spec?.resources?.requests ?? {};
  for (const r of ranges) {
    for (const item of r.spec?.limits ?? []) {
      if (item.type !== 'PersistentVolumeClaim') continue;
      for (const n of names(item.min)) out.push(minConstraint(item.type, n, item.min![n], req, {}));
      for (const n of names(item.max)) out.push(maxRequestConstraint(item.type, n, item.max![n], req));
    }
  }
  return out.filter((m): m is string => m !== undefined);
}

/** One message for several errors, as apimachinery's aggregate prints them. */
export function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

export interface LimitRangerOptions {
  /** reads LimitRanges live when the cache has not synced */
  client: () => Client;
  /** a namespace's LimitRanges from a list-watch cache; undefined until it has synced */
  cachedRanges?: (namespace: string) => KubeObject[] | undefined;
}

function kindOf(a: AdmissionAttributes): 'pod' | 'claim' | undefined {
  if (a.type.group !== '' || a.subresource || !a.object) return undefined;
  if (a.type.resource === 'pods' && a.operation === 'CREATE') return 'pod';
  if (a.type.resource === 'persistentvolumeclaims' && (a.operation === 'CREATE' || a.operation === 'UPDATE')) return 'claim';
  return undefined;
}

export function limitRangerPlugin(opts: LimitRangerOptions): AdmissionPlugin {
  const ranges = async (ns: string): Promise<LimitRange[]> =>
    (opts.cachedRanges?.(ns) ?? (await opts.client().list(refs.limitranges, { namespace: ns })).items) as LimitRange[];
  const forbidden = (a: AdmissionAttributes, messages: string[]) =>
    new StatusError('Forbidden', `${a.type.resource} "${a.name}" is forbidden: ${aggregate(messages)}`, { kind: a.type.resource, name: a.name });
  return {
    name: 'LimitRanger',
    async mutate(a) {
      if (kindOf(a) !== 'pod') return;
      const list = await ranges(a.namespace);
      if (list.length === 0) return;
      const pod = a.object as PodLike;
      const note = applyDefaults(list, pod);
      if (note) (pod.metadata ??= {}).annotations = { ...pod.metadata?.annotations, [LIMIT_RANGER_ANNOTATION]: note };
    },
    async validate(a) {
      const kind = kindOf(a);
      if (!kind) return;
      const list = await ranges(a.namespace);
      if (list.length === 0) return;
      const messages = kind === 'pod' ? podViolations(list, a.object as PodLike) : claimViolations(list, a.object as ClaimLike);
      if (messages.length > 0) throw forbidden(a, messages);
    },
  };
}
