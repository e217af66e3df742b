/**
 * Upgrades an authorized pods/exec, pods/attach or pods/portforward request to a WebSocket with
 * the subprotocol kubectl 1.32 offers: `v5.channel.k8s.io` (or v4) for exec and attach, and
 * `SPDY/3.1+portforward.k8s.io` for port-forward (SPDY tunnelled in binary messages, client-go
 * tools/portforward/tunneling_connection.go). kubectl retries a refused WebSocket upgrade as a
 * SPDY POST; berth answers that with a Status saying it speaks WebSockets only.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { StatusError } from '../errors.js';
import { REMOTECOMMAND_PROTOCOLS, serveRemoteCommand } from './channel-protocol.js';
import { portForwardStreams } from './port-forward.js';
import type { StreamUpgrade } from './session.js';
import { SpdyServerSession } from './spdy.js';

export const PORTFORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

const chosenProtocol = new WeakMap<IncomingMessage, string>();
const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (_offered, req) => chosenProtocol.get(req) ?? false,
});

/** Writes a Status as the HTTP answer to an upgrade request and closes the socket. */
export function refuseUpgrade(socket: Duplex, err: StatusError): void {
  const body = JSON.stringify(err.toStatus());
  socket.end(`HTTP/1.1 ${err.code} ${STATUS_CODES[err.code] ?? err.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

function bytes(d: RawData): Buffer {
  return Buffer.isBuffer(d) ? d : Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d);
}

function serveTunnel(ws: WebSocket, upgrade: Extract<StreamUpgrade, { protocol: 'portforward' }>): void {
  const session = new SpdyServerSession((b) => {
    if (ws.readyState === ws.OPEN) ws.send(b);
  }, portForwardStreams(upgrade.connect), () => ws.close(1002));
  ws.on('message', (d) => session.receive(bytes(d)));
  ws.on('close', () => session.close());
  ws.on('error', () => ws.terminate());
}

/** Accepts the upgrade (or refuses it with a Status) and serves the stream on the WebSocket. */
export function acceptStream(req: IncomingMessage, socket: Duplex, head: Buffer, upgrade: StreamUpgrade): void {
  const what = upgrade.protocol === 'portforward' ? 'port-forward' : upgrade.subresource;
  const supported = upgrade.protocol === 'portforward' ? [PORTFORWARD_TUNNEL_PROTOCOL] : REMOTECOMMAND_PROTOCOLS;
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    return refuseUpgrade(socket, new StatusError('BadRequest', `berth serves ${what} over WebSockets (${supported.join(', ')}), not "${req.headers.upgrade}"; use kubectl 1.31 or later`));
  }
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const chosen = offered.find((p) => supported.includes(p));
  if (!chosen) {
    return refuseUpgrade(socket, new StatusError('BadRequest', `${what}: none of the offered WebSocket subprotocols [${offered.join(', ')}] is supported; berth speaks ${supported.join(', ')}`));
  }
  chosenProtocol.set(req, chosen);
  // `ws` accepts only RFC 7230 tokens as subprotocols and `/` is none: it sees a stand-in, and
  // handleProtocols answers with the protocol chosen here.
  req.headers['sec-websocket-protocol'] = 'chosen';
  wss.handleUpgrade(req, socket, head, (ws) => {
    if (upgrade.protocol === 'portforward') return serveTunnel(ws, upgrade);
    serveRemoteCommand(ws, upgrade.options.command, upgrade.open);
  });
}
