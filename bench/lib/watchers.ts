/**
 * The watch phase's watchers, run in a worker thread so that reading 100 streams does not share an
 * event loop with the writer whose timing they measure. Each watcher is its own HTTP connection
 * reading newline-delimited watch events; for the writer's objects it records which sequence
 * numbers arrived and how long after their send time (carried in the object) they did.
 *
 * Messages: in ← {type:'expect', okSeqs, waitMs}; out → {type:'ready'} | {type:'failed', error}
 * | {type:'result', ...WatchResult}.
 */
import http from 'node:http';
import https from 'node:https';
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Histogram, type HistogramData } from './histogram.js';

export interface WatchersInput {
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** path with query, e.g. /api/v1/namespaces/default/configmaps?watch=1&resourceVersion=42 */
  path: string;
  token: string;
  /** PEM of the CA that signed the server's certificate, for https */
  ca?: string;
  watchers: number;
  /** object names are PREFIX<seq> */
  namePrefix: string;
  /** upper bound on seq, to size the per-watcher bitmaps */
  maxSeq: number;
  openTimeoutMs: number;
}

export interface WatchResult {
  /** per watcher: how many of the acknowledged writes it saw */
  seen: number[];
  duplicates: number;
  outOfOrder: number;
  /** ERROR events and dropped connections, as text */
  problems: string[];
  latency: HistogramData;
}

/** wall-clock ms with sub-ms precision, comparable across threads of one process */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

interface Watcher {
  got: Uint8Array;
  lastRv: number;
  req?: http.ClientRequest;
  closed: boolean;
}

function run(input: WatchersInput, port: NonNullable<typeof parentPort>): void {
  const base = new URL(input.baseUrl);
  const latency = new Histogram();
  const problems: string[] = [];
  let duplicates = 0;
  let outOfOrder = 0;
  let opened = 0;
  let failed = false;
  const nameMark = `"name":"${input.namePrefix}`;
  const sentRe = /"sentAt":"([\d.]+)"/;
  const rvRe = /"resourceVersion":"(\d+)"/;

  const handleLine = (w: Watcher, line: string, at: number) => {
    if (!line.startsWith('{"type":"ADDED"')) {
      if (line.startsWith('{"type":"ERROR"')) problems.push(`ERROR event: ${line.slice(0, 300)}`);
      return;
    }
    const n = line.indexOf(nameMark);
    if (n < 0) return;
    const seq = Number.parseInt(line.slice(n + nameMark.length, n + nameMark.length + 12), 10);
    if (!(seq >= 0 && seq < input.maxSeq)) return;
    if (w.got[seq]) {
      duplicates++;
      return;
    }
    w.got[seq] = 1;
    const sent = sentRe.exec(line);
    if (sent) latency.record(at - Number(sent[1]));
    const rv = rvRe.exec(line);
    if (rv) {
      const v = Number(rv[1]);
      if (v < w.lastRv) outOfOrder++;
      w.lastRv = v;
    }
  };

  const watchers: Watcher[] = [];
  const openTimer = setTimeout(() => {
    if (opened < input.watchers && !failed) {
      failed = true;
      port.postMessage({ type: 'failed', error: `only ${opened} of ${input.watchers} watches opened within ${input.openTimeoutMs} ms` });
    }
  }, input.openTimeoutMs);

  for (let i = 0; i < input.watchers; i++) {
    const w: Watcher = { got: new Uint8Array(input.maxSeq), lastRv: 0, closed: false };
    watchers.push(w);
    // agent: false → a connection of its own per watcher, as 100 separate clients would have.
    const transport = base.protocol === 'https:' ? https : http;
    w.req = transport.request(
      { host: base.hostname, port: base.port, path: input.path, agent: false, ca: input.ca, headers: { authorization: `Bearer ${input.token}`, accept: 'application/json' } },
      (res) => {
        if (res.statusCode !== 200) {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => {
            if (!failed) port.postMessage({ type: 'failed', error: `watch answered HTTP ${res.statusCode}: ${text.slice(0, 300)}` });
            failed = true;
          });
          return;
        }
        if (++opened === input.watchers) {
          clearTimeout(openTimer);
          port.postMessage({ type: 'ready' });
        }
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          const at = nowMs();
          buf += chunk;
          let start = 0;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n', start)) {
            handleLine(w, buf.slice(start, nl), at);
            start = nl + 1;
          }
          buf = buf.slice(start);
        });
        res.on('close', () => {
          if (!w.closed) problems.push(`watcher ${i}: the server closed the stream`);
          w.closed = true;
        });
      },
    );
    w.req.on('error', (e) => {
      if (w.closed) return;
      w.closed = true;
      problems.push(`watcher ${i}: ${e.message}`);
      if (opened < input.watchers && !failed) {
        failed = true;
        port.postMessage({ type: 'failed', error: `watch ${i}: ${e.message}` });
      }
    });
    w.req.end();
  }

  port.on('message', (msg: { type: 'expect'; okSeqs: number[]; waitMs: number }) => {
    if (msg.type !== 'expect') return;
    const deadline = Date.now() + msg.waitMs;
    const count = () => watchers.map((w) => msg.okSeqs.reduce((n, s) => n + w.got[s], 0));
    const check = () => {
      const seen = count();
      if (seen.every((n) => n === msg.okSeqs.length) || Date.now() > deadline) {
        for (const w of watchers) {
          w.closed = true;
          w.req?.destroy();
        }
        const result: WatchResult = { seen, duplicates, outOfOrder, problems: problems.slice(0, 20), latency: latency.toData() };
        port.postMessage({ type: 'result', ...result });
        return;
      }
      setTimeout(check, 100);
    };
    check();
  });
}

if (parentPort && workerData) run(workerData as WatchersInput, parentPort);
