/**
 * A list-watch cache of one resource, as client-go's informers: list, then watch from the list's
 * resourceVersion, re-watch from the last seen version when a watch ends, relist on 410 Expired,
 * and optionally replay everything periodically (resync). Controllers, the scheduler and node agents
 * read from it instead of asking the API on every decision.
 */
import { StatusError, type StatusReason } from '../api/errors.js';
import type { KubeObject } from '../resources/types.js';
import type { Client, ResourceRef } from './client.js';

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  /** also called on resync with old === obj */
  onUpdate?(old: T, obj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** replay every cached object through onUpdate this often (ms); 0 = never */
  resyncMs?: number;
  /** log line sink for watch restarts */
  log?: (line: string) => void;
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key informers and queues use. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name ?? ''}` : (obj.metadata?.name ?? '');
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private rv = '';
  private hasSynced = false;
  private loop?: Promise<void>;

  constructor(
    private readonly client: Client,
    readonly ref: ResourceRef,
    private readonly opts: InformerOptions = {},
  ) {}

  /** Adds handlers; objects already cached are replayed to them as adds. */
  on(h: InformerHandlers<T>): void {
    this.handlers.push(h);
    if (this.hasSynced) for (const o of this.cache.values()) h.onAdd?.(o);
  }

  get synced(): boolean {
    return this.hasSynced;
  }

  /** The cached object by key (`namespace/name` or `name`). */
  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(filter?: (o: T) => boolean): T[] {
    const all = [...this.cache.values()];
    return filter ? all.filter(filter) : all;
  }

  /** Resolves after the first list is cached; keeps the cache current until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    await this.relist();
    this.hasSynced = true;
    this.loop = this.run(signal);
    if (this.opts.resyncMs) {
      const timer = setInterval(() => {
        for (const o of this.cache.values()) for (const h of this.handlers) h.onUpdate?.(o, o);
      }, this.opts.resyncMs);
      timer.unref();
      signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    }
  }

  /** Resolves when the watch loop has ended after the signal aborted. */
  async stopped(): Promise<void> {
    await this.loop;
  }

  private emitAdd(o: T) {
    for (const h of this.handlers) h.onAdd?.(o);
  }
  private emitUpdate(old: T, o: T) {
    for (const h of this.handlers) h.onUpdate?.(old, o);
  }
  private emitDelete(o: T) {
    for (const h of this.handlers) h.onDelete?.(o);
  }

  /** Lists everything and reconciles the cache with it, emitting the differences. */
  private async relist(): Promise<void> {
    const seen = new Set<string>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.client.list<T>(this.ref, { namespace: this.opts.namespace, labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector, limit: 500, continue: cont });
      rv ||= page.metadata.resourceVersion ?? '';
      for (const o of page.items) {
        const key = objectKey(o);
        seen.add(key);
        const old = this.cache.get(key);
        this.cache.set(key, o);
        if (!old) this.emitAdd(o);
        else if (old.metadata?.resourceVersion !== o.metadata?.resourceVersion) this.emitUpdate(old, o);
      }
      cont = page.metadata.continue;
    } while (cont);
    for (const [key, old] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emitDelete(old);
      }
    }
    this.rv = rv;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let backoff = 500;
    while (!signal.aborted) {
      try {
        // Server-side timeouts spread re-watches out, as client-go's 5–10 minute watches do.
        const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
        for await (const ev of this.client.watch<T>(this.ref, {
          namespace: this.opts.namespace,
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
          resourceVersion: this.rv,
          allowWatchBookmarks: true,
          timeoutSeconds,
          signal,
        })) {
          backoff = 500;
          const o = ev.object;
          if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') {
            if (ev.type === 'BOOKMARK' && o.metadata?.resourceVersion) this.rv = o.metadata.resourceVersion;
            if (ev.type === 'ERROR') {
              const st = o as unknown as { reason?: StatusReason; message?: string };
              throw new StatusError(st.reason ?? 'InternalError', st.message ?? 'the watch ended with an error event');
            }
            continue;
          }
          this.rv = o.metadata?.resourceVersion ?? this.rv;
          const key = objectKey(o);
          const old = this.cache.get(key);
          if (ev.type === 'DELETED') {
            this.cache.delete(key);
            this.emitDelete(o);
          } else {
            this.cache.set(key, o);
            if (old) this.emitUpdate(old, o);
            else this.emitAdd(o);
          }
        }
      } catch (e) {
        if (signal.aborted) return;
        const expired = e instanceof StatusError && (e.reason === 'Expired' || e.reason === 'Gone');
        if (!expired) {
          this.opts.log?.(`informer ${this.ref.resource}: watch failed (${(e as Error).message}); retrying in ${backoff} ms`);
          await new Promise((r) => setTimeout(r, backoff).unref());
          backoff = Math.min(backoff * 2, 30_000);
        }
        try {
          await this.relist();
        } catch (err) {
          this.opts.log?.(`informer ${this.ref.resource}: relist failed (${(err as Error).message})`);
        }
      }
    }
  }
}
