/**
 * Watches for one store: a single blocking `XREAD` on its own connection reads the change stream and fans
 * each entry out to every in-process subscription, so N watchers cost one Redis reader, not N. Each
 * entry becomes one frozen StoreEvent shared by all subscribers (its JSON is never re-parsed), so the
 * API layer can encode it once for every watcher.
 *
 * A watch from an older resourceVersion is served from the stream: the subscription starts buffering
 * live events at once, the gap between its rv and what the reader has dispatched is read with XRANGE,
 * then the buffer is drained; a per-subscription high-water mark drops duplicates. Stream ids are the
 * rvs themselves (`<rv>-0`, one per rv), so a missing id means the stream was trimmed past it: 410.
 */
import type { Redis } from 'ioredis';
import { errors, StatusError } from '../api/errors.js';
import type { StoreKeys } from './keys.js';
import type { StoreEvent, StoreEventType, WatchHandlers, WatchOptions, WatchSubscription } from './types.js';

/** How many stream entries one XREAD / XRANGE call returns at most. */
const PAGE = 1000;

export interface WatchHubOptions {
  /** the store's client; the hub duplicates it for its blocking reader */
  redis: Redis;
  keys: StoreKeys;
  /** how long one XREAD blocks (ms) before it is reissued; default 5000 */
  blockMs?: number;
}

/** Parses a resourceVersion as the store issues them (a decimal integer); BadRequest otherwise. */
export function parseRv(rv: string): number {
  if (!/^\d{1,15}$/.test(rv)) throw errors.badRequest(`invalid resource version "${rv}"`);
  return Number(rv);
}

/** The rv of a stream entry id `<rv>-0`. */
function idRv(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

function tooOld(from: number, oldest: number): StatusError {
  return errors.expired(`too old resource version: ${from} (${oldest})`);
}

/** One stream entry's fields (`type group resource namespace name json`) as a shared, frozen event. */
function toEvent(id: string, fields: string[]): StoreEvent {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
  return Object.freeze({
    type: f.type as StoreEventType,
    rv: String(idRv(id)),
    group: f.group ?? '',
    resource: f.resource ?? '',
    namespace: f.namespace ?? '',
    name: f.name ?? '',
    json: f.json ?? '',
    ...(f.prev ? { prev: f.prev } : {}),
  });
}

type Entry = [id: string, fields: string[]];

const closedError = (): StatusError => new StatusError('ServiceUnavailable', 'the object store is closed');

class Subscription implements WatchSubscription {
  /** the highest rv delivered (or the rv the watch started from) */
  private last: number;
  /** live events held back while the backfill runs; null once live */
  private buffer: [StoreEvent, number][] | null = null;
  closed = false;

  constructor(
    private readonly opts: WatchOptions,
    private readonly handlers: WatchHandlers,
    from: number,
    private readonly detach: (s: Subscription) => void,
  ) {
    this.last = from;
  }

  startBuffering(): void {
    this.buffer = [];
  }

  /** Ends the backfill: delivers what arrived live meanwhile, then goes live. */
  goLive(): void {
    const held = this.buffer ?? [];
    this.buffer = null;
    for (const [ev, rv] of held) this.deliver(ev, rv);
  }

  private wants(ev: StoreEvent): boolean {
    const { key, namespace } = this.opts;
    return ev.resource === key.resource && ev.group === key.group && (namespace === undefined || ev.namespace === namespace);
  }

  /** A live event: held while the backfill runs, delivered otherwise. */
  offer(ev: StoreEvent, rv: number): void {
    if (this.closed || !this.wants(ev)) return;
    if (this.buffer) this.buffer.push([ev, rv]);
    else this.deliver(ev, rv);
  }

  /** A backfilled event: delivered at once (it precedes everything buffered). */
  replay(ev: StoreEvent, rv: number): void {
    if (!this.closed && this.wants(ev)) this.deliver(ev, rv);
  }

  private deliver(ev: StoreEvent, rv: number): void {
    if (this.closed || rv <= this.last) return;
    this.last = rv;
    try {
      this.handlers.onEvent(ev);
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Ends the watch abnormally: onError once, no more events. */
  fail(err: Error): void {
    if (this.closed) return;
    this.close();
    this.handlers.onError?.(err);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = null;
    this.detach(this);
  }
}

/** Fans the store's change stream out to in-process watches. One per RedisStore. */
export class WatchHub {
  private readonly redis: Redis;
  private readonly keys: StoreKeys;
  private readonly blockMs: number;
  private readonly subs = new Set<Subscription>();
  private reader: Redis | null = null;
  private started: Promise<void> | null = null;
  private loop: Promise<void> | null = null;
  /** rv of the last stream entry dispatched to subscriptions */
  private dispatched = 0;
  private closed = false;
  /** wakes the reader loop when closing */
  private stop: () => void = () => {};

  constructor(opts: WatchHubOptions) {
    this.redis = opts.redis;
    this.keys = opts.keys;
    this.blockMs = opts.blockMs ?? 5000;
  }

  /**
   * Delivers, in rv order and each once, every event of `opts.key` (and `opts.namespace`, if set) with
   * rv > fromRv (undefined: > the current rv). Throws Expired (410) when events after fromRv have been
   * trimmed from the stream, BadRequest for a malformed fromRv. Should the stream be trimmed past a
   * running watch (a reader that fell far behind), the watch ends with onError(Expired).
   */
  async watch(opts: WatchOptions, handlers: WatchHandlers): Promise<WatchSubscription> {
    const from = opts.fromRv === undefined ? undefined : parseRv(opts.fromRv);
    if (this.closed) throw closedError();
    await this.start();
    const fromRv = from ?? Number((await this.redis.get(this.keys.counter)) ?? '0');
    if (this.closed) throw closedError();
    const sub = new Subscription(opts, handlers, fromRv, (s) => this.subs.delete(s));
    const upTo = this.dispatched;
    if (fromRv < upTo) sub.startBuffering();
    this.subs.add(sub);
    if (fromRv < upTo) {
      try {
        await this.backfill(sub, fromRv, upTo);
      } catch (e) {
        sub.close();
        throw e;
      }
      sub.goLive();
    }
    return sub;
  }

  /** Replays entries (from, upTo] into `sub`; the first must be from+1 or the rv is too old. */
  private async backfill(sub: Subscription, from: number, upTo: number): Promise<void> {
    let next = from + 1;
    while (next <= upTo && !sub.closed) {
      const page = (await this.redis.xrange(this.keys.stream, `${next}-0`, `${upTo}-0`, 'COUNT', PAGE)) as Entry[];
      const first = page.length ? idRv(page[0][0]) : upTo + 1;
      if (first !== next) {
        const err = tooOld(from, first);
        // Nothing delivered yet: the caller gets the error; later, the watch ends with it.
        if (next === from + 1) throw err;
        sub.fail(err);
        return;
      }
      for (const [id, fields] of page) {
        const rv = idRv(id);
        if (rv !== next) {
          sub.fail(tooOld(from, rv));
          return;
        }
        sub.replay(toEvent(id, fields), rv);
        next = rv + 1;
      }
    }
  }

  /** Starts the reader on first use; a failed start (Redis unreachable) is retried by the next watch. */
  private start(): Promise<void> {
    this.started ??= (async () => {
      this.dispatched = Number((await this.redis.get(this.keys.counter)) ?? '0');
      const reader = this.redis.duplicate();
      // Failures surface as rejected XREADs, which the loop retries; nothing to report per event.
      reader.on('error', () => {});
      this.reader = reader;
      this.loop = this.run(reader);
    })().catch((e: unknown) => {
      this.started = null;
      throw e;
    });
    return this.started;
  }

  private async run(reader: Redis): Promise<void> {
    // close() must not wait for an XREAD that a reconnecting client may never settle.
    const stopped = new Promise<null>((resolve) => (this.stop = () => resolve(null)));
    while (!this.closed) {
      let reply: [string, Entry[]][] | null;
      try {
        const read = reader.xread('COUNT', PAGE, 'BLOCK', this.blockMs, 'STREAMS', this.keys.stream, `${this.dispatched}-0`) as Promise<
          [string, Entry[]][] | null
        >;
        read.catch(() => {});
        reply = await Promise.race([read, stopped]);
      } catch {
        await Promise.race([new Promise((r) => setTimeout(r, 200)), stopped]);
        continue;
      }
      for (const [id, fields] of reply?.[0]?.[1] ?? []) {
        const rv = idRv(id);
        if (rv !== this.dispatched + 1) {
          // Trimmed past the reader (it was cut off or far behind): no watch can go on without a gap.
          const err = tooOld(this.dispatched, rv);
          for (const s of [...this.subs]) s.fail(err);
        }
        this.dispatched = rv;
        const ev = toEvent(id, fields);
        for (const s of this.subs) s.offer(ev, rv);
      }
    }
  }

  /** Ends every watch (onError ServiceUnavailable) and stops the reader. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = closedError();
    for (const s of [...this.subs]) s.fail(err);
    if (this.started) await this.started.catch(() => {});
    this.stop();
    this.reader?.disconnect();
    await this.loop;
  }
}
