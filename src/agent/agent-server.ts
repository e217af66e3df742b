/**
 * The agent's own HTTP server, for API servers in other processes: `GET /pods/{ns}/{name}/log`
 * with the pods/log query, as the kubelet serves its port to the API server. Only a caller holding
 * the agent key (published in a Secret in kube-node-lease that only the API server and admins
 * read) gets in.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { StatusError } from '../controlplane/api/errors.js';
import type { Client } from '../controlplane/client/client.js';
import { refs } from '../controlplane/client/refs.js';
import type { Agent } from './agent.js';
import { agentKeySecretName, logOptions, logResponse } from './connector.js';
import { RuntimeError } from './runtime/runtime.js';

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

/** Serves pods/log of `agent()` (resolved per request, so the server can start before the agent). */
export async function startAgentServer(agent: () => Agent | undefined, opts: { host?: string; port?: number; key?: string } = {}): Promise<AgentServer> {
  const key = opts.key ?? randomBytes(24).toString('base64url');
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://agent');
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
