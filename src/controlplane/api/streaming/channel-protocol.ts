/**
 * The `channel.k8s.io` WebSocket protocol of exec and attach (client-go tools/remotecommand): every
 * binary message starts with a channel byte — 0 stdin, 1 stdout, 2 stderr, 3 error (a v1 Status
 * when the command ends), 4 resize (`{"Width","Height"}`), and in v5 255 to close one channel
 * (`[255, 0]`: stdin reached EOF). Both ends live here: the server side that kubectl talks to (and
 * that an agent's own server speaks to the API server), and the client side the API server uses to
 * reach an agent in another process.
 */
import type { WebSocket, RawData } from 'ws';
import type { CommandOutput, CommandResult, RemoteCommandSession } from './session.js';

export const V5_PROTOCOL = 'v5.channel.k8s.io';
export const V4_PROTOCOL = 'v4.channel.k8s.io';
/** What berth speaks, best first (v4 cannot signal the end of stdin). */
export const REMOTECOMMAND_PROTOCOLS = [V5_PROTOCOL, V4_PROTOCOL];

export enum Channel {
  Stdin = 0,
  Stdout = 1,
  Stderr = 2,
  Error = 3,
  Resize = 4,
  Close = 255,
}

export interface Status {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes: { reason?: string; message: string }[] };
}

/** The Status the kubelet writes on the error channel when a command ended (remotecommand v4+). */
export function resultStatus(result: CommandResult, command: string[]): Status {
  if ('error' in result) {
    return { metadata: {}, status: 'Failure', message: result.error, reason: 'InternalError', code: 500, details: { causes: [{ message: result.error }] } };
  }
  if (result.exitCode === 0) return { metadata: {}, status: 'Success' };
  const what = command.length ? `error executing command [${command.join(' ')}], exit code ${result.exitCode}` : `exit code ${result.exitCode}`;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: ${what}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(result.exitCode) }] },
  };
}

/** The reverse of `resultStatus`, for the side that reads the error channel. */
export function statusResult(text: string): CommandResult {
  if (!text) return { error: 'the connection closed before the command reported how it ended' };
  let s: Status;
  try {
    s = JSON.parse(text) as Status;
  } catch {
    return { error: text };
  }
  if (s.status === 'Success') return { exitCode: 0 };
  const code = s.reason === 'NonZeroExitCode' ? s.details?.causes.find((c) => c.reason === 'ExitCode')?.message : undefined;
  if (code !== undefined && /^\d+$/.test(code)) return { exitCode: Number(code) };
  return { error: s.message ?? text };
}

export function frame(channel: Channel, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from([channel]), body]);
}

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** A resize message's size; undefined for a malformed one (ignored, as the kubelet does). */
export function parseResize(payload: Buffer): { width: number; height: number } | undefined {
  try {
    const v = JSON.parse(payload.toString('utf8')) as { Width?: unknown; Height?: unknown };
    if (typeof v.Width === 'number' && typeof v.Height === 'number') return { width: v.Width, height: v.Height };
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * Serves one exec or attach on an accepted WebSocket: output goes out on channels 1 and 2, input
 * comes in on 0 and 4, and when the command ends its Status goes out on channel 3 and the socket
 * closes. A client that goes away ends the session.
 */
export function serveRemoteCommand(ws: WebSocket, command: string[], open: (output: CommandOutput) => Promise<RemoteCommandSession>): void {
  const send = (channel: Channel, payload: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(frame(channel, payload));
  };
  let session: RemoteCommandSession | undefined;
  let closed = false;
  const pending: Buffer[] = [];
  const onMessage = (m: Buffer) => {
    if (!session) return void pending.push(m);
    if (m.length === 0) return;
    if (m[0] === Channel.Stdin) session.writeStdin(m.subarray(1));
    else if (m[0] === Channel.Resize) {
      const size = parseResize(m.subarray(1));
      if (size) session.resize(size.width, size.height);
    } else if (m[0] === Channel.Close && m[1] === Channel.Stdin) session.endStdin();
  };
  ws.on('message', (data) => onMessage(asBuffer(data)));
  ws.on('close', () => {
    closed = true;
    session?.close();
  });
  ws.on('error', () => ws.terminate());
  const finish = (result: CommandResult) => {
    send(Channel.Error, JSON.stringify(resultStatus(result, command)));
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };
  open({ stdout: (c) => send(Channel.Stdout, c), stderr: (c) => send(Channel.Stderr, c) }).then(
    (s) => {
      session = s;
      if (closed) return s.close();
      for (const m of pending.splice(0)) onMessage(m);
      void s.done.then(finish, (e: Error) => finish({ error: e.message }));
    },
    (e: Error) => finish({ error: e.message }),
  );
}

/**
 * The client side: a RemoteCommandSession over a WebSocket that speaks `serveRemoteCommand` (an
 * agent's server). `ws` must be open; `protocol` is the one the server chose.
 */
export function remoteCommandClient(ws: WebSocket, output: CommandOutput): RemoteCommandSession {
  const status: Buffer[] = [];
  const send = (m: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(m);
  };
  const done = new Promise<CommandResult>((resolve) => {
    ws.on('message', (data) => {
      const m = asBuffer(data);
      if (m.length === 0) return;
      const body = m.subarray(1);
      if (m[0] === Channel.Stdout) output.stdout(body);
      else if (m[0] === Channel.Stderr) output.stderr(body);
      else if (m[0] === Channel.Error) status.push(body);
    });
    ws.on('close', () => resolve(statusResult(Buffer.concat(status).toString('utf8'))));
    ws.on('error', (e) => resolve({ error: e.message }));
  });
  return {
    writeStdin: (c) => send(frame(Channel.Stdin, c)),
    endStdin: () => send(Buffer.from([Channel.Close, Channel.Stdin])),
    resize: (width, height) => send(frame(Channel.Resize, JSON.stringify({ Width: width, Height: height }))),
    done,
    close: () => ws.close(1000),
  };
}
