/**
 * How the typed client reaches the API: in-process (a direct call into the same `ApiHandler` the
 * HTTP server uses) or over HTTP. Both implement `Transport`, so components don't care where the
 * API server runs (ARCHITECTURE rule 1).
 */
import http from 'node:http';
import https from 'node:https';
import type { ApiHandler } from '../api/handler.js';
import type { ApiRequest, UserInfo } from '../api/request.js';
import { isConnectionReset, replayable } from './replay.js';

export interface TransportRequest {
  method: string;
  /** path with query string, e.g. `/api/v1/namespaces/default/pods?labelSelector=app%3Dweb` */
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Contract: `request` resolves with any HTTP status (the client maps errors); it rejects only when
 * the API cannot be reached. A transport may send a request again only when it writes nothing
 * (`replayable`) and its first attempt was not answered. `stream` yields the body of a streaming
 * response line by line and stops when the signal aborts or the server ends the stream.
 */
export interface Transport {
  request(req: TransportRequest): Promise<TransportResponse>;
  stream(req: TransportRequest, signal: AbortSignal): AsyncIterable<string>;
}

function splitPath(path: string): { pathname: string; query: URLSearchParams } {
  const i = path.indexOf('?');
  return i < 0 ? { pathname: path, query: new URLSearchParams() } : { pathname: path.slice(0, i), query: new URLSearchParams(path.slice(i + 1)) };
}

/** Calls the handler directly, as `user` (already authenticated: it is this process). */
export class InProcessTransport implements Transport {
  constructor(
    private readonly handler: ApiHandler,
    private readonly user: UserInfo,
    private readonly userAgent = 'berth',
  ) {}

  private toApi(req: TransportRequest): ApiRequest {
    const { pathname, query } = splitPath(req.path);
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
    return { method: req.method, path: pathname, query, headers, body: req.body === undefined ? undefined : Buffer.from(req.body), user: this.user };
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    const res = await this.handler.handle(this.toApi(req));
    if (res.stream) throw new Error(`${req.method} ${req.path} answered with a stream; use stream()`);
    const body = res.body === undefined ? '' : typeof res.body === 'string' ? res.body : res.body.toString('utf8');
    return { status: res.status, headers: res.headers, body };
  }

  async *stream(req: TransportRequest, signal: AbortSignal): AsyncIterable<string> {
    const res = await this.handler.handle(this.toApi(req));
    if (!res.stream) {
      const body = res.body === undefined ? '' : res.body.toString();
      yield body;
      return;
    }
    const queue: string[] = [];
    let done = false;
    let wake: (() => void) | undefined;
    const stop = res.stream({
      write: (chunk) => {
        queue.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
        wake?.();
        return true;
      },
      end: () => {
        done = true;
        wake?.();
      },
    });
    const onAbort = () => {
      done = true;
      stop();
      wake?.();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        while (queue.length > 0) {
          const chunk = queue.shift()!;
          for (const line of chunk.split('\n')) if (line) yield line;
        }
        if (done) return;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      stop();
    }
  }
}

/**
 * Talks to an API server over HTTP(S) with a bearer token, keeping connections alive. A replayable
 * request (a read or a dry run, see replay.ts) whose kept-alive connection the server had closed — it
 * fails with a reset or a hang-up before any response — is sent once more on a new connection.
 */
export class HttpTransport implements Transport {
  private readonly url: URL;
  private readonly agent: http.Agent;

  /** `ca` is the PEM of the CA that signed an https server's certificate. */
  constructor(
    baseUrl: string,
    private readonly token?: string,
    private readonly ca?: string,
    private readonly userAgent = 'berth',
  ) {
    this.url = new URL(baseUrl);
    this.agent = this.url.protocol === 'https:' ? new https.Agent({ keepAlive: true, ca }) : new http.Agent({ keepAlive: true });
  }

  /** `retry`: this is the second attempt, on a connection of its own (never a pooled one, which may be dead too). */
  private open(req: TransportRequest, signal?: AbortSignal, retry = false): Promise<http.IncomingMessage> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...(req.headers ?? {}) };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const mod = this.url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      let answered = false;
      const r = mod.request(
        { host: this.url.hostname, port: this.url.port, path: req.path, method: req.method, headers, agent: retry ? false : this.agent, ca: this.ca, signal },
        (res) => {
          answered = true;
          resolve(res);
        },
      );
      r.on('error', (e) => {
        if (answered) return;
        if (!retry && r.reusedSocket && isConnectionReset(e) && !signal?.aborted && replayable(req)) resolve(this.open(req, signal, true));
        else reject(e);
      });
      r.end(req.body);
    });
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    const res = await this.open(req);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    return { status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') };
  }

  async *stream(req: TransportRequest, signal: AbortSignal): AsyncIterable<string> {
    let res: http.IncomingMessage;
    try {
      res = await this.open(req, signal);
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    res.setEncoding('utf8');
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += chunk as string;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line) yield line;
        }
      }
      if (buf) yield buf;
    } catch (e) {
      if (!signal.aborted) throw e;
    } finally {
      res.destroy();
    }
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}
