/**
 * Drift: the field paths where the object a server-side-apply dry run predicts differs from the live
 * object. The dry run already leaves fields other managers own as they are, so what remains is what
 * Git would change. Bookkeeping (resourceVersion, managedFields, timestamps, generation, status) is
 * not drift. Pure; the fallback until src/sync/diff lands.
 */
import type { KubeObject } from '../../controlplane/resources/types.js';

const IGNORED_METADATA = new Set(['resourceVersion', 'managedFields', 'creationTimestamp', 'generation', 'uid', 'selfLink']);

function strip(o: KubeObject): Record<string, unknown> {
  const { status: _status, metadata, ...rest } = o as KubeObject & { status?: unknown };
  const md: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) if (!IGNORED_METADATA.has(k)) md[k] = v;
  return { ...rest, metadata: md };
}

function walk(a: unknown, b: unknown, path: string, out: string[]): void {
  if (a === b) return;
  const isObj = (v: unknown) => typeof v === 'object' && v !== null;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) {
      out.push(path || '/');
      return;
    }
    a.forEach((v, i) => walk(v, b[i], `${path}/${i}`, out));
    return;
  }
  if (isObj(a) && isObj(b) && !Array.isArray(a) && !Array.isArray(b)) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)])) walk(ra[k], rb[k], `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
    return;
  }
  out.push(path || '/');
}

/** JSON pointers (RFC 6901) of the fields that differ; empty when the live object is in sync. */
export function driftedPaths(live: KubeObject, predicted: KubeObject): string[] {
  const out: string[] = [];
  walk(strip(live), strip(predicted), '', out);
  return out;
}
