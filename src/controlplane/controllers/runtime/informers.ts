/**
 * Informers shared by the controllers of one controller-manager (one list+watch per resource, as
 * client-go's SharedInformerFactory), and the resourceVersion each has seen, which expectations use
 * to tell whether this process's cache already shows a write made by any process.
 */
import { setMaxListeners } from 'node:events';
import type { Client, ResourceRef } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import type { KubeObject } from '../../resources/types.js';

function refId(ref: ResourceRef): string {
  return `${ref.group}/${ref.version}/${ref.resource}`;
}

function rvOf(o: KubeObject): number {
  return Number(o.metadata?.resourceVersion ?? 0) || 0;
}

interface Entry {
  informer: Informer;
  seen: number;
  waiters: Set<() => void>;
}

export class SharedInformers {
  private readonly entries = new Map<string, Entry>();
  private started = false;

  constructor(
    private readonly client: Client,
    private readonly opts: { resyncMs?: number; log?: (line: string) => void } = {},
  ) {}

  /** The informer of `ref`, created on first use; all are started by `start`. */
  get<T extends KubeObject = KubeObject>(ref: ResourceRef): Informer<T> {
    return this.entry(ref).informer as unknown as Informer<T>;
  }

  private entry(ref: ResourceRef): Entry {
    const id = refId(ref);
    let e = this.entries.get(id);
    if (!e) {
      if (this.started) throw new Error(`informer for ${ref.resource} requested after the informers started`);
      const informer = new Informer(this.client, ref, { resyncMs: this.opts.resyncMs, log: this.opts.log });
      const entry: Entry = { informer, seen: 0, waiters: new Set() };
      const bump = (o: KubeObject) => {
        const rv = rvOf(o);
        if (rv > entry.seen) {
          entry.seen = rv;
          for (const w of entry.waiters) w();
        }
      };
      informer.on({ onAdd: bump, onUpdate: (_old, o) => bump(o), onDelete: bump });
      this.entries.set(id, entry);
      e = entry;
    }
    return e;
  }

  /** The highest resourceVersion among the objects of `ref` this process has seen. */
  seen(ref: ResourceRef): number {
    return this.entry(ref).seen;
  }

  /** Resolves true once the informer of `ref` has seen `rv`, false after `timeoutMs`. */
  waitFor(ref: ResourceRef, rv: number, timeoutMs: number): Promise<boolean> {
    const e = this.entry(ref);
    if (e.seen >= rv) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        e.waiters.delete(check);
        resolve(ok);
      };
      const check = () => {
        if (e.seen >= rv) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      e.waiters.add(check);
    });
  }

  /** Starts every informer and resolves when all have listed once. */
  async start(signal: AbortSignal): Promise<void> {
    this.started = true;
    // every informer listens for the one abort (the garbage collector alone has dozens)
    setMaxListeners(0, signal);
    await Promise.all([...this.entries.values()].map((e) => e.informer.start(signal)));
  }

  async stopped(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.informer.stopped()));
  }
}
