import { request } from 'node:http';
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
});
