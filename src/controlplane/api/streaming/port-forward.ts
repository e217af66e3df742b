/**
 * kubectl port-forward's stream pairs over a SPDY session (client-go tools/portforward): for each
 * local connection kubectl opens an `error` stream and a `data` stream carrying the same
 * `requestid` and `port` headers. The data stream carries the TCP bytes both ways; a failure is
 * written on the error stream, and both streams are closed when the pod side of the connection
 * ends (kubectl waits for the error stream's end before it lets the connection go).
 */
import type { Duplex } from 'node:stream';
import type { SpdyStream } from './spdy.js';

export type PortConnect = (port: number) => Promise<Duplex>;

/** Returns the session's stream handler; `connect` opens the pod side of one connection. */
export function portForwardStreams(connect: PortConnect): (stream: SpdyStream) => void {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream; port: number }>();
  return (s) => {
    const type = s.headers.streamtype;
    const requestId = s.headers.requestid ?? '';
    const port = Number(s.headers.port);
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535) {
      s.reset();
      return;
    }
    s.onData = () => {};
    const pair = pairs.get(requestId) ?? { port };
    pair[type] = s;
    pairs.set(requestId, pair);
    if (pair.error && pair.data) {
      pairs.delete(requestId);
      forward(connect, port, pair.error, pair.data);
    }
  };
}

function forward(connect: PortConnect, port: number, errorStream: SpdyStream, dataStream: SpdyStream): void {
  let socket: Duplex | undefined;
  let gone = false;
  const early: (Buffer | null)[] = [];
  const deliver = (c: Buffer | null) => (c ? socket!.write(c) : socket!.end());
  dataStream.onData = (c) => (socket ? deliver(c) : early.push(c));
  const finish = () => {
    dataStream.end();
    errorStream.end();
  };
  const abandon = () => {
    gone = true;
    socket?.destroy();
  };
  dataStream.onReset = abandon;
  errorStream.onReset = abandon;
  connect(port).then(
    (sock) => {
      if (gone) return sock.destroy();
      socket = sock;
      sock.on('data', (c: Buffer) => dataStream.write(c));
      sock.on('end', () => dataStream.end());
      sock.on('error', (e) => errorStream.write(Buffer.from(`error forwarding port ${port}: ${e.message}`)));
      sock.on('close', finish);
      for (const c of early.splice(0)) deliver(c);
    },
    (e: Error) => {
      errorStream.write(Buffer.from(e.message));
      finish();
    },
  );
}
