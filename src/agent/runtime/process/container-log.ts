/**
 * Container logs as files in the CRI format (`<RFC3339Nano> <stdout|stderr> F <line>`), one file per
 * run of a container (so `--previous` is the run before), rotated by size (kubelet's
 * containerLogMaxSize / containerLogMaxFiles). Only the current run's and the previous run's files
 * are kept — what kubectl can show, as the kubelet's container GC keeps one dead container per
 * container — so a crash-looping container does not fill the disk. Readers get tail, since,
 * timestamps, limitBytes, and follow through an in-memory feed of new lines that ends when the run
 * ends.
 */
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { LogOptions, LogStream } from '../runtime.js';

export interface LogLimits {
  /** rotate a run's file past this many bytes (default 10 MiB) */
  maxBytes: number;
  /** files kept per run, the live one included (default 5) */
  maxFiles: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { maxBytes: 10 * 1024 * 1024, maxFiles: 5 };

interface Line {
  time: string;
  text: string;
}

/** RFC 3339 with nanoseconds, as the CRI writes it (sub-millisecond digits from hrtime). */
function nowNano(): string {
  const ms = Date.now();
  const extra = String(process.hrtime.bigint() % 1_000_000n).padStart(6, '0');
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, `.$1${extra}Z`);
}

/** The log of one run of a container: written by the runtime, read by pods/log. */
export class RunLog {
  private fd: number;
  private bytes = 0;
  private readonly partial = { stdout: '', stderr: '' };
  private readonly feed = new EventEmitter();
  private done = false;

  constructor(
    readonly path: string,
    private readonly limits: LogLimits,
  ) {
    mkdirSync(join(path, '..'), { recursive: true });
    this.fd = openSync(path, 'a');
    this.feed.setMaxListeners(0);
  }

  get ended(): boolean {
    return this.done;
  }

  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (this.done) return;
    const text = this.partial[stream] + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial[stream] = lines.pop()!;
    for (const l of lines) this.append(stream, l);
  }

  private append(stream: 'stdout' | 'stderr', text: string): void {
    const time = nowNano();
    const rec = `${time} ${stream} F ${text}\n`;
    writeSync(this.fd, rec);
    this.bytes += Buffer.byteLength(rec);
    this.feed.emit('line', { time, text });
    if (this.bytes >= this.limits.maxBytes) this.rotate();
  }

  private rotate(): void {
    closeSync(this.fd);
    rmSync(`${this.path}.${this.limits.maxFiles - 1}`, { force: true });
    for (let i = this.limits.maxFiles - 2; i >= 1; i--) if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    if (this.limits.maxFiles > 1) renameSync(this.path, `${this.path}.1`);
    else rmSync(this.path, { force: true });
    this.fd = openSync(this.path, 'a');
    this.bytes = 0;
  }

  /** Flushes partial lines and closes the file; followers end. */
  end(): void {
    if (this.done) return;
    for (const s of ['stdout', 'stderr'] as const) if (this.partial[s]) this.append(s, this.partial[s]);
    this.done = true;
    closeSync(this.fd);
    this.feed.emit('end');
  }

  /** Follows new lines; returns the unsubscribe function. */
  subscribe(onLine: (l: Line) => void, onEnd: () => void): () => void {
    this.feed.on('line', onLine);
    this.feed.once('end', onEnd);
    return () => {
      this.feed.off('line', onLine);
      this.feed.off('end', onEnd);
    };
  }

  /** Every line on disk, rotated files first. */
  read(): Line[] {
    const files: string[] = [];
    for (let i = this.limits.maxFiles - 1; i >= 1; i--) if (existsSync(`${this.path}.${i}`)) files.push(`${this.path}.${i}`);
    if (existsSync(this.path)) files.push(this.path);
    return readLines(files);
  }
}

/**
 * The files in a container's log directory (`<run>.log` and its rotations `<run>.log.<i>`) that a
 * new run `current` makes obsolete: every run before the previous one.
 */
export function staleRunLogs(files: string[], current: number): string[] {
  return files.filter((f) => {
    const m = /^(\d+)\.log(\.\d+)?$/.exec(f);
    return !!m && Number(m[1]) < current - 1;
  });
}

/** Removes the log files of runs before the previous one from `dir`, before run `current` starts. */
export function pruneRunLogs(dir: string, current: number): void {
  if (!existsSync(dir)) return;
  for (const f of staleRunLogs(readdirSync(dir), current)) rmSync(join(dir, f), { force: true });
}

export function readLines(files: string[]): Line[] {
  const out: Line[] = [];
  for (const f of files) {
    for (const rec of readFileSync(f, 'utf8').split('\n')) {
      if (!rec) continue;
      const a = rec.indexOf(' ');
      const b = rec.indexOf(' ', a + 1);
      const c = rec.indexOf(' ', b + 1);
      if (a < 0 || b < 0 || c < 0) continue;
      out.push({ time: rec.slice(0, a), text: rec.slice(c + 1) });
    }
  }
  return out;
}

function sinceMs(opts: LogOptions): number | undefined {
  if (opts.sinceTime) return Date.parse(opts.sinceTime);
  if (opts.sinceSeconds !== undefined) return Date.now() - opts.sinceSeconds * 1000;
  return undefined;
}

/** A pods/log read of one run: history with the options applied, then (follow) new lines. */
export function logStream(log: RunLog, opts: LogOptions): LogStream {
  return {
    start(write, end) {
      const since = sinceMs(opts);
      const fmt = (l: Line) => (opts.timestamps ? `${l.time} ${l.text}\n` : `${l.text}\n`);
      let budget = opts.limitBytes ?? Infinity;
      let stopped = false;
      const emit = (l: Line): boolean => {
        if (since !== undefined && Date.parse(l.time) < since) return true;
        let s = fmt(l);
        if (Buffer.byteLength(s) > budget) s = Buffer.from(s).subarray(0, budget).toString('utf8');
        budget -= Buffer.byteLength(s);
        if (s) write(s);
        return budget > 0;
      };
      let lines = log.read();
      if (opts.tailLines !== undefined) lines = opts.tailLines <= 0 ? [] : lines.slice(-opts.tailLines);
      let more = true;
      for (const l of lines) if (!(more = emit(l))) break;
      if (!opts.follow || !more || log.ended) {
        end();
        return () => {};
      }
      const finish = () => {
        if (stopped) return;
        stopped = true;
        unsubscribe();
        end();
      };
      const unsubscribe = log.subscribe((l) => {
        if (!emit(l)) finish();
      }, finish);
      return () => {
        stopped = true;
        unsubscribe();
      };
    },
  };
}
