/**
 * The HTTP limit: the plainest node:http server, answering every request with one fixed JSON body
 * (a real ConfigMap response captured from berth, so the bytes on the wire match). Run as its own
 * process, like berth, and driven by the same client; whatever berth adds on top of this is cost.
 *
 * usage: node --import tsx bench/lib/bare-http-server.ts BODY_FILE   → prints `listening on URL`
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

const file = process.argv[2];
if (!file) {
  console.error('usage: bare-http-server.ts BODY_FILE');
  process.exit(2);
}
const body = Buffer.from(readFileSync(file, 'utf8'));
const headers = { 'content-type': 'application/json', 'content-length': body.length };

// The same server options as berth's listener (src/controlplane/api/server.ts).
const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, headers);
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => server.close(() => process.exit(0)).closeAllConnections());
