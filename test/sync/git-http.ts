/**
 * A Git http(s) server for sync tests: the git CLI's smart-HTTP backend (`git http-backend`) behind a
 * node HTTP server that asks for basic credentials, serving the bare repositories next to `bare`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname } from 'node:path';

export interface GitHttpServer {
  /** the clone URL of `bare` */
  url: string;
  close(): Promise<void>;
}

export async function startGitHttp(bare: string, user: string, password: string): Promise<GitHttpServer> {
  execFileSync('git', ['config', 'http.receivepack', 'true'], { cwd: bare });
  const auth = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  const server = createServer((req, res) => {
    if (req.headers.authorization !== auth) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end();
      return;
    }
    const u = new URL(req.url!, 'http://x');
    const cgi = spawn('git', ['http-backend'], {
      env: { ...process.env, GIT_PROJECT_ROOT: dirname(bare), GIT_HTTP_EXPORT_ALL: '1', PATH_INFO: u.pathname.replace(/^\/git/, ''), QUERY_STRING: u.search.slice(1), REQUEST_METHOD: req.method!, CONTENT_TYPE: req.headers['content-type'] ?? '', GIT_PROTOCOL: String(req.headers['git-protocol'] ?? '') },
    });
    req.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    cgi.stdout.on('data', (c: Buffer) => chunks.push(c));
    cgi.on('close', () => {
      const out = Buffer.concat(chunks);
      const sep = out.indexOf('\r\n\r\n');
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of out.subarray(0, sep).toString().split('\r\n')) {
        const i = line.indexOf(':');
        if (line.slice(0, i).toLowerCase() === 'status') status = Number(line.slice(i + 1).trim().split(' ')[0]);
        else headers[line.slice(0, i)] = line.slice(i + 1).trim();
      }
      res.writeHead(status, headers).end(out.subarray(sep + 4));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/git/${basename(bare)}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        // clients polling the repository keep connections alive; close() alone would wait for them
        server.closeAllConnections();
      }),
  };
}
