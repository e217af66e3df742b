/**
 * The transport-independent shape of an API call. The HTTP server and the in-process client
 * transport both build an `ApiRequest` and hand it to the same `ApiHandler`, so every write — a
 * kubectl call or a controller's — takes one path (ARCHITECTURE rule 1).
 */
import type { StreamUpgrade } from './streaming/session.js';

/** Who is calling, as authentication established it. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface ApiRequest {
  method: string;
  /** the URL path, without the query */
  path: string;
  query: URLSearchParams;
  /** lower-case header names */
  headers: Record<string, string | undefined>;
  body?: Buffer;
  /** set by the transport when it authenticated the caller itself (in-process); else the handler authenticates */
  user?: UserInfo;
  /** aborts work on behalf of a client that went away (e.g. a followed log proxied to an agent) */
  signal?: AbortSignal;
  /** the client's address (HTTP transport), for the audit log's sourceIPs */
  remoteAddress?: string;
}

/** Receives a streamed response (watch) chunk by chunk. */
export interface StreamSink {
  /** returns false when the consumer is backed up (as Writable.write does) */
  write(chunk: string | Buffer): boolean;
  end(): void;
  /**
   * The sink sends bytes (the HTTP transport): a producer that writes the same chunk to many sinks
   * should hand each the same Buffer, encoded once; neither side modifies it once written (the
   * transport may send it to other watchers later). Sinks without it are given strings.
   */
  readonly binary?: boolean;
}

/** A streamed body: started with a sink, returns a function that stops it. */
export type StreamBody = (sink: StreamSink) => () => void;

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** a whole body, or `stream` for watches */
  body?: string | Buffer;
  stream?: StreamBody;
  /** pods/exec, attach, portforward: the transport upgrades the connection (101) and serves this */
  upgrade?: StreamUpgrade;
}

export const JSON_TYPE = 'application/json';

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) };
}
