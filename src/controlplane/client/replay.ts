/**
 * When the HTTP transport may send a request again. A kept-alive connection can be closed by the
 * server (its keep-alive timeout, a restart, a load balancer cutting idle connections) just as the
 * client reuses it: the request then fails with a reset or a hang-up before any response, and most
 * likely never reached the server. Go's net/http retries such requests when they are safe to repeat;
 * this is that rule for berth's requests. Pure.
 */
import type { TransportRequest } from './transport.js';

/** Errors of a connection the server closed under the request (a reset, "socket hang up", a write to a closed socket). */
export function isConnectionReset(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

function bodyResourceVersion(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const o = JSON.parse(body) as { metadata?: { resourceVersion?: unknown } } | null;
    const rv = o?.metadata?.resourceVersion;
    return typeof rv === 'string' && rv !== '' ? rv : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether sending `req` twice does no more than sending it once: a read (GET, HEAD, OPTIONS — watches
 * too), a DELETE (a repeat answers NotFound), a dry run (writes nothing), or a PUT or PATCH whose body
 * names the resourceVersion it replaces (a repeat fails with Conflict instead of writing again).
 */
export function replayable(req: TransportRequest): boolean {
  const method = req.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'DELETE') return true;
  const q = req.path.indexOf('?');
  if (q >= 0 && new URLSearchParams(req.path.slice(q + 1)).get('dryRun') === 'All') return true;
  return (method === 'PUT' || method === 'PATCH') && bodyResourceVersion(req.body) !== undefined;
}
