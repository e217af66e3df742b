/** RunLog: CRI-format files, rotation by size, and reads with tail, since, limitBytes and follow. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogOptions } from '../runtime.js';
import { logStream, RunLog, staleRunLogs } from './container-log.js';

const dirs: string[] = [];
function newLog(maxBytes = 1 << 20, maxFiles = 3): RunLog {
  const d = mkdtempSync(join(tmpdir(), 'berth-log-'));
  dirs.push(d);
  return new RunLog(join(d, 'c', '0.log'), { maxBytes, maxFiles });
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function read(log: RunLog, opts: LogOptions): string {
  let out = '';
  logStream(log, opts).start((c) => (out += c), () => {});
  return out;
}

describe('container logs', () => {
  it('writes CRI lines, joining partial writes and flushing the last line at the end', () => {
    const log = newLog();
    log.write('stdout', Buffer.from('hel'));
    log.write('stdout', Buffer.from('lo\nwor'));
    log.write('stderr', Buffer.from('oops\n'));
    log.end();
    const lines = readFileSync(log.path, 'utf8').trim().split('\n');
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual(['stdout F hello', 'stderr F oops', 'stdout F wor']);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /);
  });

  it.each([
    [{}, 'a\nb\nc\n'],
    [{ tailLines: 2 }, 'b\nc\n'],
    [{ tailLines: 0 }, ''],
    [{ limitBytes: 3 }, 'a\nb'],
    [{ sinceSeconds: 3600 }, 'a\nb\nc\n'],
    [{ sinceTime: '2999-01-01T00:00:00Z' }, ''],
  ])('reads with %j', (opts, want) => {
    const log = newLog();
    log.write('stdout', Buffer.from('a\nb\nc\n'));
    expect(read(log, opts)).toBe(want);
  });

  it('rotates past maxBytes and keeps maxFiles files, oldest first when read', () => {
    const log = newLog(100, 3);
    for (let i = 0; i < 20; i++) log.write('stdout', Buffer.from(`line ${i}\n`));
    expect(existsSync(`${log.path}.1`)).toBe(true);
    expect(existsSync(`${log.path}.2`)).toBe(true);
    expect(existsSync(`${log.path}.3`)).toBe(false);
    const text = read(log, {}).trim().split('\n');
    expect(text.at(-1)).toBe('line 19');
    expect(text.length).toBeLessThan(20);
    expect(text).toEqual([...text].sort((a, b) => Number(a.split(' ')[1]) - Number(b.split(' ')[1])));
  });

  it('follows new lines until the run ends', () => {
    const log = newLog();
    log.write('stdout', Buffer.from('first\n'));
    let out = '';
    let ended = false;
    logStream(log, { follow: true }).start((c) => (out += c), () => (ended = true));
    expect(out).toBe('first\n');
    log.write('stdout', Buffer.from('second\n'));
    expect(out).toBe('first\nsecond\n');
    expect(ended).toBe(false);
    log.end();
    expect(ended).toBe(true);
  });
});

describe('staleRunLogs', () => {
  it.each<[string, string[], number, string[]]>([
    ['the first run: nothing', [], 0, []],
    ['the second run keeps the first', ['0.log'], 1, []],
    ['the third run drops the first, rotations included', ['0.log', '0.log.1', '0.log.2', '1.log'], 2, ['0.log', '0.log.1', '0.log.2']],
    ['after an agent restart: every older run', ['3.log', '7.log', '8.log', '8.log.1'], 9, ['3.log', '7.log']],
    ['not a run log: kept', ['notes.txt', '1.log.tmp', 'x.log'], 9, []],
    ['run numbers compare as numbers', ['9.log', '10.log'], 11, ['9.log']],
  ])('%s', (_what, files, current, want) => {
    expect(staleRunLogs(files, current)).toEqual(want);
  });
});
