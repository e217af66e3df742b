/** The relay over a real WebSocket pair: each direction ends on its own, and errors cross over. */
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { relayStream } from './socket-relay.js';

let server: WebSocketServer | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** Two relay streams joined by a WebSocket: the client's and the server's end. */
async function pair(): Promise<{ client: Duplex; server: Duplex; closed: Promise<number> }> {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => server!.once('listening', r));
  const accepted = new Promise<{ stream: Duplex; closed: Promise<number> }>((resolve) =>
    server!.once('connection', (ws) => resolve({ stream: relayStream(ws), closed: new Promise((r) => ws.once('close', (code) => r(code))) })),
  );
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await new Promise((r) => ws.once('open', r));
  const s = await accepted;
  return { client: relayStream(ws), server: s.stream, closed: s.closed };
}

function readAll(s: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    s.on('data', (b: Buffer) => (out += b.toString()));
    s.once('end', () => resolve(out));
    s.once('error', reject);
  });
}

describe('socket relay', () => {
  it('passes a half-close on and still carries the answer back', async () => {
    const { client, server: srv, closed } = await pair();
    const request = readAll(srv);
    client.end('question');
    expect(await request).toBe('question');
    const answer = readAll(client);
    srv.write('answer, ');
    srv.end('in two parts');
    expect(await answer).toBe('answer, in two parts');
    expect(await closed).toBe(1000);
  });

  it('ends the other side with the error that ended one side', async () => {
    const { client, server: srv, closed } = await pair();
    const failed = new Promise<Error>((resolve) => client.once('error', resolve));
    srv.on('error', () => {});
    srv.destroy(new Error('connect ECONNREFUSED 127.0.0.1:9'));
    expect((await failed).message).toBe('connect ECONNREFUSED 127.0.0.1:9');
    expect(await closed).toBe(1011);
  });
});
