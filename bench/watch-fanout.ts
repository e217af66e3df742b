/**
 * `npm run bench -- watch-fanout`: what the API server's HTTP transport spends handing watch events
 * to many watchers, without the write path in front of it. The real `listen()` (over TLS with a
 * fresh CA, as `berth up` serves) with a stub handler whose watch streams get one shared event
 * line per write, as the watch layer hands them over; the watchers read in a child process, so the
 * figure is the server process's own CPU. Meant for A/B runs of transport changes: CPU per event
 * moves much less than whole-benchmark rates when the machine is shared.
 *
 * Flags: --watchers N (100) --rate N events/s (1000) --seconds S (5) --warmup S (1) --bytes N
 * per event (~900) --plain (HTTP instead of HTTPS)
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ApiHandler } from '../src/controlplane/api/handler.js';
import type { ApiResponse, StreamSink } from '../src/controlplane/api/request.js';
import { listen } from '../src/controlplane/api/server.js';
import { ensureServingCerts } from '../src/controlplane/pki.js';
import { Histogram, type HistogramData } from './lib/histogram.js';
import { installCleanupHandlers, removeDir, tempDir } from './lib/procs.js';

interface ClientInput {
  url: string;
  ca?: string;
  watchers: number;
}

type ClientMessage = { type: 'ready' } | { type: 'result'; latency: HistogramData; events: number; problems: string[] };

const nowMs = () => performance.timeOrigin + performance.now();

/** The child: opens the watchers, records each event's delay from its sentAt, reports when asked. */
function runClient(input: ClientInput): void {
  const send = (m: ClientMessage) => process.send!(m);
  let latency = new Histogram();
  const problems: string[] = [];
  let events = 0;
  let open = 0;
  const get = input.url.startsWith('https:') ? https.get : http.get;
  const agent = input.url.startsWith('https:') ? new https.Agent({ keepAlive: true, maxSockets: Infinity, ca: input.ca }) : new http.Agent({ keepAlive: true, maxSockets: Infinity });
  for (let i = 0; i < input.watchers; i++) {
    get(`${input.url}/watch`, { agent }, (res) => {
      if (++open === input.watchers) send({ type: 'ready' });
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        const at = nowMs();
        buf += d;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const m = /"sentAt":"([\d.]+)"/.exec(line);
          if (!m) continue;
          events++;
          latency.record(at - Number(m[1]));
        }
      });
      res.on('error', (e) => problems.push(`watcher ${i}: ${e.message}`));
    }).on('error', (e) => problems.push(`watcher ${i}: ${e.message}`));
  }
  // each report covers what arrived since the last one
  process.on('message', () => {
    send({ type: 'result', latency: latency.toData(), events, problems });
    latency = new Histogram();
    events = 0;
  });
}

function nextMessage(child: ChildProcess, timeoutMs: number): Promise<ClientMessage> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the watchers' process said nothing for ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (m: ClientMessage) => (clearTimeout(t), resolve(m)));
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      watchers: { type: 'string', default: '100' },
      rate: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      bytes: { type: 'string', default: '900' },
      plain: { type: 'boolean', default: false },
    },
  });
  const watchers = Number(values.watchers);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  const bytes = Number(values.bytes);
  for (const [name, v] of Object.entries({ watchers, rate, seconds, bytes })) {
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  }
  installCleanupHandlers();
  const dir = tempDir('berth-fanout-');
  const certs = values.plain ? undefined : ensureServingCerts(join(dir, 'pki'), ['localhost', '127.0.0.1']);
  const sinks = new Set<StreamSink>();
  const handler = {
    handle: async (): Promise<ApiResponse> => ({
      status: 200,
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      stream: (sink) => (sinks.add(sink), () => sinks.delete(sink)),
    }),
  } as unknown as ApiHandler;
  const server = await listen(handler, '127.0.0.1', 0, certs && { cert: certs.cert, key: certs.key });
  const child = fork(fileURLToPath(import.meta.url), ['--client', JSON.stringify({ url: server.url, ca: certs?.ca, watchers } satisfies ClientInput)], { execArgv: ['--import', 'tsx'] });
  try {
    const ready = await nextMessage(child, 60_000);
    if (ready.type !== 'ready') throw new Error('the watchers did not start');
    const pad = 'x'.repeat(Math.max(0, bytes - 150));
    let seq = 0;
    // One event line per write, shared by every watcher (as the watch layer hands them over).
    const emit = () => {
      const line = `{"type":"ADDED","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fanout-${seq}","resourceVersion":"${seq + 1}"},"data":{"sentAt":"${nowMs().toFixed(3)}","pad":"${pad}"}}}\n`;
      seq++;
      const buf = Buffer.from(line);
      for (const s of sinks) s.write(s.binary ? buf : line);
    };
    const paced = (secs: number) =>
      new Promise<void>((done) => {
        const total = Math.round(rate * secs);
        const t0 = performance.now();
        let sent = 0;
        const tick = () => {
          const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
          for (; sent < due; sent++) emit();
          if (sent >= total) done();
          else setTimeout(tick, 1);
        };
        tick();
      });
    if (warmup > 0) await paced(warmup);
    await new Promise((r) => setTimeout(r, 300));
    child.send('report'); // discard the warm-up's deliveries
    await nextMessage(child, 30_000);
    const cpu0 = process.cpuUsage();
    await paced(seconds);
    await new Promise((r) => setTimeout(r, 300)); // the last batches leave
    const cpu = process.cpuUsage(cpu0);
    child.send('report');
    const res = await nextMessage(child, 30_000);
    if (res.type !== 'result') throw new Error('the watchers sent no result');
    const events = Math.round(rate * seconds);
    const latency = new Histogram();
    latency.merge(res.latency);
    console.log(`watch fan-out: ${watchers} ${values.plain ? 'HTTP' : 'HTTPS'} watchers, ${rate} events/s of ${bytes} B for ${seconds} s; node ${process.version}`);
    console.log(`  server CPU per event: ${((cpu.user + cpu.system) / events).toFixed(0)} µs (user ${(cpu.user / events).toFixed(0)}, system ${(cpu.system / events).toFixed(0)}); per watcher-event ${((cpu.user + cpu.system) / events / watchers).toFixed(2)} µs`);
    console.log(`  delivered ${res.events} of ${events * watchers} (measured window); delay p50 ${latency.percentile(50).toFixed(1)} ms, p99 ${latency.percentile(99).toFixed(1)} ms (the watchers share the machine)`);
    for (const p of res.problems.slice(0, 5)) console.log(`  !! ${p}`);
    return 0;
  } finally {
    child.kill();
    await server.close();
    removeDir(dir);
  }
}

if (process.argv[2] === '--client') runClient(JSON.parse(process.argv[3]) as ClientInput);
else process.exit(await main());
