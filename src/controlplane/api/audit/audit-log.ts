/**
 * The audit log: one JSON line per request and stage, shaped as Kubernetes' audit.k8s.io/v1 Event
 * (user, verb, objectRef, responseStatus, the authorization decision and admission annotations,
 * timestamps), filtered by an audit Policy. Lines are buffered and written in batches (every 50 ms
 * or 256 KB) from a write stream, off the request path: a request only builds its event and
 * appends a string. A crash loses at most the last batch; `close` writes it. Past a size the file
 * is rotated as kube-apiserver's lumberjack does (`audit-<time>.log` beside it, the oldest pruned by
 * count and age).
 *
 * Wiring: `ApiHandler` calls `begin(req)` for every request, `attributes(...)` once it knows who
 * asks for what, `decide(...)` after authorization, and `finish(res)` with the response.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, type WriteStream } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { AuthorizationAttributes } from '../admission.js';
import type { ApiRequest, ApiResponse, UserInfo } from '../request.js';
import { decodeBody } from '../body.js';
import { auditDecision, type AuditAttributes, type AuditDecision, type AuditLevel, type AuditPolicy, type AuditStage } from './audit-policy.js';

/** An audit.k8s.io/v1 Event. */
export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: AuditLevel;
  auditID: string;
  stage: AuditStage;
  requestURI: string;
  verb: string;
  user: { username: string; uid?: string; groups?: string[] };
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: { resource?: string; namespace?: string; name?: string; apiGroup?: string; apiVersion?: string; subresource?: string };
  responseStatus?: { metadata: Record<string, never>; status?: string; message?: string; reason?: string; code: number };
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

/** Kubernetes writes timestamps with microseconds. */
const micro = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '000Z');

/** Flush when this much is buffered, else this long after the first line of a batch. */
const FLUSH_BYTES = 256 * 1024;
const FLUSH_MS = 50;

/** When the file is rotated (kube-apiserver's `--audit-log-maxsize/maxbackup/maxage`). */
export interface AuditRotation {
  /** rotate before the file would pass this size; 0 = never */
  maxSizeBytes: number;
  /** rotated files kept, newest first; 0 = all */
  maxBackups: number;
  /** rotated files older than this many days are removed; 0 = kept */
  maxAgeDays: number;
}

/** Lumberjack's backup name: `<name>-<UTC time, 2006-01-02T15-04-05.000><ext>` beside the file. */
export function backupName(path: string, at: Date): string {
  const ext = extname(path);
  const stamp = at.toISOString().replace(/:/g, '-').replace(/Z$/, '');
  return join(dirname(path), `${basename(path, ext)}-${stamp}${ext}`);
}

/** A file of JSON lines, appended in batches. */
export class AuditLog {
  private out: WriteStream;
  private buffer: string[] = [];
  private bytes = 0;
  private scheduled = false;
  /** bytes in the current file, counted as they are handed to the stream */
  private size: number;

  constructor(
    readonly path: string,
    readonly policy: AuditPolicy,
    private readonly rotation: AuditRotation = { maxSizeBytes: 0, maxBackups: 0, maxAgeDays: 0 },
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.size = existsSync(path) ? statSync(path).size : 0;
    this.out = this.open();
  }

  private open(): WriteStream {
    const out = createWriteStream(this.path, { flags: 'a', mode: 0o600 });
    out.on('error', (e) => console.error(`berth api: audit log ${this.path}: ${e.message}`));
    return out;
  }

  /** Starts the audit of one request. */
  begin(req: ApiRequest): RequestAudit {
    return new RequestAudit(this, req);
  }

  /** Queues one event; written with the others of its batch (at most FLUSH_MS later). */
  write(e: AuditEvent): void {
    const line = JSON.stringify(e) + '\n';
    this.buffer.push(line);
    this.bytes += line.length;
    if (this.bytes >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => this.flush(), FLUSH_MS).unref();
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (this.buffer.length === 0) return;
    const max = this.rotation.maxSizeBytes;
    if (max > 0 && this.size > 0 && this.size + this.bytes > max) this.rotate();
    this.out.write(this.buffer.join(''));
    this.size += this.bytes;
    this.buffer = [];
    this.bytes = 0;
  }

  /**
   * Moves the file aside and starts a new one. Writes still queued on the old stream land in the
   * moved file: its descriptor follows the rename.
   */
  private rotate(): void {
    let at = Date.now();
    while (existsSync(backupName(this.path, new Date(at)))) at++;
    try {
      renameSync(this.path, backupName(this.path, new Date(at)));
    } catch (e) {
      console.error(`berth api: audit log ${this.path}: cannot rotate: ${(e as Error).message}`);
      return;
    }
    this.out.end();
    this.out = this.open();
    this.size = 0;
    this.prune();
  }

  /** Removes rotated files beyond maxBackups (oldest first) and older than maxAgeDays. */
  private prune(): void {
    const ext = extname(this.path);
    const prefix = `${basename(this.path, ext)}-`;
    const stamp = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2}\.\d{3})$/;
    const backups = readdirSync(dirname(this.path))
      .filter((f) => f.startsWith(prefix) && f.endsWith(ext))
      .map((f) => ({ f, m: stamp.exec(f.slice(prefix.length, f.length - ext.length)) }))
      .filter((b) => b.m)
      .map((b) => ({ file: join(dirname(this.path), b.f), at: Date.parse(`${b.m![1]}T${b.m![2]}:${b.m![3]}:${b.m![4]}Z`) }))
      .sort((a, b) => b.at - a.at);
    const { maxBackups, maxAgeDays } = this.rotation;
    const cutoff = Date.now() - maxAgeDays * 86_400_000;
    backups.forEach((b, i) => {
      if ((maxBackups > 0 && i >= maxBackups) || (maxAgeDays > 0 && b.at < cutoff)) {
        try {
          unlinkSync(b.file);
        } catch {
          // already gone
        }
      }
    });
  }

  /** Writes what is buffered and closes the file. */
  close(): Promise<void> {
    this.flush();
    return new Promise((resolve) => this.out.end(resolve));
  }
}

/** The audit of one request, filled in as the handler learns about it. */
export class RequestAudit {
  /** annotations admission plugins and the authorizer add (`<policy>/<key>`, `authorization.k8s.io/decision`) */
  readonly annotations: Record<string, string> = {};
  readonly id = randomUUID();
  private readonly received = Date.now();
  private readonly start = performance.now();
  private attrs?: AuthorizationAttributes;
  private user?: UserInfo;
  private decision?: AuditDecision;

  constructor(
    private readonly log: AuditLog,
    private readonly req: ApiRequest,
  ) {}

  /** Who asks for what: decides the level, and writes the RequestReceived stage unless omitted. */
  attributes(attrs: AuthorizationAttributes): void {
    this.attrs = attrs;
    this.user = attrs.user;
    this.decision = auditDecision(this.log.policy, attrs);
    this.emit('RequestReceived');
  }

  /** The authorizer's verdict, as kube-apiserver annotates it. */
  authorized(allowed: boolean, reason: string | undefined): void {
    this.annotations['authorization.k8s.io/decision'] = allowed ? 'allow' : 'forbid';
    if (reason) this.annotations['authorization.k8s.io/reason'] = reason;
  }

  /**
   * Writes the ResponseComplete stage (a watch: ResponseStarted now, ResponseComplete when its
   * stream ends) and returns the response with the `Audit-ID` header.
   */
  finish(res: ApiResponse): ApiResponse {
    this.decision ??= auditDecision(this.log.policy, this.fallbackAttributes());
    const out = { ...res, headers: { ...res.headers, 'audit-id': this.id } };
    if (!res.stream) {
      this.emit('ResponseComplete', res);
      return out;
    }
    this.emit('ResponseStarted', res);
    const stream = res.stream;
    out.stream = (sink) => {
      let done = false;
      const complete = () => {
        if (!done) this.emit('ResponseComplete', res);
        done = true;
      };
      const stop = stream({ write: (c) => sink.write(c), end: () => (complete(), sink.end()), binary: sink.binary });
      return () => (complete(), stop());
    };
    return out;
  }

  /** For requests refused before their attributes were known (401, bad paths). */
  private fallbackAttributes(): AuditAttributes {
    return { user: this.user ?? { username: '', groups: [] }, verb: this.req.method.toLowerCase(), resourceRequest: false, path: this.req.path };
  }

  private emit(stage: AuditStage, res?: ApiResponse): void {
    const d = this.decision;
    if (!d || d.level === 'None' || d.omitStages.has(stage)) return;
    const a = this.attrs;
    const now = Date.now();
    const query = this.req.query.toString();
    const e: AuditEvent = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: d.level,
      auditID: this.id,
      stage,
      requestURI: query ? `${this.req.path}?${query}` : this.req.path,
      verb: a?.verb ?? this.req.method.toLowerCase(),
      user: this.user ? { username: this.user.username, ...(this.user.uid ? { uid: this.user.uid } : {}), groups: this.user.groups } : { username: '' },
      sourceIPs: this.req.remoteAddress ? [this.req.remoteAddress] : undefined,
      userAgent: this.req.headers['user-agent'],
      objectRef: a?.resourceRequest ? { resource: a.resource, namespace: a.namespace, name: a.name, apiGroup: a.group || undefined, apiVersion: a.version, subresource: a.subresource } : undefined,
      requestReceivedTimestamp: micro(this.received),
      stageTimestamp: micro(now),
    };
    if (res) {
      e.responseStatus = responseStatus(res);
      // a create names its object in the body: take the name from what was created, as Kubernetes does
      if (e.objectRef && !e.objectRef.name && a?.verb === 'create' && res.status < 300) {
        e.objectRef.name = (json(res.body) as { metadata?: { name?: string } } | undefined)?.metadata?.name;
      }
      this.annotations['apiserver.latency.k8s.io/total'] = `${(performance.now() - this.start).toFixed(3)}ms`;
      if (d.level === 'RequestResponse' && !res.stream) e.responseObject = decoded(res.body, res.headers['content-type']);
    }
    if ((d.level === 'Request' || d.level === 'RequestResponse') && this.req.body) e.requestObject = decoded(this.req.body, this.req.headers['content-type']);
    if (Object.keys(this.annotations).length > 0) e.annotations = { ...this.annotations };
    this.log.write(e);
  }
}

/** A body as an object, whatever its encoding (JSON, YAML, protobuf, patches); undefined if it is none. */
function decoded(body: string | Buffer | undefined, contentType: string | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    return decodeBody(typeof body === 'string' ? Buffer.from(body) : body, contentType, true);
  } catch {
    return undefined;
  }
}

function json(body: string | Buffer | undefined): unknown {
  if (body === undefined) return undefined;
  const s = typeof body === 'string' ? body : body.toString('utf8');
  if (!s.startsWith('{') && !s.startsWith('[')) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Kubernetes records the Status of a failed request (message, reason) and only the code of a success. */
function responseStatus(res: ApiResponse): AuditEvent['responseStatus'] {
  if (res.status < 400) return { metadata: {}, code: res.status };
  const s = json(res.body) as { status?: string; message?: string; reason?: string } | undefined;
  return { metadata: {}, status: s?.status ?? 'Failure', message: s?.message, reason: s?.reason, code: res.status };
}
