/**
 * The Metrics API's objects (metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, as metrics-server
 * serves them) built from the usage summaries node agents report. Pure: serving lives in metrics-api.ts.
 */

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
export const METRICS_API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

/** The group as discovery lists it (metrics-server's APIResourceList). */
export const METRICS_RESOURCES = [
  { resource: 'nodes', kind: 'NodeMetrics', namespaced: false },
  { resource: 'pods', kind: 'PodMetrics', namespaced: true },
] as const;

export const METRICS_VERBS = ['get', 'list'];

/** A usage over a window, as metrics.k8s.io reports it. */
export interface Usage {
  /** CPU in billionths of a core */
  cpuNanoCores: number;
  memoryBytes: number;
  /** end of the window (ms since the epoch) */
  timestampMs: number;
  windowMs: number;
}

export interface ContainerUsage {
  name: string;
  cpuNanoCores: number;
  memoryBytes: number;
}

export interface PodUsage {
  namespace: string;
  name: string;
  uid: string;
  timestampMs: number;
  windowMs: number;
  containers: ContainerUsage[];
}

/**
 * What a node agent reports for one node (the agent's `GET /metrics/resource`, JSON): the node's
 * usage and that of every pod with a running container on it.
 */
export interface NodeUsageSummary {
  node: string;
  usage: Usage;
  pods: PodUsage[];
}

/** CPU as metrics-server writes it: whole nanocores (`123456n`). */
export function cpuQuantity(nanoCores: number): string {
  return `${Math.max(0, Math.round(nanoCores))}n`;
}

/** Memory as metrics-server writes it: whole kibibytes (`2048Ki`). */
export function memoryQuantity(bytes: number): string {
  return `${Math.max(0, Math.round(bytes / 1024))}Ki`;
}

/** A window as a metav1.Duration string (`15s`, `1.5s`). */
export function windowDuration(ms: number): string {
  return `${Number((Math.max(0, ms) / 1000).toFixed(3))}s`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** NodeMetrics of a node (its labels are the Node's, as metrics-server copies them). */
export function nodeMetrics(summary: NodeUsageSummary, labels: Record<string, string> | undefined, nowMs: number): Record<string, unknown> {
  return {
    kind: 'NodeMetrics',
    apiVersion: METRICS_API_VERSION,
    metadata: { name: summary.node, creationTimestamp: iso(nowMs), ...(labels ? { labels } : {}) },
    timestamp: iso(summary.usage.timestampMs),
    window: windowDuration(summary.usage.windowMs),
    usage: { cpu: cpuQuantity(summary.usage.cpuNanoCores), memory: memoryQuantity(summary.usage.memoryBytes) },
  };
}

/** PodMetrics of a pod (labels from the Pod). */
export function podMetrics(pod: PodUsage, labels: Record<string, string> | undefined, nowMs: number): Record<string, unknown> {
  return {
    kind: 'PodMetrics',
    apiVersion: METRICS_API_VERSION,
    metadata: { name: pod.name, namespace: pod.namespace, creationTimestamp: iso(nowMs), ...(labels ? { labels } : {}) },
    timestamp: iso(pod.timestampMs),
    window: windowDuration(pod.windowMs),
    containers: pod.containers.map((c) => ({ name: c.name, usage: { cpu: cpuQuantity(c.cpuNanoCores), memory: memoryQuantity(c.memoryBytes) } })),
  };
}

export function metricsList(kind: 'NodeMetrics' | 'PodMetrics', items: Record<string, unknown>[]): Record<string, unknown> {
  return { kind: `${kind}List`, apiVersion: METRICS_API_VERSION, metadata: {}, items };
}
