/**
 * Watch streams: newline-terminated JSON events (`{"type":"ADDED","object":{...}}\n`), optional
 * initial ADDED events, bookmarks, timeouts, and Table-mode events for `kubectl get -w`. Each store
 * event is parsed and encoded once, however many watchers receive it, and turned into bytes once
 * for all the HTTP watchers.
 */
import type { KubeObject, ResourceType } from '../resources/types.js';
import type { ObjectStore, StoreEvent, WatchSubscription } from '../store/types.js';
import { asStatusError } from './errors.js';
import { storeKey } from './objects.js';
import type { StreamBody, StreamSink } from './request.js';
import { buildTable, type TableOptions } from './table.js';
import { apiVersionOf } from '../resources/types.js';
import { selectableOf, type Selectable, type Selection } from './selection.js';

export interface WatchSpec {
  type: ResourceType;
  namespace?: string;
  /** resume after this rv; undefined = start with the current state as ADDED events */
  fromRv?: string;
  /** label/field selection; objects entering or leaving it are reported as ADDED / DELETED */
  selection?: Selection;
  /** Table mode (kubectl get -w) */
  table?: Omit<TableOptions, 'noHeaders'>;
  bookmarks: boolean;
  /** end an initial-state replay with a BOOKMARK annotated `k8s.io/initial-events-end` */
  sendInitialEvents: boolean;
  timeoutSeconds?: number;
  /** ms between bookmarks */
  bookmarkIntervalMs?: number;
}

/** An encoded event line; `bytes` (its UTF-8) made once for all the binary sinks that get it. */
interface Line {
  text: string;
  bytes?: Buffer;
}

interface Encoded {
  obj?: KubeObject;
  selectable?: Selectable;
  /** by event type, plus the table options in Table mode */
  lines: Map<string, Line>;
}

/** Per-event memo, so N watchers cost one parse and one encoding per representation. */
const memo = new WeakMap<StoreEvent, Encoded>();

function encodedOf(ev: StoreEvent): Encoded {
  let e = memo.get(ev);
  if (!e) {
    e = { lines: new Map() };
    memo.set(ev, e);
  }
  return e;
}

function parsed(ev: StoreEvent): KubeObject {
  const e = encodedOf(ev);
  e.obj ??= JSON.parse(ev.json) as KubeObject;
  return e.obj;
}

function line(type: string, objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}\n`;
}

/**
 * The event type a selecting watcher sees: a MODIFIED object that entered the selection is ADDED,
 * one that left it is DELETED; undefined when the watcher sees nothing of it.
 */
function selectedType(ev: StoreEvent, spec: WatchSpec): string | undefined {
  if (!spec.selection) return ev.type;
  const e = encodedOf(ev);
  e.selectable ??= selectableOf(spec.type, parsed(ev));
  const now = spec.selection.matches(e.selectable);
  if (ev.type !== 'MODIFIED' || !ev.prev) return now ? ev.type : undefined;
  const before = spec.selection.matches(JSON.parse(ev.prev) as Selectable);
  if (now) return before ? 'MODIFIED' : 'ADDED';
  return before ? 'DELETED' : undefined;
}

function encodeEvent(ev: StoreEvent, type: string, spec: WatchSpec, first: boolean): Line {
  const e = encodedOf(ev);
  const key = spec.table ? `${type}:table:${spec.table.includeObject}:${first}` : type;
  let out = e.lines.get(key);
  if (out === undefined) {
    if (spec.table) {
      const t = buildTable(spec.type, [parsed(ev)], { resourceVersion: ev.rv }, { ...spec.table, noHeaders: !first });
      out = { text: line(type, JSON.stringify(t)) };
    } else {
      out = { text: line(type, ev.json) };
    }
    e.lines.set(key, out);
  }
  return out;
}

/** Starts a watch; the returned StreamBody runs until the client goes, the timeout passes, or an error ends it. */
export function watchStream(store: ObjectStore, spec: WatchSpec): StreamBody {
  return (sink: StreamSink) => {
    let closed = false;
    let sub: WatchSubscription | undefined;
    let lastRv = spec.fromRv ?? '0';
    let first = true;
    const timers: NodeJS.Timeout[] = [];

    const close = () => {
      if (closed) return;
      closed = true;
      timers.forEach((t) => clearTimeout(t));
      sub?.close();
      sink.end();
    };
    const send = (ev: StoreEvent) => {
      if (closed) return;
      const type = selectedType(ev, spec);
      if (type === undefined) return;
      const l = encodeEvent(ev, type, spec, first);
      sink.write(sink.binary ? (l.bytes ??= Buffer.from(l.text)) : l.text);
      first = false;
    };
    const bookmark = (annotations?: Record<string, string>) => {
      const metadata: Record<string, unknown> = { resourceVersion: lastRv };
      if (annotations) metadata.annotations = annotations;
      sink.write(line('BOOKMARK', JSON.stringify({ kind: spec.type.kind, apiVersion: apiVersionOf(spec.type), metadata })));
    };

    void (async () => {
      try {
        let fromRv = spec.fromRv;
        const key = storeKey(spec.type);
        // Subscribe before listing so nothing written in between is missed; events at or below the
        // list's rv are dropped as already sent.
        const pending: StoreEvent[] = [];
        let listed = fromRv !== undefined;
        let listRv = 0n;
        sub = await store.watch(
          { key, namespace: spec.namespace, fromRv },
          {
            onEvent: (ev) => {
              if (!listed) {
                pending.push(ev);
                return;
              }
              if (BigInt(ev.rv) <= listRv) return;
              lastRv = ev.rv;
              send(ev);
            },
            onError: (err) => {
              if (closed) return;
              sink.write(line('ERROR', JSON.stringify(asStatusError(err).toStatus())));
              close();
            },
          },
        );
        if (closed) {
          sub.close();
          return;
        }
        if (fromRv === undefined) {
          let cont: string | undefined;
          do {
            const page = await store.list(key, { namespace: spec.namespace, continue: cont, limit: 500 });
            if (listRv === 0n) listRv = BigInt(page.resourceVersion);
            for (const item of page.items) {
              send({ type: 'ADDED', rv: item.rv, group: key.group, resource: key.resource, namespace: '', name: '', json: item.json });
            }
            cont = page.continue;
          } while (cont && !closed);
          lastRv = String(listRv);
          fromRv = lastRv;
          listed = true;
          for (const ev of pending.splice(0)) {
            if (BigInt(ev.rv) <= listRv) continue;
            lastRv = ev.rv;
            send(ev);
          }
        }
        if (spec.sendInitialEvents && spec.bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
        if (spec.bookmarks) {
          const every = spec.bookmarkIntervalMs ?? 60_000;
          const tick = () => {
            if (closed) return;
            bookmark();
            timers.push(setTimeout(tick, every).unref());
          };
          timers.push(setTimeout(tick, every).unref());
        }
        if (spec.timeoutSeconds && spec.timeoutSeconds > 0) timers.push(setTimeout(close, spec.timeoutSeconds * 1000).unref());
      } catch (err) {
        if (closed) return;
        sink.write(line('ERROR', JSON.stringify(asStatusError(err).toStatus())));
        close();
      }
    })();
    return close;
  };
}
