/**
 * The ObjectStore on Redis (ARCHITECTURE rule 5): objects as hashes, a per-resource sorted-set index,
 * one INCR counter as the cluster-wide resourceVersion and a stream as the change log. Writes are the
 * compare-and-swap Lua scripts of scripts.ts (EVALSHA via defineCommand); watches go through one
 * WatchHub per store.
 */
import type { Redis } from 'ioredis';
import { errors, type ObjectRef } from '../api/errors.js';
import { indexMember, StoreKeys } from './keys.js';
import { allScripts, createScript, deleteScript, listScript, RV_PLACEHOLDER, scriptError, updateScript, type ScriptDef } from './scripts.js';
import type {
  Claims,
  ListOptions,
  ListResult,
  ObjectStore,
  ResourceKey,
  StoredObject,
  WatchHandlers,
  WatchOptions,
  UpdateOptions,
  WatchSubscription,
} from './types.js';
import { WatchHub } from './watch-hub.js';

export interface RedisStoreOptions {
  /** the client for commands; stays the caller's (close() does not quit it) */
  redis: Redis;
  /** hash tag of every key: `{<prefix>}`; default `berth` */
  prefix?: string;
  /** approximate number of events the change stream retains (XADD MAXLEN ~); default 50000 */
  streamMaxLen?: number;
}

/** What a continue token carries: the rv of the list's first page and the last index member returned. */
interface ContinueToken {
  rv: string;
  start: string;
}

const TOKEN_VERSION = 'berth.dev/v1';

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: TOKEN_VERSION, rv: t.rv, start: t.start })).toString('base64url');
}

/** Decodes a continue token; BadRequest if it is not one of ours. */
function decodeContinue(token: string): ContinueToken {
  let t: unknown;
  try {
    t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw errors.badRequest('continue key is not valid: not a continue token');
  }
  const o = t as Record<string, unknown> | null;
  if (!o || o.v !== TOKEN_VERSION || typeof o.rv !== 'string' || typeof o.start !== 'string' || !/^\d{1,15}$/.test(o.rv)) {
    throw errors.badRequest('continue key is not valid: not a continue token');
  }
  return { rv: o.rv, start: o.start };
}

/**
 * `obj` as JSON with metadata.resourceVersion = RV_PLACEHOLDER (key order otherwise kept). BadRequest
 * if the object itself contains the placeholder text, which would make the splice ambiguous.
 */
function withPlaceholder(obj: object): string {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw errors.badRequest('object must be a JSON object');
  const meta = (obj as { metadata?: unknown }).metadata;
  if (meta !== undefined && (typeof meta !== 'object' || meta === null || Array.isArray(meta))) {
    throw errors.badRequest('metadata must be a JSON object');
  }
  const text = JSON.stringify({ ...obj, metadata: { ...(meta as object | undefined), resourceVersion: RV_PLACEHOLDER } });
  if (text.indexOf(RV_PLACEHOLDER) !== text.lastIndexOf(RV_PLACEHOLDER)) {
    throw errors.badRequest(`object must not contain the reserved string ${RV_PLACEHOLDER}`);
  }
  return text;
}

/** The JSON the scripts stored: the placeholder replaced by `rv`, as the Lua splice does. */
function fillRv(text: string, rv: string): string {
  const at = text.indexOf(RV_PLACEHOLDER);
  return text.slice(0, at) + rv + text.slice(at + RV_PLACEHOLDER.length);
}

export class RedisStore implements ObjectStore {
  readonly keys: StoreKeys;
  private readonly redis: Redis;
  private readonly streamMaxLen: number;
  private readonly hub: WatchHub;

  constructor(opts: RedisStoreOptions) {
    this.redis = opts.redis;
    this.keys = new StoreKeys(opts.prefix);
    this.streamMaxLen = opts.streamMaxLen ?? 50_000;
    if (!Number.isInteger(this.streamMaxLen) || this.streamMaxLen < 1) throw new Error(`invalid streamMaxLen ${opts.streamMaxLen}`);
    for (const s of allScripts) this.redis.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
    this.hub = new WatchHub({ redis: this.redis, keys: this.keys });
  }

  private run(script: ScriptDef, keys: string[], args: (string | number)[]): Promise<unknown> {
    const command = (this.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[script.name];
    return command.call(this.redis, ...keys, ...args);
  }

  /** A write script's reply: the new rv, or the StatusError its negative code stands for. */
  private static written(reply: unknown, ref: ObjectRef): string {
    if (typeof reply === 'number') throw scriptError(reply, ref);
    return String(reply);
  }

  private writeArgs(key: ResourceKey, namespace: string, name: string, text: string): (string | number)[] {
    return [text, RV_PLACEHOLDER, key.group, key.resource, namespace, name, this.streamMaxLen];
  }

  async get(key: ResourceKey, namespace: string, name: string): Promise<StoredObject | null> {
    const [rv, json] = await this.redis.hmget(this.keys.object(key, namespace, name), 'rv', 'json');
    return rv !== null && json !== null ? { rv, json } : null;
  }

  async create(key: ResourceKey, namespace: string, name: string, obj: object, claims?: Claims): Promise<StoredObject> {
    const text = withPlaceholder(obj);
    const k = this.keys;
    const reply = await this.run(
      createScript,
      [k.object(key, namespace, name), k.index(key), k.counter, k.stream, k.claims],
      [...this.writeArgs(key, namespace, name, text), indexMember(namespace, name), claims?.owner ?? '', ...(claims?.claim ?? [])],
    );
    const rv = RedisStore.written(reply, { ...key, name });
    return { rv, json: fillRv(text, rv) };
  }

  async update(key: ResourceKey, namespace: string, name: string, obj: object, expectedRv: string, opts: UpdateOptions = {}): Promise<StoredObject> {
    const text = withPlaceholder(obj);
    const k = this.keys;
    const reply = await this.run(
      updateScript,
      [k.object(key, namespace, name), k.counter, k.stream, k.claims],
      [...this.writeArgs(key, namespace, name, text), expectedRv, opts.prev ?? '', opts.claims?.owner ?? '', opts.claims?.claim?.length ?? 0, ...(opts.claims?.claim ?? []), ...(opts.claims?.release ?? [])],
    );
    const rv = RedisStore.written(reply, { ...key, name });
    return { rv, json: fillRv(text, rv) };
  }

  async delete(key: ResourceKey, namespace: string, name: string, expectedRv: string, last: object, claims?: Claims): Promise<StoredObject> {
    const text = withPlaceholder(last);
    const k = this.keys;
    const reply = await this.run(
      deleteScript,
      [k.object(key, namespace, name), k.index(key), k.counter, k.stream, k.claims],
      [...this.writeArgs(key, namespace, name, text), expectedRv, indexMember(namespace, name), claims?.owner ?? '', ...(claims?.release ?? [])],
    );
    const rv = RedisStore.written(reply, { ...key, name });
    return { rv, json: fillRv(text, rv) };
  }

  async claimHolders(claims: string[]): Promise<(string | null)[]> {
    if (claims.length === 0) return [];
    return this.redis.hmget(this.keys.claims, ...claims);
  }

  /**
   * One page of a resource, consistent with its resourceVersion. Items are ordered by namespace, then
   * name. Pages after the first come from the current state (Redis keeps no old versions) but carry the
   * first page's resourceVersion, so a watch from it misses nothing; once that rv has left the change
   * stream the token is refused with Expired (410), as Kubernetes does after compaction.
   */
  async list(key: ResourceKey, opts: ListOptions = {}): Promise<ListResult> {
    const ns = opts.namespace;
    let min = ns === undefined ? '-' : `[${ns}/`;
    // '0' follows '/', so `(<ns>0` ends the range just after every `<ns>/...` member.
    const max = ns === undefined ? '+' : `(${ns}0`;
    const token = opts.continue ? decodeContinue(opts.continue) : undefined;
    if (token) {
      if (ns !== undefined && !token.start.startsWith(`${ns}/`)) {
        throw errors.badRequest('continue key is not valid: it belongs to another namespace');
      }
      min = `(${token.start}`;
    }
    const limit = opts.limit && opts.limit > 0 ? Math.floor(opts.limit) : 0;
    const reply = (await this.run(
      listScript,
      [this.keys.index(key), this.keys.counter, this.keys.stream],
      [this.keys.objectPrefix(key), min, max, limit],
    )) as [string, string, number, ...string[]];
    const [counter, oldest, remaining] = reply;
    if (token && Number(token.rv) < Number(counter) && (oldest === '' || Number(oldest.split('-')[0]) > Number(token.rv) + 1)) {
      throw errors.expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    }
    const items: StoredObject[] = [];
    let lastMember = '';
    for (let i = 3; i + 2 < reply.length; i += 3) {
      lastMember = reply[i] as string;
      items.push({ rv: reply[i + 1] as string, json: reply[i + 2] as string });
    }
    const result: ListResult = { items, resourceVersion: token ? token.rv : counter };
    if (remaining > 0 && lastMember) {
      result.continue = encodeContinue({ rv: result.resourceVersion, start: lastMember });
      result.remainingItemCount = remaining;
    }
    return result;
  }

  async currentResourceVersion(): Promise<string> {
    return (await this.redis.get(this.keys.counter)) ?? '0';
  }

  /** See WatchHub.watch: events of one resource (and namespace) with rv > fromRv, in order, each once. */
  watch(opts: WatchOptions, handlers: WatchHandlers): Promise<WatchSubscription> {
    return this.hub.watch(opts, handlers);
  }

  /** Ends all watches and the watch reader's connection. The `redis` client passed in stays open. */
  close(): Promise<void> {
    return this.hub.close();
  }
}
