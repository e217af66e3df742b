import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RemoteCommandOptions } from '../../../controlplane/api/streaming/session.js';
import { execArgv, startExec, type ExecTracker } from './container-streams.js';
import type { HandlerContext } from './handlers.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-exec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ctx: HandlerContext = { podIP: '127.0.0.1', resolvePort: () => undefined, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GREETING: 'hi' }, cwd: dir, rewrite: (a) => a.replace(/^\/data/, dir), enter: (a) => a };
const opts = (command: string[], o: Partial<RemoteCommandOptions> = {}): RemoteCommandOptions => ({ container: 'c', command, stdin: false, stdout: true, stderr: true, tty: false, ...o });

async function run(command: string[], o: Partial<RemoteCommandOptions> = {}, input?: string) {
  const tracker: ExecTracker = { podDir: dir, container: 'c', groups: new Set() };
  let out = '';
  let err = '';
  const s = await startExec(ctx, tracker, opts(command, o), { stdout: (c) => (out += c), stderr: (c) => (err += c) });
  expect(tracker.groups.size).toBe(1);
  if (input !== undefined) {
    s.writeStdin(Buffer.from(input));
    s.endStdin();
  }
  const result = await s.done;
  return { result, out, err, tracker };
}

describe('execArgv', () => {
  it('runs the command as given without a TTY, under script with one', () => {
    expect(execArgv(['sh', '-c', 'echo hi'], false, '/nowhere')).toEqual(['sh', '-c', 'echo hi']);
    expect(() => execArgv(['sh'], true, '/nowhere')).toThrow('util-linux `script`');
    const argv = execArgv(['sh', '-c', "echo 'a b'"], true, process.env.PATH);
    expect(argv.slice(1)).toEqual(['-q', '-f', '-e', '-c', `sh -c 'echo '\\''a b'\\'''`, '/dev/null']);
  });
});

describe('startExec', () => {
  it('runs in the container context and reports the exit code; its group and pid file are gone after', async () => {
    const r = await run(['sh', '-c', 'echo $GREETING; pwd; echo err >&2; exit 5']);
    expect(r.result).toEqual({ exitCode: 5 });
    expect(r.out).toBe(`hi\n${dir}\n`);
    expect(r.err).toBe('err\n');
    expect(r.tracker.groups.size).toBe(0);
    expect(readdirSync(join(dir, 'pids'))).toEqual([]);
  });

  it('rewrites volume mount paths in arguments', async () => {
    expect((await run(['ls', '-d', '/data'])).out).toBe(`${dir}\n`);
  });

  it('feeds stdin and closes it', async () => {
    const r = await run(['tr', 'a-z', 'A-Z'], { stdin: true }, 'shout\n');
    expect(r.result).toEqual({ exitCode: 0 });
    expect(r.out).toBe('SHOUT\n');
  });

  // skipped only where util-linux `script` is not on PATH
  it.skipIf(!execArgvAvailable())('gives the command a terminal with tty (util-linux script)', async () => {
    const r = await run(['sh', '-c', 'test -t 0 && test -t 1 && echo terminal'], { tty: true, stderr: false, stdin: true }, '');
    expect(r.result).toEqual({ exitCode: 0 });
    expect(r.out).toContain('terminal');
  });

  it('refuses a command that does not exist', async () => {
    const tracker: ExecTracker = { podDir: dir, container: 'c', groups: new Set() };
    await expect(startExec(ctx, tracker, opts(['no-such-command-here']), { stdout: () => {}, stderr: () => {} })).rejects.toThrow('no-such-command-here');
  });
});

function execArgvAvailable(): boolean {
  try {
    execArgv(['true'], true, process.env.PATH);
    return true;
  } catch {
    return false;
  }
}
