/**
 * The Metrics API (metrics.k8s.io/v1beta1: `kubectl top`), served by the API server itself rather
 * than by an aggregated metrics-server: read-only `get` and `list` of NodeMetrics (`nodes`) and
 * PodMetrics (`pods`, namespaced). Each request asks the agents of the nodes concerned for their
 * usage summary through a `MetricsSource` (the node agents' registry, src/agent/connector.ts); the
 * agents keep the rates (and a short cache), so the API server keeps no state. A node whose agent
 * does not answer is left out of lists, as metrics-server leaves out nodes it could not scrape.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { errors, StatusError } from '../errors.js';
import type { ObjectService } from '../objects.js';
import type { ResourcePath } from '../paths.js';
import { jsonResponse, type ApiRequest, type ApiResponse } from '../request.js';
import { parseSelection, selectableOf } from '../selection.js';
import { registry } from '../../resources/registry.js';
import type { KubeObject, ResourceType } from '../../resources/types.js';
import { METRICS_GROUP, METRICS_RESOURCES, METRICS_VERSION, metricsList, nodeMetrics, podMetrics, type NodeUsageSummary, type PodUsage } from './metrics-objects.js';

/** Where the usage of a node comes from: its agent. */
export interface MetricsSource {
  /** the summary of `nodeName`'s agent; rejects when no agent of that node answers */
  nodeSummary(nodeName: string, signal?: AbortSignal): Promise<NodeUsageSummary>;
}

/** How many agents one request asks at once. */
const CONCURRENCY = 32;

const sources = new WeakMap<ObjectService, MetricsSource>();

export function setMetricsSource(objects: ObjectService, source: MetricsSource): void {
  sources.set(objects, source);
}

function coreType(resource: string): ResourceType {
  const t = registry.find('', 'v1', resource);
  if (!t) throw new Error(`the registry has no core/v1 ${resource}`);
  return t;
}

/** Summaries of `nodes`, asked `CONCURRENCY` at a time; nodes whose agent fails are missing. */
async function summaries(source: MetricsSource, nodes: string[], signal?: AbortSignal): Promise<Map<string, NodeUsageSummary>> {
  const out = new Map<string, NodeUsageSummary>();
  const queue = [...new Set(nodes)];
  const worker = async () => {
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
      const s = await source.nodeSummary(n, signal).catch(() => undefined);
      if (s) out.set(n, s);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
  return out;
}

async function readOrNotFound(objects: ObjectService, type: ResourceType, namespace: string, name: string, resource: string): Promise<KubeObject> {
  try {
    return (await objects.get(type, namespace, name)).object;
  } catch (e) {
    if (e instanceof StatusError && e.reason === 'NotFound') throw errors.notFound({ resource, group: METRICS_GROUP, name });
    throw e;
  }
}

/** Answers a request for metrics.k8s.io (already authenticated and authorized). */
export async function serveMetrics(objects: ObjectService, req: ApiRequest, rp: ResourcePath, method: string): Promise<ApiResponse> {
  const known = METRICS_RESOURCES.find((r) => r.resource === rp.resource);
  if (rp.version !== METRICS_VERSION || !known || rp.subresource || (rp.namespace !== undefined && !known.namespaced)) {
    throw new StatusError('NotFound', `the server could not find the requested resource: no resource "${rp.resource}${rp.subresource ? '/' + rp.subresource : ''}" in ${METRICS_GROUP}/${rp.version}`);
  }
  if (method !== 'GET') throw errors.methodNotAllowed(`${method} is not supported on ${rp.resource}.${METRICS_GROUP}: the Metrics API is read-only (get, list)`);
  if (req.query.get('watch') === 'true' || req.query.get('watch') === '1') throw errors.methodNotAllowed(`watch is not supported on ${rp.resource}.${METRICS_GROUP}: list it again instead`);
  const source = sources.get(objects);
  if (!source) throw new StatusError('ServiceUnavailable', `the Metrics API is served from berth's node agents, and none is attached to this API server`);
  const now = Date.now();
  const signal = req.signal;
  if (known.resource === 'nodes') {
    const type = coreType('nodes');
    const ref = { resource: 'nodes', group: METRICS_GROUP };
    if (rp.name !== undefined) {
      const node = await readOrNotFound(objects, type, '', rp.name, 'nodes');
      const s = await source.nodeSummary(rp.name, signal).catch(() => undefined);
      if (!s) throw errors.notFound({ ...ref, name: rp.name });
      return jsonResponse(200, nodeMetrics(s, node.metadata?.labels, now));
    }
    const selection = parseSelection(type, req.query.get('labelSelector'), req.query.get('fieldSelector'));
    const nodes = ((await objects.list(type, '')) as (Node & KubeObject)[]).filter((n) => !selection || selection.matches(selectableOf(type, n)));
    const found = await summaries(source, nodes.map((n) => n.metadata!.name!), signal);
    const items = nodes.flatMap((n) => {
      const s = found.get(n.metadata!.name!);
      return s ? [nodeMetrics(s, n.metadata?.labels, now)] : [];
    });
    return jsonResponse(200, metricsList('NodeMetrics', items));
  }
  const type = coreType('pods');
  const namespace = rp.namespace ?? '';
  let pods: (Pod & KubeObject)[];
  if (rp.name !== undefined) {
    pods = [(await readOrNotFound(objects, type, namespace, rp.name, 'pods')) as Pod & KubeObject];
  } else {
    const selection = parseSelection(type, req.query.get('labelSelector'), req.query.get('fieldSelector'));
    pods = ((await objects.list(type, namespace)) as (Pod & KubeObject)[]).filter((p) => !selection || selection.matches(selectableOf(type, p)));
  }
  const onNodes = pods.filter((p) => p.spec?.nodeName);
  const found = await summaries(source, onNodes.map((p) => p.spec!.nodeName!), signal);
  const byUid = new Map<string, PodUsage>();
  for (const s of found.values()) for (const p of s.pods) byUid.set(p.uid, p);
  const items = onNodes.flatMap((p) => {
    const u = byUid.get(p.metadata?.uid ?? '');
    return u ? [podMetrics(u, p.metadata?.labels, now)] : [];
  });
  if (rp.name !== undefined) {
    if (!items.length) throw errors.notFound({ resource: 'pods', group: METRICS_GROUP, name: rp.name });
    return jsonResponse(200, items[0]);
  }
  return jsonResponse(200, metricsList('PodMetrics', items));
}
