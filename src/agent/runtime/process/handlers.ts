/**
 * Runs probe and lifecycle-hook handlers against a process container: exec (a command in the
 * container's environment, in its own process group), httpGet (200–399 is success), tcpSocket
 * (connects), sleep. One function for probes and hooks, as the kubelet shares its handler runner.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { ExecAction, HTTPGetAction, TCPSocketAction } from 'kubernetes-types/core/v1.js';
import { killGroup } from './process-group.js';

export interface Handler {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  sleep?: { seconds: number };
  grpc?: unknown;
}

export interface HandlerContext {
  /** the pod IP (host of httpGet/tcpSocket without `host`) */
  podIP: string;
  /** a container port number or name → the host port the process listens on */
  resolvePort(port: number | string): number | undefined;
  env: Record<string, string>;
  cwd: string;
  /** rewrites mountPaths in exec arguments to volume directories */
  rewrite(arg: string): string;
  /** the argv that runs `argv` inside the container's namespaces (itself when it has none) */
  enter(argv: string[]): string[];
}

export interface HandlerResult {
  ok: boolean;
  message: string;
}

const OUTPUT_LIMIT = 10 * 1024;

function execHandler(action: ExecAction, ctx: HandlerContext, timeoutMs: number, signal?: AbortSignal): Promise<HandlerResult> {
  const argv = (action.command ?? []).map((a) => ctx.rewrite(a));
  if (argv.length === 0) return Promise.resolve({ ok: false, message: 'exec handler has no command' });
  const entered = ctx.enter(argv);
  return new Promise((resolve) => {
    let out = '';
    let settled = false;
    const child = spawn(entered[0], entered.slice(1), { cwd: ctx.cwd, env: ctx.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const finish = (r: HandlerResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (child.pid) killGroup(child.pid, 'SIGKILL');
      resolve(r);
    };
    const onAbort = () => finish({ ok: false, message: 'stopped' });
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => finish({ ok: false, message: `command ${JSON.stringify(argv)} timed out after ${timeoutMs / 1000}s` }), timeoutMs);
    const collect = (b: Buffer) => {
      if (out.length < OUTPUT_LIMIT) out += b.toString('utf8');
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.on('error', (e) => finish({ ok: false, message: `exec ${argv[0]}: ${e.message}` }));
    child.on('close', (code, sig) => {
      const c = code ?? 128;
      finish({ ok: c === 0, message: c === 0 ? out.trim() : `command ${JSON.stringify(argv)} exited with ${sig ?? c}: ${out.trim()}` });
    });
  });
}

function httpHandler(action: HTTPGetAction, ctx: HandlerContext, timeoutMs: number): Promise<HandlerResult> {
  const port = ctx.resolvePort(action.port as number | string);
  if (port === undefined) return Promise.resolve({ ok: false, message: `httpGet port "${String(action.port)}" names no container port` });
  const scheme = (action.scheme ?? 'HTTP').toUpperCase();
  const mod = scheme === 'HTTPS' ? https : http;
  const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.32', accept: '*/*' };
  for (const h of action.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
  const host = action.host || ctx.podIP;
  return new Promise((resolve) => {
    const req = mod.request({ host, port, path: action.path || '/', method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      const ok = code >= 200 && code < 400;
      resolve({ ok, message: ok ? `HTTP probe succeeded with statuscode: ${code}` : `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => req.destroy(new Error(`Get "${scheme.toLowerCase()}://${host}:${port}${action.path ?? '/'}": context deadline exceeded`)));
    req.on('error', (e) => resolve({ ok: false, message: e.message }));
    req.end();
  });
}

function tcpHandler(action: TCPSocketAction, ctx: HandlerContext, timeoutMs: number): Promise<HandlerResult> {
  const port = ctx.resolvePort(action.port as number | string);
  if (port === undefined) return Promise.resolve({ ok: false, message: `tcpSocket port "${String(action.port)}" names no container port` });
  const host = action.host || ctx.podIP;
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (r: HandlerResult) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(timeoutMs, () => done({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }));
    sock.on('connect', () => done({ ok: true, message: '' }));
    sock.on('error', (e) => done({ ok: false, message: `dial tcp ${host}:${port}: ${e.message}` }));
  });
}

/** Runs a handler with a timeout; never throws. */
export function runHandler(h: Handler, ctx: HandlerContext, timeoutMs: number, signal?: AbortSignal): Promise<HandlerResult> {
  if (h.exec) return execHandler(h.exec, ctx, timeoutMs, signal);
  if (h.httpGet) return httpHandler(h.httpGet, ctx, timeoutMs);
  if (h.tcpSocket) return tcpHandler(h.tcpSocket, ctx, timeoutMs);
  if (h.sleep) {
    const ms = Math.min(h.sleep.seconds * 1000, timeoutMs);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve({ ok: true, message: '' }), ms);
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve({ ok: true, message: '' });
      }, { once: true });
    });
  }
  if (h.grpc) return Promise.resolve({ ok: false, message: 'grpc probes are not supported by the process runtime' });
  return Promise.resolve({ ok: false, message: 'the handler has no action' });
}
