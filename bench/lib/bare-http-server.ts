/**
 * The HTTP limit: the plainest node:http server, answering every request with one fixed JSON body
 * (a real ConfigMap response captured from berth, so the bytes on the wire match). Run as its own
 * process, like berth, and driven by the same client; whatever berth adds on top of this is cost.
 *
 * When berth serves TLS, so does this server, with berth's own serving certificate and key.
 *
 * usage: node --import tsx bench/lib/bare-http-server.ts BODY_FILE [CERT_FILE KEY_FILE]
 *        → prints `listening on URL`
 */
import { createServer, type RequestListener } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

const [file, certFile, keyFile] = process.argv.slice(2);
if (!file) {
  console.error('usage: bare-http-server.ts BODY_FILE [CERT_FILE KEY_FILE]');
  process.exit(2);
}
const body = Buffer.from(readFileSync(file, 'utf8'));
const headers = { 'content-type': 'application/json', 'content-length': body.length };

const onRequest: RequestListener = (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, headers);
    res.end(body);
  });
};
// The same server options as berth's listener (src/controlplane/api/server.ts).
const base = { keepAliveTimeout: 65_000, requestTimeout: 0 };
const server = certFile && keyFile ? createTlsServer({ ...base, cert: readFileSync(certFile), key: readFileSync(keyFile) }, onRequest) : createServer(base, onRequest);
server.listen(0, '127.0.0.1', () => {
  console.log(`listening on ${certFile ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => server.close(() => process.exit(0)).closeAllConnections());
