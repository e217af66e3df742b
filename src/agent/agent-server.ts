/**
 * The agent's own HTTP server, for API servers in other processes, as the kubelet serves its port
 * to the API server: `GET /pods/{ns}/{name}/log` with the pods/log query, `GET
 * /nodes/{name}/metrics/resource` (the node's usage summary, JSON: metrics-objects.ts), and
 * WebSocket upgrades of `/pods/{ns}/{name}/exec|attach` (the pods/exec query, v5.channel.k8s.io) and
 * `/pods/{ns}/{name}/portforward?port=N` (one TCP connection's bytes, and with the half-close header
 * each direction's end: socket-relay.ts). Only
 * a caller holding the agent key (published in a Secret in kube-node-lease that only the API server
 * and admins read) gets in.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';
import { asStatusError, StatusError } from '../controlplane/api/errors.js';
import { serveRemoteCommand, V5_PROTOCOL } from '../controlplane/api/streaming/channel-protocol.js';
import { remoteCommandOptions } from '../controlplane/api/streaming/stream-options.js';
import { refuseUpgrade } from '../controlplane/api/streaming/websocket.js';
import type { Client } from '../controlplane/client/client.js';
import { refs } from '../controlplane/client/refs.js';
import type { Agent } from './agent.js';
import { agentKeySecretName, logOptions, logResponse, runtimeStatus } from './connector.js';
import { RuntimeError } from './runtime/runtime.js';
import { HALF_CLOSE_HEADER, relayConnection } from './socket-relay.js';

export interface AgentServer {
  port: number;
  key: string;
  close(): Promise<void>;
}

function sendStatus(res: http.ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}

function sameKey(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => (offered.has(V5_PROTOCOL) ? V5_PROTOCOL : false) });
// a port-forward whose API server asks for half-closes gets them (socket-relay.ts), and says so
wss.on('headers', (headers, req) => {
  if (wantsHalfClose(req)) headers.push(`${HALF_CLOSE_HEADER}: 1`);
});

function wantsHalfClose(req: http.IncomingMessage): boolean {
  return req.headers[HALF_CLOSE_HEADER] === '1' && /\/portforward(\?|$)/.test(req.url ?? '');
}

/** Joins an accepted WebSocket and a pod connection, byte for byte, until either side ends (API servers that do not ask for half-closes). */
function splice(socket: Duplex, ws: WebSocket): void {
  const stream = createWebSocketStream(ws);
  const stop = () => {
    stream.destroy();
    socket.destroy();
  };
  stream.on('error', stop);
  socket.on('error', stop);
  stream.pipe(socket);
  socket.pipe(stream);
}

/** exec, attach, portforward for the API server: refusals are answered before the upgrade. */
async function onUpgrade(agent: () => Agent | undefined, key: string, req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://agent');
  const m = /^\/pods\/([^/]+)\/([^/]+)\/(exec|attach|portforward)$/.exec(url.pathname);
  if (!m) return refuseUpgrade(socket, new StatusError('NotFound', `${url.pathname} is not served by the node agent`));
  if (!sameKey(req.headers.authorization ?? '', `Bearer ${key}`)) return refuseUpgrade(socket, new StatusError('Unauthorized', 'the node agent accepts only the API server'));
  const a = agent();
  const pod: Pod | undefined = a?.pod(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
  const uid = req.headers['x-pod-uid'];
  if (!a || !pod || (uid && pod.metadata?.uid !== uid)) return refuseUpgrade(socket, new StatusError('NotFound', `pod "${decodeURIComponent(m[2])}" is not on this node`));
  const sub = m[3] as 'exec' | 'attach' | 'portforward';
  try {
    if (sub === 'portforward') {
      const conn = await a.portForward(pod, Number(url.searchParams.get('port')));
      wss.handleUpgrade(req, socket, head, (ws) => (wantsHalfClose(req) ? relayConnection(ws, conn) : splice(conn, ws)));
      return;
    }
    const opts = remoteCommandOptions(sub, pod, url.searchParams);
    const open = sub === 'exec' ? a.exec.bind(a) : a.attach.bind(a);
    wss.handleUpgrade(req, socket, head, (ws) => serveRemoteCommand(ws, opts.command, (output) => open(pod, opts, output)));
  } catch (e) {
    refuseUpgrade(socket, asStatusError(runtimeStatus(e)));
  }
}

/** A node's usage summary for the Metrics API (connector.ts asks for it). */
async function serveUsage(a: Agent | undefined, key: string, nodeName: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (!sameKey(req.headers.authorization ?? '', `Bearer ${key}`)) return sendStatus(res, 401, 'Unauthorized', 'the node agent accepts only the API server');
  if (!a || !a.nodeNames.includes(nodeName)) return sendStatus(res, 404, 'NotFound', `node "${nodeName}" is not served by this agent`);
  try {
    const body = JSON.stringify(await a.resourceUsage(nodeName));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  } catch (e) {
    sendStatus(res, 500, 'InternalError', (e as Error).message);
  }
}

/** Serves pods/log of `agent()` (resolved per request, so the server can start before the agent). */
export async function startAgentServer(agent: () => Agent | undefined, opts: { host?: string; port?: number; key?: string } = {}): Promise<AgentServer> {
  const key = opts.key ?? randomBytes(24).toString('base64url');
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://agent');
      const usage = /^\/nodes\/([^/]+)\/metrics\/resource$/.exec(url.pathname);
      if (req.method === 'GET' && usage) return serveUsage(agent(), key, decodeURIComponent(usage[1]), req, res);
      const m = /^\/pods\/([^/]+)\/([^/]+)\/log$/.exec(url.pathname);
      if (req.method !== 'GET' || !m) return sendStatus(res, 404, 'NotFound', `${req.method} ${url.pathname} is not served by the node agent`);
      if (!sameKey(req.headers.authorization ?? '', `Bearer ${key}`)) return sendStatus(res, 401, 'Unauthorized', 'the node agent accepts only the API server');
      const a = agent();
      const pod = a?.pod(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
      const uid = req.headers['x-pod-uid'];
      if (!a || !pod || (uid && pod.metadata?.uid !== uid)) return sendStatus(res, 404, 'NotFound', `pod "${decodeURIComponent(m[2])}" is not on this node`);
      try {
        const r = logResponse(await a.logs(pod, logOptions(url.searchParams)));
        res.writeHead(r.status, r.headers);
        if (!r.stream) return res.end(r.body);
        const stop = r.stream({ write: (c) => res.write(c), end: () => res.end() });
        res.on('close', stop);
      } catch (e) {
        if (e instanceof RuntimeError || e instanceof StatusError) return sendStatus(res, e instanceof StatusError ? e.code : e.reason === 'NotFound' ? 404 : 400, e.reason, e.message);
        sendStatus(res, 500, 'InternalError', (e as Error).message);
      }
    })();
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    void onUpgrade(agent, key, req, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '0.0.0.0', resolve);
  });
  return {
    port: (server.address() as { port: number }).port,
    key,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Publishes the agent key where the API server's registry reads it (kube-node-lease/berth-agent-NODE). */
export async function publishAgentKey(client: Client, nodeName: string, key: string): Promise<void> {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: agentKeySecretName(nodeName), namespace: 'kube-node-lease' },
    type: 'Opaque',
    data: { key: Buffer.from(key).toString('base64') },
  };
  try {
    await client.create(refs.secrets, secret);
  } catch (e) {
    if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
    await client.patch(refs.secrets, secret.metadata.name, 'merge', { data: secret.data }, { namespace: 'kube-node-lease' });
  }
}
