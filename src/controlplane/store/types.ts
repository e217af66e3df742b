/**
 * The contract of the object store. Only the API layer calls it (ARCHITECTURE rule 1); it knows
 * nothing of schemas, selectors or admission — it keeps JSON objects under resource/namespace/name,
 * one cluster-wide increasing resourceVersion, and a change stream that feeds watches.
 */

/** A resource type as the store sees it. `group` is '' for the core group. */
export interface ResourceKey {
  group: string;
  /** plural, lower case: `pods`, `deployments` */
  resource: string;
}

/** An object as stored: its JSON text (with `metadata.resourceVersion` filled in) and that version. */
export interface StoredObject {
  json: string;
  rv: string;
}

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One entry of the change stream. `json` is the object after the change (for DELETED: as it was, at the deletion's rv). */
export interface StoreEvent {
  type: StoreEventType;
  rv: string;
  group: string;
  resource: string;
  /** '' for cluster-scoped objects */
  namespace: string;
  name: string;
  json: string;
  /** for MODIFIED: the writer's note about the object before the change (see UpdateOptions.prev) */
  prev?: string;
}

/**
 * Unique values a write takes or gives back, in one atomic step with the write: a Service's
 * clusterIP (`clusterip/10.96.0.10`), its nodePorts (`nodeport/TCP/30080`). A value is held by one
 * `owner` (the object's uid) at a time; claiming a value someone else holds fails the whole write
 * with ClaimTakenError (reason Conflict); releasing one the owner does not hold does nothing.
 */
export interface Claims {
  owner: string;
  claim?: string[];
  release?: string[];
}

export interface UpdateOptions {
  /**
   * An opaque note about the object before this change, carried in the MODIFIED event. The API
   * layer puts the old labels and selectable fields there, so a watch with a selector can tell an
   * object leaving the selection (DELETED) from one entering it (ADDED).
   */
  prev?: string;
  claims?: Claims;
}

export interface ListOptions {
  /** only objects of this namespace; undefined = all namespaces (or a cluster-scoped resource) */
  namespace?: string;
  /** at most this many items; 0 or undefined = all */
  limit?: number;
  /** the `continue` token of the previous page */
  continue?: string;
}

export interface ListResult {
  items: StoredObject[];
  /** the store's resourceVersion this list reflects (a watch from it misses nothing) */
  resourceVersion: string;
  /** set when more items remain */
  continue?: string;
  /** how many items remain after this page, when known */
  remainingItemCount?: number;
}

export interface WatchOptions {
  key: ResourceKey;
  namespace?: string;
  /**
   * Deliver every event with rv > fromRv. Undefined = only events after now.
   * If events after fromRv have been trimmed from the stream the watch fails with a StatusError
   * reason Expired (410), as etcd's compaction does.
   */
  fromRv?: string;
}

/** A running watch. Events arrive in rv order, each once. */
export interface WatchSubscription {
  /** stops delivery; idempotent */
  close(): void;
}

export interface WatchHandlers {
  onEvent(event: StoreEvent): void;
  /** the watch ended abnormally (e.g. fell behind the retained window); no more events follow */
  onError?(err: Error): void;
}

/**
 * Errors: every method throws StatusError (src/controlplane/api/errors.ts): NotFound, AlreadyExists,
 * Conflict (stale resourceVersion), Expired (watch or continue token beyond retention).
 * Writes are atomic compare-and-swap Lua scripts; an acknowledged write is in the AOF.
 */
export interface ObjectStore {
  get(key: ResourceKey, namespace: string, name: string): Promise<StoredObject | null>;
  list(key: ResourceKey, opts?: ListOptions): Promise<ListResult>;
  /** Writes `obj` (its metadata.resourceVersion is replaced by the new rv). AlreadyExists if the name is taken. */
  create(key: ResourceKey, namespace: string, name: string, obj: object, claims?: Claims): Promise<StoredObject>;
  /** Replaces the object if its current rv equals `expectedRv`; Conflict otherwise, NotFound if absent. */
  update(key: ResourceKey, namespace: string, name: string, obj: object, expectedRv: string, opts?: UpdateOptions): Promise<StoredObject>;
  /**
   * Removes the object if its current rv equals `expectedRv`. `last` is the object's final state to
   * publish in the DELETED event (its resourceVersion is set to the deletion's rv); returns it.
   */
  delete(key: ResourceKey, namespace: string, name: string, expectedRv: string, last: object, claims?: Claims): Promise<StoredObject>;
  /** The holder (owner) of each claim, or null where it is free. */
  claimHolders(claims: string[]): Promise<(string | null)[]>;
  /** The newest resourceVersion in the store. */
  currentResourceVersion(): Promise<string>;
  watch(opts: WatchOptions, handlers: WatchHandlers): Promise<WatchSubscription>;
  /** Stops background readers and closes connections. */
  close(): Promise<void>;
}
