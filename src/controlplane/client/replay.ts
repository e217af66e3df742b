/**
 * When the HTTP transport may send a request again. A kept-alive connection can be closed by the
 * server (its keep-alive timeout, a restart, a load balancer cutting idle connections) just as the
 * client reuses it: the request then fails with a reset or a hang-up before any response. That does
 * not prove the server did not process it, so only requests that change nothing are sent again —
 * Go's net/http retries only idempotent methods (GET, HEAD, OPTIONS, TRACE, or a request carrying
 * an Idempotency-Key) and client-go only GETs. Pure.
 */
import type { TransportRequest } from './transport.js';

/** Errors of a connection the server closed under the request (a reset, "socket hang up", a write to a closed socket). */
export function isConnectionReset(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/**
 * Whether `req` writes nothing, so sending it twice does no more than sending it once: a read (GET,
 * HEAD, OPTIONS — watches too) or a dry run. Never a DELETE, PUT or PATCH, even one conditioned on a
 * resourceVersion: the first attempt may have been applied, and a repeat would then turn its success
 * into a Conflict, or (a delete-collection) delete objects created in between.
 */
export function replayable(req: TransportRequest): boolean {
  const method = req.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return true;
  const q = req.path.indexOf('?');
  return q >= 0 && new URLSearchParams(req.path.slice(q + 1)).get('dryRun') === 'All';
}
