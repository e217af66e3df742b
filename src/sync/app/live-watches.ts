/**
 * Watches on the kinds Applications applied, filtered to objects with the instance label, so a live
 * change (kubectl scale, edit, delete, a rollout finishing) reconciles the owning Application within
 * moments instead of at the next poll. One watch per resource type, started on first use.
 */
import type { Client, ResourceRef } from '../../controlplane/client/client.js';
import { Informer } from '../../controlplane/client/informer.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { INSTANCE_LABEL, keyOfInstance } from './types.js';

export class LiveWatches {
  private readonly informers = new Map<string, Informer>();
  private signal?: AbortSignal;
  /** queues a reconcile of an Application (`namespace/name`) */
  enqueue: (key: string) => void = () => {};
  /** called when a live object an Application applied changed (`statusOnly`: nothing but its status); by default just enqueues it */
  onLiveChange: (key: string, statusOnly: boolean) => void = (key) => this.enqueue(key);
  /** sees every watched object as it changes (before the reconcile it causes) */
  observe: (obj: KubeObject) => void = () => {};

  constructor(
    private readonly client: Client,
    private readonly log: (line: string) => void,
  ) {}

  start(signal: AbortSignal): void {
    this.signal = signal;
  }

  /** Starts watching `ref` unless already watched (no-op before start). */
  ensure(ref: ResourceRef): void {
    const id = `${ref.group}/${ref.version}/${ref.resource}`;
    if (!this.signal || this.signal.aborted || this.informers.has(id)) return;
    const informer = new Informer(this.client, ref, { labelSelector: INSTANCE_LABEL, log: this.log });
    const poke = (o: KubeObject, statusOnly = false) => {
      this.observe(o);
      const key = keyOfInstance(o.metadata?.labels?.[INSTANCE_LABEL] ?? '');
      if (key) this.onLiveChange(key, statusOnly);
    };
    informer.on({ onAdd: (o) => poke(o), onUpdate: (old, o) => old !== o && poke(o, onlyStatusChanged(old, o)), onDelete: (o) => poke(o) });
    this.informers.set(id, informer);
    informer.start(this.signal).catch((e: Error) => this.log(`sync: watch of ${ref.resource}: ${e.message}`));
  }

  async stopped(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stopped()));
  }
}

/** True when two versions of an object differ in nothing but status (and what every write bumps). */
export function onlyStatusChanged(old: KubeObject, cur: KubeObject): boolean {
  const strip = (o: KubeObject) => JSON.stringify({ ...o, status: undefined, metadata: { ...o.metadata, resourceVersion: undefined, managedFields: undefined } });
  return strip(old) === strip(cur);
}
