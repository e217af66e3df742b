/**
 * One forwarded TCP connection between the API server and an agent in another process, over a
 * WebSocket, with each direction ending on its own: a client that sends its request and then
 * half-closes (`nc -q`, HTTP/1.0 clients, a Node socket's `.end()`) still gets the whole response.
 * Binary messages carry the bytes; a text message `end` is the sender's FIN; once both sides sent
 * it the WebSocket closes normally, and a close with code 1011 carries the error that ended it.
 * Both ends opt in with the `x-berth-half-close` header (request and response), so an agent or
 * API server from before it still gets ws's plain stream, where ending one side closes both.
 */
import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

export const HALF_CLOSE_HEADER = 'x-berth-half-close';
const END = 'end';

/** A Duplex (allowHalfOpen) whose bytes, end and errors travel over `ws`, which must be open. */
export function relayStream(ws: WebSocket): Duplex {
  let sentEnd = false;
  let gotEnd = false;
  const closeWhenDone = () => {
    if (sentEnd && gotEnd && ws.readyState === ws.OPEN) ws.close(1000);
  };
  const stream = new Duplex({
    allowHalfOpen: true,
    read() {
      if (ws.isPaused) ws.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (ws.readyState !== ws.OPEN) return callback(new Error('the relay connection closed'));
      ws.send(chunk, { binary: true }, callback);
    },
    final(callback) {
      if (ws.readyState !== ws.OPEN) return callback(new Error('the relay connection closed'));
      ws.send(END, { binary: false }, (e) => {
        sentEnd = true;
        closeWhenDone();
        callback(e);
      });
    },
    destroy(err, callback) {
      // a close reason may hold 123 bytes
      if (ws.readyState === ws.OPEN) ws.close(err ? 1011 : 1000, err ? Buffer.from(err.message).subarray(0, 123).toString() : undefined);
      callback(err);
    },
  });
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      if (data.toString() !== END || gotEnd) return;
      gotEnd = true;
      stream.push(null);
      return closeWhenDone();
    }
    if (!stream.push(data as Buffer)) ws.pause();
  });
  ws.on('close', (code, reason) => {
    if (code !== 1000 && code !== 1005) return void stream.destroy(new Error(reason.toString() || `the relay connection closed (code ${code})`));
    if (!gotEnd) stream.push(null);
    // both sides were done: the stream closes by itself once read
    if (stream.writableFinished) return;
    // the other side let go before this one was done writing: nothing more can go out
    if (stream.readableEnded) stream.destroy();
    else stream.once('end', () => stream.destroy());
  });
  ws.on('error', (e) => stream.destroy(e));
  return stream;
}

/**
 * The agent's side: joins the relay and the connection to the pod. Each end is passed on as it
 * comes; when the pod's connection has closed (it closes as a whole once the pod ends its side, as
 * kubectl's port-forward expects), the relay closes after its `end` went out; an error on one side
 * destroys the other.
 */
export function relayConnection(ws: WebSocket, pod: Duplex): void {
  const relay = relayStream(ws);
  pod.on('error', (e) => relay.destroy(e));
  relay.on('error', () => pod.destroy());
  pod.on('close', () => (relay.writableFinished ? relay.destroy() : relay.once('finish', () => relay.destroy())));
  relay.on('close', () => {
    if (!relay.readableEnded || !relay.writableFinished) pod.destroy();
  });
  relay.pipe(pod);
  pod.pipe(relay);
}
