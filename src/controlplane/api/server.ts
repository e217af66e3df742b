/**
 * The HTTP transport of the API server: turns Node requests into `ApiRequest`s for the shared
 * handler and writes its responses back, streaming watches. Bodies over the limit are refused
 * while they arrive, and watchers that stop reading are dropped instead of buffered forever.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { MAX_BODY_BYTES } from './body.js';
import { errors, StatusError } from './errors.js';
import type { ApiHandler } from './handler.js';
import type { ApiRequest, ApiResponse } from './request.js';
import { acceptStream, refuseUpgrade } from './streaming/websocket.js';

/** Streamed chunks that keep coming are written at most this often per response (ms). */
const STREAM_COALESCE_MS = 5;

/** A watcher this far behind is cut off; it re-lists, as client-go does after a closed watch. */
const MAX_WATCH_BACKLOG_BYTES = 32 * 1024 * 1024;

function sendStatus(res: ServerResponse, err: StatusError): void {
  const body = JSON.stringify(err.toStatus());
  res.writeHead(err.code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer | StatusError> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      resolve(errors.tooLarge(`the request body is ${declared} bytes; the limit is ${MAX_BODY_BYTES}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      if (refused) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        refused = true;
        chunks.length = 0;
        resolve(errors.tooLarge(`the request body is over the limit of ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function lowerHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/**
 * The last batch framed, so the next response whose batch is the same chunks (the same events to
 * every watcher, flushed one after the other) gets the same bytes instead of its own copy.
 */
let lastBatch: { chunks: Buffer[]; framed: boolean; bytes: Buffer } | undefined;

/**
 * `chunks` as one write: one HTTP/1.1 chunk when `framed`, else their concatenation; undefined when
 * they hold no bytes (framed, a chunk of size 0 is the last chunk and would end the response).
 */
function batchBytes(chunks: Buffer[], framed: boolean): Buffer | undefined {
  const last = lastBatch;
  if (last && last.framed === framed && last.chunks.length === chunks.length && last.chunks.every((c, i) => c === chunks[i])) return last.bytes;
  let size = 0;
  for (const c of chunks) size += c.length;
  if (size === 0) return undefined;
  const parts = framed ? [Buffer.from(`${size.toString(16)}\r\n`, 'latin1'), ...chunks, CRLF] : chunks;
  const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  lastBatch = { chunks, framed, bytes };
  return bytes;
}

function writeResponse(res: ServerResponse, response: ApiResponse): void {
  // exec, attach and portforward without an Upgrade header, as the apiserver answers them
  if (response.upgrade) return sendStatus(res, errors.badRequest('Upgrade request required'));
  if (response.stream) {
    res.writeHead(response.status, response.headers);
    // Chunked encoding is done here rather than by node:http, which writes a chunk as four buffers
    // that TLS then copies into one: a batch is framed once and the same Buffer goes to every
    // watcher that gets the same batch (see batchBytes). chunkedEncoding is node:http's internal
    // (set by writeHead, read when writing); server.test.ts pins the behaviour this relies on.
    const framed = res.chunkedEncoding;
    res.chunkedEncoding = false;
    res.flushHeaders();
    let stop: (() => void) | undefined;
    let ended = false;
    // Chunks leave in batches, one write of their concatenation each: one HTTP chunk, one TLS
    // record and one syscall per batch, not per event. A batch is what one tick wrote (the watch
    // hub hands over what it read at once) or, while chunks keep coming, what came within
    // STREAM_COALESCE_MS of the last write; a chunk after a quiet spell leaves at once.
    let pending: Buffer[] = [];
    let lastFlush = -Infinity;
    const flush = () => {
      lastFlush = performance.now();
      const batch = pending;
      pending = [];
      const bytes = ended ? undefined : batchBytes(batch, framed);
      if (bytes) res.write(bytes);
    };
    const schedule = () => {
      const wait = lastFlush + STREAM_COALESCE_MS - performance.now();
      if (wait <= 0) process.nextTick(flush);
      else setTimeout(flush, wait);
    };
    stop = response.stream({
      binary: true,
      write: (chunk) => {
        if (ended) return false;
        if (res.writableLength > MAX_WATCH_BACKLOG_BYTES) {
          ended = true;
          pending = [];
          res.destroy();
          stop?.();
          return false;
        }
        if (pending.length === 0) schedule();
        pending.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        return !res.writableNeedDrain;
      },
      end: () => {
        if (ended) return;
        flush();
        ended = true;
        res.end(framed ? LAST_CHUNK : undefined);
      },
    });
    const onClose = () => {
      ended = true;
      stop?.();
    };
    res.on('close', onClose);
    return;
  }
  const body = response.body ?? '';
  res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export interface ListeningServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface TlsOptions {
  cert: string;
  key: string;
}

/** `signal` is made on first use: most requests never ask for it, and an AbortController costs. */
function apiRequest(req: IncomingMessage, body: Buffer | undefined, signal: () => AbortSignal): ApiRequest {
  const url = new URL(req.url ?? '/', 'http://localhost');
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: lowerHeaders(req),
    body,
    get signal() {
      return signal();
    },
    remoteAddress: req.socket.remoteAddress,
  };
}

/** An abort signal for `res`, aborted when it closes (finished or cut off); made when first asked for. */
function closeSignal(res: ServerResponse): () => AbortSignal {
  let controller: AbortController | undefined;
  let closed = false;
  res.on('close', () => {
    closed = true;
    controller?.abort();
  });
  return () => {
    if (!controller) {
      controller = new AbortController();
      if (closed) controller.abort();
    }
    return controller.signal;
  };
}

/**
 * Requests with an Upgrade header (exec, attach, portforward): the handler authenticates,
 * authorizes and checks them like any request; an `upgrade` answer is accepted as a WebSocket,
 * anything else is written back as plain HTTP.
 */
function onUpgrade(handler: ApiHandler, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const controller = new AbortController();
  void (async () => {
    const response = await handler.handle(apiRequest(req, undefined, () => controller.signal));
    if (response.upgrade) return acceptStream(req, socket, head, response.upgrade);
    if (response.stream) return refuseUpgrade(socket, new StatusError('BadRequest', `${req.url} does not upgrade connections`));
    const body = response.body ?? '';
    const headers = Object.entries({ ...response.headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? 'Unknown'}\r\n${headers}\r\n`);
    socket.end(body);
  })().catch((e: Error) => refuseUpgrade(socket, errors.internal(e.message)));
}

/** Serves `handler` on host:port (port 0 picks a free one), over TLS when `tls` is given. */
export async function listen(handler: ApiHandler, host: string, port: number, tls?: TlsOptions): Promise<ListeningServer> {
  const onRequest: RequestListener = (req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        if (!Buffer.isBuffer(body)) {
          sendStatus(res, body as StatusError);
          return;
        }
        writeResponse(res, await handler.handle(apiRequest(req, body.length > 0 ? body : undefined, closeSignal(res))));
      } catch (e) {
        if (!res.headersSent) sendStatus(res, errors.internal((e as Error).message));
        else res.destroy();
      }
    })();
  };
  const base = { keepAliveTimeout: 65_000, requestTimeout: 0 };
  const server: Server = tls ? createTlsServer({ ...base, cert: tls.cert, key: tls.key }, onRequest) : createServer(base, onRequest);
  server.headersTimeout = 30_000;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => onUpgrade(handler, req, socket, head));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    url: `${tls ? 'https' : 'http'}://${shownHost}:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
