/**
 * How the typed client reaches the API: in-process (a direct call into the same `ApiHandler` the
 * HTTP server uses) or over HTTP. Both implement `Transport`, so components don't care where the
 * API server runs (ARCHITECTURE rule 1).
 */
import type { ApiHandler } from '../api/handler.js';
import type { ApiRequest, UserInfo } from '../api/request.js';

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
 * the API cannot be reached. `stream` yields the body of a streaming response line by line and
 * stops when the signal aborts or the server ends the stream.
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

  private toApi(req: TransportRequest, signal?: AbortSignal): ApiRequest {
    const { pathname, query } = splitPath(req.path);
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
    return { method: req.method, path: pathname, query, headers, body: req.body === undefined ? undefined : Buffer.from(req.body), user: this.user, signal };
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    const res = await this.handler.handle(this.toApi(req));
    if (res.stream) throw new Error(`${req.method} ${req.path} answered with a stream; use stream()`);
    const body = res.body === undefined ? '' : typeof res.body === 'string' ? res.body : res.body.toString('utf8');
    return { status: res.status, headers: res.headers, body };
  }

  async *stream(req: TransportRequest, signal: AbortSignal): AsyncIterable<string> {
    const res = await this.handler.handle(this.toApi(req, signal));
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
        queue.push(chunk);
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

/** Talks to an API server over HTTP(S) with a bearer token, keeping connections alive. */
export class HttpTransport implements Transport {
  constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
    private readonly userAgent = 'berth',
  ) {}

  private headers(req: TransportRequest): Record<string, string> {
    const h: Record<string, string> = { 'user-agent': this.userAgent, ...(req.headers ?? {}) };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    return h;
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    const res = await fetch(this.baseUrl + req.path, { method: req.method, headers: this.headers(req), body: req.body });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    return { status: res.status, headers, body: await res.text() };
  }

  async *stream(req: TransportRequest, signal: AbortSignal): AsyncIterable<string> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + req.path, { method: req.method, headers: this.headers(req), body: req.body, signal });
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
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
    }
  }
}
