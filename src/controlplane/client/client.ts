/**
 * The typed client every berth component uses to talk to the API (controllers, scheduler, agents,
 * sync, CLI). Kubernetes paths and semantics, errors as `StatusError`, watches as async iterables.
 */
import { StatusError, type Status, type StatusReason } from '../api/errors.js';
import type { KubeObject } from '../resources/types.js';
import type { Transport } from './transport.js';

/** A resource type as the client addresses it. */
export interface ResourceRef {
  /** '' for core */
  group: string;
  version: string;
  /** plural */
  resource: string;
  namespaced: boolean;
}

export interface KubeList<T = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface WatchOptions extends Omit<ListOptions, 'limit' | 'continue'> {
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WriteOptions {
  namespace?: string;
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface DeleteOptions {
  namespace?: string;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

function basePath(ref: ResourceRef, namespace?: string): string {
  const root = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  if (ref.namespaced && namespace) return `${root}/namespaces/${encodeURIComponent(namespace)}/${ref.resource}`;
  return `${root}/${ref.resource}`;
}

function objectPath(ref: ResourceRef, name: string, namespace?: string, subresource?: string): string {
  if (ref.namespaced && !namespace) throw new Error(`${ref.resource} is namespaced: pass a namespace for "${name}"`);
  return `${basePath(ref, namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function parseError(status: number, body: string): StatusError {
  try {
    const s = JSON.parse(body) as Status;
    if (s.kind === 'Status' && s.reason) return new StatusError(s.reason as StatusReason, s.message, s.details);
  } catch {
    // not a Status body
  }
  const reason: StatusReason = status === 404 ? 'NotFound' : status === 409 ? 'Conflict' : status >= 500 ? 'InternalError' : 'BadRequest';
  return new StatusError(reason, `HTTP ${status}: ${body.slice(0, 200)}`);
}

export class Client {
  constructor(
    readonly transport: Transport,
    private readonly defaults: { fieldManager?: string } = {},
  ) {}

  private async call<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const res = await this.transport.request({
      method,
      path,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': contentType },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 400) throw parseError(res.status, res.body);
    return JSON.parse(res.body) as T;
  }

  private writeQuery(opts: WriteOptions | undefined): string {
    return query({
      dryRun: opts?.dryRun ? 'All' : undefined,
      fieldManager: opts?.fieldManager ?? this.defaults.fieldManager,
      fieldValidation: opts?.fieldValidation,
    });
  }

  get<T = KubeObject>(ref: ResourceRef, name: string, namespace?: string): Promise<T> {
    return this.call('GET', objectPath(ref, name, namespace));
  }

  /** Like get, but undefined instead of NotFound. */
  async find<T = KubeObject>(ref: ResourceRef, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return await this.get<T>(ref, name, namespace);
    } catch (e) {
      if (e instanceof StatusError && e.reason === 'NotFound') return undefined;
      throw e;
    }
  }

  list<T = KubeObject>(ref: ResourceRef, opts: ListOptions = {}): Promise<KubeList<T>> {
    const q = query({ labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit, continue: opts.continue });
    return this.call('GET', basePath(ref, opts.namespace) + q);
  }

  create<T extends KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOptions): Promise<T> {
    const ns = opts?.namespace ?? obj.metadata?.namespace;
    return this.call('POST', basePath(ref, ns) + this.writeQuery(opts), obj);
  }

  update<T extends KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOptions): Promise<T> {
    const ns = opts?.namespace ?? obj.metadata?.namespace;
    return this.call('PUT', objectPath(ref, obj.metadata?.name ?? '', ns) + this.writeQuery(opts), obj);
  }

  updateStatus<T extends KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOptions): Promise<T> {
    const ns = opts?.namespace ?? obj.metadata?.namespace;
    return this.call('PUT', objectPath(ref, obj.metadata?.name ?? '', ns, 'status') + this.writeQuery(opts), obj);
  }

  patch<T = KubeObject>(ref: ResourceRef, name: string, type: PatchType, patch: unknown, opts?: WriteOptions & { subresource?: string; force?: boolean }): Promise<T> {
    let q = this.writeQuery(opts);
    if (opts?.force) q += (q ? '&' : '?') + 'force=true';
    return this.call('PATCH', objectPath(ref, name, opts?.namespace, opts?.subresource) + q, patch, PATCH_CONTENT_TYPES[type]);
  }

  /** POSTs to a subresource (pods/binding, pods/eviction). */
  post<T = unknown>(ref: ResourceRef, name: string, subresource: string, body: unknown, namespace?: string): Promise<T> {
    return this.call('POST', objectPath(ref, name, namespace, subresource), body);
  }

  delete<T = KubeObject>(ref: ResourceRef, name: string, opts: DeleteOptions = {}): Promise<T> {
    const body = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: opts.propagationPolicy, gracePeriodSeconds: opts.gracePeriodSeconds, preconditions: opts.preconditions, dryRun: opts.dryRun ? ['All'] : undefined };
    return this.call('DELETE', objectPath(ref, name, opts.namespace), body);
  }

  /**
   * Watches a collection. Yields events until the signal aborts, the server ends the stream
   * (timeout) or an ERROR event arrives (yielded, then the iteration ends: the caller re-lists on 410).
   */
  async *watch<T = KubeObject>(ref: ResourceRef, opts: WatchOptions = {}): AsyncIterable<WatchEvent<T>> {
    const q = query({
      watch: 'true',
      resourceVersion: opts.resourceVersion,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      allowWatchBookmarks: opts.allowWatchBookmarks,
      timeoutSeconds: opts.timeoutSeconds,
    });
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const line of this.transport.stream({ method: 'GET', path: basePath(ref, opts.namespace) + q, headers: { accept: 'application/json' } }, controller.signal)) {
        const ev = JSON.parse(line) as WatchEvent<T> & { kind?: string; code?: number };
        if (ev.kind === 'Status' && ev.code && ev.code >= 400) throw parseError(ev.code, line);
        yield ev;
        if (ev.type === 'ERROR') return;
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }
}
