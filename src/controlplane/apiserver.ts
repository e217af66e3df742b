/**
 * Assembles an API server: Redis store, handler (authn, admission), HTTP listener, and the system
 * namespaces every cluster starts with. `berth up`, `berth apiserver` and the tests all start the
 * API through here, so they run the same thing.
 */
import { Redis } from 'ioredis';
import { ApiHandler, type ReviewEndpoints } from './api/handler.js';
import type { AdmissionPlugin, Authenticator, Authorizer } from './api/admission.js';
import { listen, type ListeningServer, type TlsOptions } from './api/server.js';
import type { ServiceAllocationOptions } from './api/service-allocation.js';
import type { UserInfo } from './api/request.js';
import { StatusError } from './api/errors.js';
import { RedisStore } from './store/redis-store.js';
import { Client } from './client/client.js';
import { InProcessTransport } from './client/transport.js';
import { registry } from './resources/registry.js';
import type { AuditLog } from './api/audit/audit-log.js';

/** Namespaces Kubernetes creates at start-up. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** The API server's own identity for bootstrap writes. */
const APISERVER_USER: UserInfo = { username: 'system:apiserver', groups: ['system:masters', 'system:authenticated'] };

export interface ApiServerOptions {
  /** `redis://host:port` or a unix socket path (`/path/redis.sock`) */
  redisUrl: string;
  authenticator: Authenticator;
  authorizer?: Authorizer;
  admission?: AdmissionPlugin[];
  /** the policy engine's review and TokenRequest endpoints */
  reviews?: ReviewEndpoints;
  /** let requests without credentials in as system:anonymous */
  allowAnonymous?: boolean;
  host?: string;
  /** 0 picks a free port */
  port?: number;
  /** key prefix (hash tag) in Redis; several clusters can share one Redis */
  prefix?: string;
  /** serve HTTPS with this certificate (kubectl sends tokens only over TLS) */
  tls?: TlsOptions;
  /** record requests here (closed with the server) */
  auditLog?: AuditLog;
  /** where Services' clusterIPs and nodePorts come from (10.96.0.0/12, 30000-32767 by default) */
  services?: ServiceAllocationOptions;
}

export interface RunningApiServer {
  handler: ApiHandler;
  store: RedisStore;
  http: ListeningServer;
  url: string;
  /** a client that calls the handler in-process, as the given user (default: the API server itself) */
  client(user?: UserInfo, userAgent?: string): Client;
  close(): Promise<void>;
}

export function redisFromUrl(url: string): Redis {
  const opts = { maxRetriesPerRequest: 3, enableAutoPipelining: true };
  if (url.startsWith('/') || url.startsWith('unix://')) return new Redis({ path: url.replace(/^unix:\/\//, ''), ...opts });
  return new Redis(url, opts);
}

/** Creates the system namespaces that are missing. */
export async function ensureSystemNamespaces(client: Client): Promise<void> {
  const ns = registry.find('', 'v1', 'namespaces')!;
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await client.create({ group: '', version: 'v1', resource: ns.resource, namespaced: false }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (e) {
      if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
    }
  }
}

export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const redis = redisFromUrl(opts.redisUrl);
  const store = new RedisStore({ redis, prefix: opts.prefix });
  const handler = new ApiHandler({ store, authenticator: opts.authenticator, authorizer: opts.authorizer, admission: opts.admission, reviews: opts.reviews, allowAnonymous: opts.allowAnonymous, auditLog: opts.auditLog, services: opts.services });
  const client = (user: UserInfo = APISERVER_USER, userAgent = 'berth-apiserver') => new Client(new InProcessTransport(handler, user, userAgent));
  await ensureSystemNamespaces(client());
  const http = await listen(handler, opts.host ?? '127.0.0.1', opts.port ?? 0, opts.tls);
  return {
    handler,
    store,
    http,
    url: http.url,
    client,
    async close() {
      handler.setReady(false);
      await http.close();
      handler.close();
      await opts.auditLog?.close();
      await store.close();
      redis.disconnect();
    },
  };
}
