import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { parseResize, remoteCommandClient, resultStatus, serveRemoteCommand, statusResult, V5_PROTOCOL } from './channel-protocol.js';
import type { CommandResult, RemoteCommandSession } from './session.js';

describe('error channel Status', () => {
  it.each([
    ['success', { exitCode: 0 }, { metadata: {}, status: 'Success' }],
    [
      'a non-zero exit code',
      { exitCode: 3 },
      {
        metadata: {},
        status: 'Failure',
        message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: '3' }] },
      },
    ],
    ['an error', { error: 'boom' }, { metadata: {}, status: 'Failure', message: 'boom', reason: 'InternalError', code: 500, details: { causes: [{ message: 'boom' }] } }],
  ] as [string, CommandResult, unknown][])('%s', (_what, result, status) => {
    expect(resultStatus(result, ['sh', '-c', 'exit 3'])).toEqual(status);
    expect(statusResult(JSON.stringify(status))).toEqual(result);
  });

  it('a closed connection without a Status is an error', () => {
    expect(statusResult('')).toHaveProperty('error');
  });

  it.each([
    ['{"Width":80,"Height":24}', { width: 80, height: 24 }],
    ['{"Width":"x"}', undefined],
    ['not json', undefined],
  ])('resize %s', (text, want) => {
    expect(parseResize(Buffer.from(text))).toEqual(want);
  });
});

describe('serveRemoteCommand and remoteCommandClient', () => {
  it('carry stdin, output, resize, the close of stdin and the exit code over a WebSocket', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => V5_PROTOCOL });
    const seen: string[] = [];
    wss.on('connection', (ws) =>
      serveRemoteCommand(ws, ['cat'], async (output) => {
        let finish: (r: CommandResult) => void = () => {};
        const session: RemoteCommandSession = {
          writeStdin: (c) => {
            seen.push(`in:${c}`);
            output.stdout(c);
          },
          endStdin: () => {
            seen.push('eof');
            output.stderr(Buffer.from('bye'));
            finish({ exitCode: 7 });
          },
          resize: (w, h) => seen.push(`resize:${w}x${h}`),
          done: new Promise((r) => (finish = r)),
          close: () => seen.push('closed'),
        };
        return session;
      }),
    );
    await once(wss, 'listening');
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, [V5_PROTOCOL]);
    await once(ws, 'open');
    const out: string[] = [];
    const client = remoteCommandClient(ws, { stdout: (c) => out.push(`out:${c}`), stderr: (c) => out.push(`err:${c}`) });
    client.resize(100, 30);
    client.writeStdin(Buffer.from('hello'));
    client.endStdin();
    expect(await client.done).toEqual({ exitCode: 7 });
    expect(out).toEqual(['out:hello', 'err:bye']);
    expect(seen.slice(0, 3)).toEqual(['resize:100x30', 'in:hello', 'eof']);
    wss.close();
  });
});
