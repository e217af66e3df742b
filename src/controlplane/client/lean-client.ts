/**
 * A read client for caches that drops managedFields from everything it lists and watches
 * (client-go's TransformStripManagedFields): agents, the node lifecycle controller and the proxy
 * never read them, and with tens of thousands of pods they are a large part of each cache.
 */
import type { KubeObject } from '../resources/types.js';
import { Client, type KubeList, type ListOptions, type ResourceRef, type WatchEvent, type WatchOptions } from './client.js';

export class LeanClient extends Client {
  constructor(inner: Client) {
    super(inner.transport);
  }

  override async list<T = KubeObject>(ref: ResourceRef, opts?: ListOptions): Promise<KubeList<T>> {
    const l = await super.list<T>(ref, opts);
    for (const o of l.items) delete (o as KubeObject).metadata?.managedFields;
    return l;
  }

  override async *watch<T = KubeObject>(ref: ResourceRef, opts?: WatchOptions): AsyncIterable<WatchEvent<T>> {
    for await (const ev of super.watch<T>(ref, opts)) {
      delete (ev.object as KubeObject).metadata?.managedFields;
      yield ev;
    }
  }
}
