/**
 * How the API server reaches node agents for pods/log, exec, attach, portforward and the Metrics
 * API's usage summaries: a registry keyed by node name, installed on the API handler with
 * `servePodSubresources`. Agents in the same process (`berth up`) register themselves; for other
 * nodes the registry asks the agent's own server (agent-server.ts) at the node's InternalIP and
 * daemonEndpoints port, authenticated with the node's agent key: plain HTTP for logs and usage, a
 * WebSocket for the streams (v5.channel.k8s.io for exec and attach; one TCP connection's bytes and
 * half-closes for a port, socket-relay.ts).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { createWebSocketStream, WebSocket } from 'ws';
import type { ApiHandler } from '../controlplane/api/handler.js';
import { errors, REASON_CODES, StatusError, type StatusReason } from '../controlplane/api/errors.js';
import type { ApiResponse } from '../controlplane/api/request.js';
import { setPodConnector, type PodConnector } from '../controlplane/api/subresources.js';
import { setMetricsSource, type MetricsSource } from '../controlplane/api/metrics/metrics-api.js';
import type { NodeUsageSummary } from '../controlplane/api/metrics/metrics-objects.js';
import type { KubeObject } from '../controlplane/resources/types.js';
import type { Client } from '../controlplane/client/client.js';
import { refs } from '../controlplane/client/refs.js';
import { remoteCommandClient, V5_PROTOCOL } from '../controlplane/api/streaming/channel-protocol.js';
import type { CommandOutput, RemoteCommandOptions, RemoteCommandSession } from '../controlplane/api/streaming/session.js';
import { agentKeySecretName } from '../policy/admission/node-restriction.js';
import { RuntimeError, type LogOptions, type LogStream } from './runtime/runtime.js';
import { HALF_CLOSE_HEADER, relayStream } from './socket-relay.js';

/** What a node agent serves to the registry (see PodRuntime for the contracts). */
export interface PodStreamSource {
  logs(pod: Pod, opts: LogOptions): Promise<LogStream>;
  exec(pod: Pod, opts: RemoteCommandOptions, output: CommandOutput): Promise<RemoteCommandSession>;
  attach(pod: Pod, opts: RemoteCommandOptions, output: CommandOutput): Promise<RemoteCommandSession>;
  portForward(pod: Pod, port: number): Promise<Duplex>;
  /** the usage summary of one of the agent's nodes, for the Metrics API (metrics/node-usage.ts) */
  resourceUsage(nodeName: string): Promise<NodeUsageSummary>;
}

/** A runtime's refusal as the Status the client sees. */
export function runtimeStatus(e: unknown): unknown {
  return e instanceof RuntimeError ? new StatusError(e.reason, e.message) : e;
}

/** The query an agent's server takes for an exec or attach (the pods/exec query). */
export function remoteCommandQuery(opts: RemoteCommandOptions): URLSearchParams {
  const q = new URLSearchParams();
  for (const c of opts.command) q.append('command', c);
  q.set('container', opts.container);
  for (const k of ['stdin', 'stdout', 'stderr', 'tty'] as const) if (opts[k]) q.set(k, 'true');
  return q;
}

/** pods/log query parameters as LogOptions; throws BadRequest on malformed numbers. */
export function logOptions(q: URLSearchParams): LogOptions {
  const num = (k: string): number | undefined => {
    const v = q.get(k);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw errors.badRequest(`${k} must be an integer (got "${v}")`);
    return n;
  };
  const flag = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  return {
    container: q.get('container') || undefined,
    follow: flag('follow'),
    previous: flag('previous'),
    timestamps: flag('timestamps'),
    tailLines: num('tailLines'),
    sinceSeconds: num('sinceSeconds'),
    sinceTime: q.get('sinceTime') || undefined,
    limitBytes: num('limitBytes'),
  };
}

/** A LogStream as an API response: a plain body when it ends at once, else a chunked stream. */
export function logResponse(stream: LogStream): ApiResponse {
  const headers = { 'content-type': 'text/plain' };
  const early: string[] = [];
  let ended = false;
  let sink: { write(c: string): boolean; end(): void } | undefined;
  const stop = stream.start(
    (c) => (sink ? sink.write(c) : early.push(c)),
    () => {
      ended = true;
      sink?.end();
    },
  );
  if (ended) return { status: 200, headers, body: early.join('') };
  return {
    status: 200,
    headers,
    stream: (s) => {
      sink = s;
      for (const c of early.splice(0)) s.write(c);
      if (ended) s.end();
      return stop;
    },
  };
}

export interface RegistryOptions {
  /** reads Nodes and agent keys for agents in other processes; without it only local agents are reachable */
  client?: Client;
}

/** How long the API server waits for an agent's usage summary before leaving the node out. */
const SUMMARY_TIMEOUT_MS = 5_000;

/** The path of a node's usage summary on the agent's server. */
function summaryPath(nodeName: string): string {
  return `/nodes/${encodeURIComponent(nodeName)}/metrics/resource`;
}

/** The registry of node agents the API server proxies pods/log to, and asks for the Metrics API's usage. */
export class PodConnectorRegistry implements PodConnector, MetricsSource {
  private readonly local = new Map<string, PodStreamSource>();

  constructor(private readonly opts: RegistryOptions = {}) {}

  /** An in-process agent serves `nodeName`; returns the unregister function. */
  register(nodeName: string, source: PodStreamSource): () => void {
    this.local.set(nodeName, source);
    return () => {
      if (this.local.get(nodeName) === source) this.local.delete(nodeName);
    };
  }

  async connect(subresource: string, obj: KubeObject, query: URLSearchParams, signal?: AbortSignal): Promise<ApiResponse> {
    const pod = obj as Pod;
    const name = pod.metadata?.name ?? '';
    if (subresource !== 'log') throw new StatusError('NotFound', `pods/${subresource} is not served by berth's node agents yet`);
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
    const opts = logOptions(query);
    const source = this.local.get(nodeName);
    if (source) return logResponse(await source.logs(pod, opts).catch((e) => Promise.reject(runtimeStatus(e))));
    return this.remote(nodeName, pod, query, signal);
  }

  exec(pod: Pod, opts: RemoteCommandOptions, output: CommandOutput): Promise<RemoteCommandSession> {
    const source = this.source(pod);
    if (source) return source.exec(pod, opts, output).catch((e) => Promise.reject(runtimeStatus(e)));
    return this.dial(pod, `exec?${remoteCommandQuery(opts)}`, [V5_PROTOCOL]).then(({ ws }) => remoteCommandClient(ws, output));
  }

  attach(pod: Pod, opts: RemoteCommandOptions, output: CommandOutput): Promise<RemoteCommandSession> {
    const source = this.source(pod);
    if (source) return source.attach(pod, opts, output).catch((e) => Promise.reject(runtimeStatus(e)));
    return this.dial(pod, `attach?${remoteCommandQuery(opts)}`, [V5_PROTOCOL]).then(({ ws }) => remoteCommandClient(ws, output));
  }

  portForward(pod: Pod, port: number): Promise<Duplex> {
    const source = this.source(pod);
    if (source) return source.portForward(pod, port).catch((e) => Promise.reject(runtimeStatus(e)));
    // an agent that answers the half-close header passes each direction's end on (socket-relay.ts)
    return this.dial(pod, `portforward?port=${port}`, [], { [HALF_CLOSE_HEADER]: '1' }).then(({ ws, headers }) => (headers[HALF_CLOSE_HEADER] === '1' ? relayStream(ws) : createWebSocketStream(ws)));
  }

  async nodeSummary(nodeName: string, signal?: AbortSignal): Promise<NodeUsageSummary> {
    const source = this.local.get(nodeName);
    if (source) return source.resourceUsage(nodeName);
    const { address, port, token } = await this.endpoint(nodeName);
    const timeout = AbortSignal.timeout(SUMMARY_TIMEOUT_MS);
    const body = await new Promise<string>((resolve, reject) => {
      const r = http.request({ host: address, port, path: summaryPath(nodeName), method: 'GET', headers: { authorization: `Bearer ${token}` }, signal: signal ? AbortSignal.any([signal, timeout]) : timeout }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new StatusError('ServiceUnavailable', `node agent of "${nodeName}" answered ${res.statusCode} for its usage`))));
        res.on('error', reject);
      });
      r.on('error', (e) => reject(new StatusError('ServiceUnavailable', `node agent of "${nodeName}" at ${address}:${port}: ${e.message}`)));
      r.end();
    });
    return JSON.parse(body) as NodeUsageSummary;
  }

  /** The in-process agent of the pod's node; undefined when the node's agent runs elsewhere. */
  private source(pod: Pod): PodStreamSource | undefined {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw errors.badRequest(`pod ${pod.metadata?.name} does not have a host assigned`);
    return this.local.get(nodeName);
  }

  /** Where the agent of `nodeName` serves, and the key it accepts. */
  private async endpoint(nodeName: string): Promise<{ address: string; port: number; token: string }> {
    const client = this.opts.client;
    const node = client && (await client.find<Node>(refs.nodes, nodeName));
    const port = node?.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    const address = node?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (!client || !node || !port || !address) {
      throw new StatusError('ServiceUnavailable', `no node agent serves node "${nodeName}" (it registered no endpoint for pods/log, exec, attach and portforward)`);
    }
    const key = await client.find<{ data?: Record<string, string> }>(refs.secrets, agentKeySecretName(nodeName), 'kube-node-lease');
    return { address, port, token: key?.data?.key ? Buffer.from(key.data.key, 'base64').toString('utf8') : '' };
  }

  private podPath(pod: Pod, rest: string): string {
    return `/pods/${encodeURIComponent(pod.metadata?.namespace ?? '')}/${encodeURIComponent(pod.metadata?.name ?? '')}/${rest}`;
  }

  /** A WebSocket to the agent's server for one stream, and the upgrade's response headers; a refusal becomes the agent's Status. */
  private async dial(pod: Pod, rest: string, protocols: string[], extraHeaders: Record<string, string> = {}): Promise<{ ws: WebSocket; headers: http.IncomingHttpHeaders }> {
    const nodeName = pod.spec!.nodeName!;
    const { address, port, token } = await this.endpoint(nodeName);
    const url = `ws://${address.includes(':') ? `[${address}]` : address}:${port}${this.podPath(pod, rest)}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, { headers: { ...extraHeaders, authorization: `Bearer ${token}`, 'x-pod-uid': pod.metadata?.uid ?? '' }, perMessageDeflate: false });
      let headers: http.IncomingHttpHeaders = {};
      ws.once('upgrade', (res) => (headers = res.headers));
      ws.once('open', () => resolve({ ws, headers }));
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let status: { reason?: string; message?: string } = {};
          try {
            status = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof status;
          } catch {
            // not a Status
          }
          const reason = status.reason && status.reason in REASON_CODES ? (status.reason as StatusReason) : 'ServiceUnavailable';
          reject(new StatusError(reason, status.message ?? `node agent of "${nodeName}" answered ${res.statusCode}`));
        });
      });
      ws.once('error', (e) => reject(new StatusError('ServiceUnavailable', `node agent of "${nodeName}" at ${address}:${port}: ${e.message}`)));
    });
  }

  /** Proxies to the agent's own server, as the API server proxies to the kubelet's port. */
  private async remote(nodeName: string, pod: Pod, query: URLSearchParams, signal?: AbortSignal): Promise<ApiResponse> {
    const { address, port, token } = await this.endpoint(nodeName);
    const path = this.podPath(pod, `log?${query.toString()}`);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const r = http.request({ host: address, port, path, method: 'GET', headers: { authorization: `Bearer ${token}`, 'x-pod-uid': pod.metadata?.uid ?? '' }, signal }, resolve);
      r.on('error', (e) => reject(new StatusError('ServiceUnavailable', `node agent of "${nodeName}" at ${address}:${port}: ${e.message}`)));
      r.end();
    });
    const headers: Record<string, string> = { 'content-type': String(res.headers['content-type'] ?? 'text/plain') };
    return {
      status: res.statusCode ?? 502,
      headers,
      stream: (sink) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => sink.write(c));
        res.on('end', () => sink.end());
        res.on('error', () => sink.end());
        return () => res.destroy();
      },
    };
  }
}

export { agentKeySecretName };

/**
 * Installs a registry on an API server so pods/log, exec, attach, portforward and the Metrics API
 * reach the agents; `client` (the API server's own) lets it reach agents in other processes too.
 */
export function servePodSubresources(handler: ApiHandler, opts: RegistryOptions = {}): PodConnectorRegistry {
  const registry = new PodConnectorRegistry(opts);
  setPodConnector(handler.objects, registry);
  setMetricsSource(handler.objects, registry);
  return registry;
}
