import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiHandler } from './handler.js';
import type { ApiRequest, ApiResponse } from './request.js';
import { listen, type ListeningServer } from './server.js';

/** The HTTP transport around a handler that answers what `answer` says, recording the requests. */
async function serve(answer: (req: ApiRequest) => Promise<ApiResponse>): Promise<ListeningServer> {
  return listen({ handle: answer } as unknown as ApiHandler, '127.0.0.1', 0);
}

function get(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(`${url}${path}`, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

let server: ListeningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('request abort signal', () => {
  it('aborts the signal of a streamed response when the client goes away', async () => {
    let signal: AbortSignal | undefined;
    server = await serve(async (req) => {
      signal = req.signal;
      return { status: 200, headers: { 'content-type': 'text/plain' }, stream: (sink) => (sink.write('first\n'), () => {}) };
    });
    await new Promise<void>((resolve, reject) => {
      const req = request(`${server!.url}/stream`, (res) => res.once('data', () => (req.destroy(), resolve())));
      req.on('error', () => {}).end();
      setTimeout(() => reject(new Error('no data')), 30_000).unref();
    });
    await new Promise<void>((resolve) => (signal!.aborted ? resolve() : signal!.addEventListener('abort', () => resolve())));
    expect(signal!.aborted).toBe(true);
  });

  it('gives an already aborted signal to code that asks for it after the response closed', async () => {
    let late: ApiRequest | undefined;
    server = await serve(async (req) => {
      late = req;
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
    });
    expect(await get(server.url, '/x?a=1')).toEqual({ status: 200, body: 'ok' });
    expect(late!.path).toBe('/x');
    expect(late!.query.get('a')).toBe('1');
    await new Promise((r) => setTimeout(r, 50));
    expect(late!.signal!.aborted).toBe(true);
  });

  it('leaves the signal of a request being served alone', async () => {
    let during: boolean | undefined;
    server = await serve(async (req) => {
      during = req.signal!.aborted;
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
    });
    expect((await get(server.url, '/')).status).toBe(200);
    expect(during).toBe(false);
  });
});

describe('streamed responses', () => {
  it('delivers every chunk in order, whether written in one tick, in a burst or after a pause, and what was pending at the end', async () => {
    const expected: string[] = [];
    server = await serve(async () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      stream: (sink) => {
        const line = (n: number) => {
          const l = `{"n":${n}}\n`;
          expected.push(l);
          sink.write(l);
        };
        void (async () => {
          for (let n = 0; n < 50; n++) line(n); // one tick
          for (let n = 50; n < 100; n++) {
            line(n); // a burst, a tick each
            await new Promise((r) => setImmediate(r));
          }
          await new Promise((r) => setTimeout(r, 30)); // a quiet spell
          line(100);
          line(101);
          sink.end(); // with chunks pending
        })();
        return () => {};
      },
    }));
    const { status, body } = await get(server.url, '/watch');
    expect(status).toBe(200);
    expect(body).toBe(expected.join(''));
    expect(expected).toHaveLength(102);
  });

  it('frames the chunks itself: byte lengths of multi-byte text, the last chunk, and the connection kept for the next request', async () => {
    const shared = Buffer.from('{"name":"grüße"}\n');
    server = await serve(async (req): Promise<ApiResponse> =>
      req.path === '/watch'
        ? {
            status: 200,
            headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
            stream: (sink) => {
              expect(sink.binary).toBe(true);
              sink.write(shared);
              sink.write('ünï\n');
              setTimeout(() => (sink.write(shared), sink.end()), 20);
              return () => {};
            },
          }
        : { status: 200, headers: { 'content-type': 'text/plain' }, body: 'next' },
    );
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(server!.port, '127.0.0.1');
      let got = '';
      socket.on('data', (c: Buffer) => {
        got += c.toString('latin1');
        if (got.endsWith('next')) {
          socket.end();
          resolve(got);
        }
      });
      socket.on('error', reject);
      socket.write('GET /watch HTTP/1.1\r\nHost: x\r\n\r\nGET /plain HTTP/1.1\r\nHost: x\r\n\r\n');
      setTimeout(() => reject(new Error(`no second response; got ${JSON.stringify(got)}`)), 30_000).unref();
    });
    const [first, second] = raw.split('HTTP/1.1 200 OK').slice(1);
    const firstBody = first.slice(first.indexOf('\r\n\r\n') + 4);
    const one = Buffer.concat([shared, Buffer.from('ünï\n')]);
    // one chunk for what was written in one tick, one for the write after the pause, then the last chunk
    expect(firstBody).toBe(`${one.length.toString(16)}\r\n${one.toString('latin1')}\r\n${shared.length.toString(16)}\r\n${shared.toString('latin1')}\r\n0\r\n\r\n`);
    expect(first.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(second.endsWith('\r\n\r\nnext')).toBe(true);
  });

  it('delivers the same Buffers written to two streams to both, whole and in order', async () => {
    const lines = Array.from({ length: 20 }, (_, n) => Buffer.from(`{"n":${n}}\n`));
    let started = 0;
    let go: () => void = () => {};
    const bothOpen = new Promise<void>((r) => (go = r));
    server = await serve(async () => ({
      status: 200,
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      stream: (sink) => {
        if (++started === 2) go();
        void bothOpen.then(async () => {
          for (const [i, l] of lines.entries()) {
            sink.write(l);
            if (i % 5 === 4) await new Promise((r) => setTimeout(r, 10)); // batches of 5, framed once for both
          }
          sink.end();
        });
        return () => {};
      },
    }));
    const [a, b] = await Promise.all([get(server.url, '/watch'), get(server.url, '/watch')]);
    const expected = Buffer.concat(lines).toString();
    expect(a).toEqual({ status: 200, body: expected });
    expect(b).toEqual({ status: 200, body: expected });
  });

  it('writes no chunk for a batch of empty chunks (a size-0 chunk would end the response)', async () => {
    server = await serve(async () => ({
      status: 200,
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      stream: (sink) => {
        sink.write('');
        sink.write(Buffer.alloc(0));
        setTimeout(() => (sink.write('{"n":1}\n'), sink.end()), 20);
        return () => {};
      },
    }));
    expect(await get(server.url, '/watch')).toEqual({ status: 200, body: '{"n":1}\n' });
  });
});

describe('node:http internals the streamed responses rely on', () => {
  // writeResponse frames chunks itself: it reads ServerResponse.chunkedEncoding after writeHead and
  // sets it to false so node:http writes the bytes as they are. Neither is public API; if a Node
  // upgrade changes them, this fails (and streamed responses would be framed twice or not at all).
  it('chunkedEncoding is true after writeHead of a response without a length, and false makes writes unframed', async () => {
    const seen: Array<boolean | undefined> = [];
    const http = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', ...(req.url === '/sized' ? { 'content-length': '3' } : {}) });
      seen.push(res.chunkedEncoding);
      if (req.url === '/sized') return res.end('abc');
      res.chunkedEncoding = false;
      res.flushHeaders();
      res.end('3\r\nabc\r\n0\r\n\r\n');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const port = (http.address() as { port: number }).port;
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let got = '';
        socket.on('data', (c: Buffer) => {
          got += c.toString('latin1');
          if (got.endsWith('abc') && got.includes('0\r\n\r\n')) {
            socket.end();
            resolve(got);
          }
        });
        socket.on('error', reject);
        socket.write('GET /chunked HTTP/1.1\r\nHost: x\r\n\r\nGET /sized HTTP/1.1\r\nHost: x\r\n\r\n');
        setTimeout(() => reject(new Error(`no second response; got ${JSON.stringify(got)}`)), 30_000).unref();
      });
      expect(seen).toEqual([true, false]);
      const [chunked, sized] = raw.split('HTTP/1.1 200 OK').slice(1);
      expect(chunked.toLowerCase()).toContain('transfer-encoding: chunked');
      expect(chunked.slice(chunked.indexOf('\r\n\r\n') + 4)).toBe('3\r\nabc\r\n0\r\n\r\n');
      expect(sized.endsWith('\r\n\r\nabc')).toBe(true);
    } finally {
      await new Promise((r) => http.close(r));
    }
  });
});
