/**
 * The closed-loop load generator every phase shares: N workers, each issuing its next operation
 * as soon as the previous one answers, for a fixed time and at most a fixed count. Using the same
 * loop (and the same HTTP client) against berth, the bare HTTP server and raw Redis is what makes
 * their rates comparable.
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { Histogram } from './histogram.js';

export interface LoadOptions {
  concurrency: number;
  durationMs: number;
  /** hard cap on operations, so a phase is bounded even against an impossibly fast target */
  maxOps: number;
  /** the phase stops early after this many failures (a broken target, not a slow one) */
  maxErrors?: number;
  /** stops issuing (Ctrl-C) */
  signal?: AbortSignal;
}

export interface LoadResult {
  ok: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  opsPerSec: number;
  latency: Histogram;
}

/** One operation; `seq` counts up from 0 across all workers (unique names, key cycling). */
export type Operation = (seq: number) => Promise<void>;

export async function closedLoop(op: Operation, opts: LoadOptions): Promise<LoadResult> {
  const latency = new Histogram();
  const maxErrors = opts.maxErrors ?? 100;
  let seq = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + opts.durationMs;

  const worker = async () => {
    while (seq < opts.maxOps && errors < maxErrors && !opts.signal?.aborted && performance.now() < deadline) {
      const i = seq++;
      const t0 = performance.now();
      try {
        await op(i);
        latency.record(performance.now() - t0);
        ok++;
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const elapsedMs = performance.now() - start;
  return { ok, errors, firstError, elapsedMs, opsPerSec: (ok * 1000) / elapsedMs, latency };
}

export interface HttpResponse {
  status: number;
  body: string;
}

function assertLoopback(url: URL): void {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`the benchmark only talks to loopback addresses, not ${url.host}`);
}

/**
 * Keep-alive HTTP(S) client for one server: at most `maxSockets` connections, reused across
 * requests (so TLS is negotiated once per connection, as kubectl and client-go do). Reads every
 * response body in full, so each target pays the same client cost.
 */
export class HttpTarget {
  readonly base: URL;
  private agent: http.Agent;
  private transport: typeof http | typeof https;

  constructor(
    baseUrl: string,
    maxSockets: number,
    private headers: Record<string, string> = {},
    opts: { ca?: string; timeoutMs?: number } = {},
  ) {
    this.base = new URL(baseUrl);
    assertLoopback(this.base);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    const agentOpts = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
    if (this.base.protocol === 'https:') {
      this.transport = https;
      this.agent = new https.Agent({ ...agentOpts, ca: opts.ca });
    } else {
      this.transport = http;
      this.agent = new http.Agent(agentOpts);
    }
  }

  private timeoutMs: number;

  request(method: string, path: string, body?: string, expectStatus?: number): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...this.headers, accept: 'application/json' };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = this.transport.request(
        { host: this.base.hostname, port: this.base.port, method, path, headers, agent: this.agent, timeout: this.timeoutMs },
        (res) => {
          res.setEncoding('utf8');
          let text = '';
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (expectStatus !== undefined && status !== expectStatus) reject(new Error(`${method} ${path}: HTTP ${status} (wanted ${expectStatus}): ${text.slice(0, 300)}`));
            else resolve({ status, body: text });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface PacedOptions {
  /** operations per second */
  rate: number;
  total: number;
  /** operations allowed in flight before the pacer waits (it then falls behind, and says so) */
  maxInFlight: number;
  /** hard stop for issuing, however far behind */
  maxMs: number;
  signal?: AbortSignal;
}

export interface PacedResult extends LoadResult {
  /** sequence numbers that succeeded */
  okSeqs: number[];
  /** operations issued more than 10 ms after their slot (the target, or we, could not keep up) */
  late: number;
}

/**
 * Open-loop load: operation `seq` is issued at start + seq/rate whatever the previous ones are
 * doing, as a stream of writes from many clients would be. Used by the watch phase's writer.
 */
export function pacedLoop(op: Operation, opts: PacedOptions): Promise<PacedResult> {
  const latency = new Histogram();
  const okSeqs: number[] = [];
  let issued = 0;
  let inFlight = 0;
  let errors = 0;
  let late = 0;
  let firstError: string | undefined;
  const start = performance.now();
  return new Promise((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      const elapsedMs = performance.now() - start;
      resolve({ ok: okSeqs.length, errors, firstError, elapsedMs, opsPerSec: (okSeqs.length * 1000) / elapsedMs, latency, okSeqs, late });
    };
    const issue = (seq: number) => {
      inFlight++;
      const t0 = performance.now();
      if (t0 - (start + (seq * 1000) / opts.rate) > 10) late++;
      op(seq).then(
        () => {
          latency.record(performance.now() - t0);
          okSeqs.push(seq);
        },
        (e: Error) => {
          errors++;
          firstError ??= e.message;
        },
      ).finally(() => {
        inFlight--;
        if (inFlight === 0 && (issued >= opts.total || performance.now() - start > opts.maxMs || opts.signal?.aborted)) finish();
      });
    };
    const tick = () => {
      const now = performance.now();
      if (now - start > opts.maxMs || opts.signal?.aborted) {
        if (inFlight === 0) finish();
        return;
      }
      const due = Math.min(opts.total, Math.floor(((now - start) * opts.rate) / 1000) + 1);
      while (issued < due && inFlight < opts.maxInFlight) issue(issued++);
      if (issued < opts.total) setTimeout(tick, 1);
      else if (inFlight === 0) finish();
    };
    tick();
  });
}
