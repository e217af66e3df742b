/**
 * What NamespaceLifecycle needs on every namespaced write — does the namespace exist, is it
 * terminating — kept current from the store's change stream, so a create costs no extra Redis round
 * trip. A miss is looked up live (a namespace created a moment ago may not have arrived yet), as
 * the apiserver's lifecycle plugin does.
 */
import type { ObjectStore, ResourceKey, WatchSubscription } from '../store/types.js';
import type { KubeObject } from '../resources/types.js';

export type NamespaceState = 'Active' | 'Terminating';

function stateOf(json: string): NamespaceState {
  return (JSON.parse(json) as KubeObject).metadata?.deletionTimestamp ? 'Terminating' : 'Active';
}

export class NamespaceCache {
  private readonly states = new Map<string, NamespaceState>();
  private sub?: WatchSubscription;
  private starting?: Promise<void>;
  private ready = false;
  private closed = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly key: ResourceKey,
  ) {}

  /** The namespace's state, or undefined when it does not exist. */
  async lookup(name: string): Promise<NamespaceState | undefined> {
    if (!this.starting && !this.closed) this.starting = this.start().catch(() => undefined);
    const cached = this.ready ? this.states.get(name) : undefined;
    if (cached) return cached;
    const live = await this.store.get(this.key, '', name);
    return live ? stateOf(live.json) : undefined;
  }

  close(): void {
    this.closed = true;
    this.sub?.close();
  }

  private async start(): Promise<void> {
    const list = await this.store.list(this.key);
    for (const item of list.items) this.states.set(JSON.parse(item.json).metadata.name as string, stateOf(item.json));
    this.sub = await this.store.watch(
      { key: this.key, fromRv: list.resourceVersion },
      {
        onEvent: (ev) => {
          if (ev.type === 'DELETED') this.states.delete(ev.name);
          else this.states.set(ev.name, stateOf(ev.json));
        },
        onError: () => {
          // fall back to live lookups until the next start
          this.ready = false;
          this.starting = undefined;
          this.states.clear();
        },
      },
    );
    if (this.closed) this.sub.close();
    else this.ready = true;
  }
}
