/** kubectl cp's tar under volume mounts: the --transform added, and what is left alone. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tarArgv, transformFor } from './tar-paths.js';

const PATH = process.env.PATH;

describe('tar under volume mounts', () => {
  it.each([
    ['/v/data', '/data', 's,^v/data\\(/\\|$\\),data\\1,'],
    ['/v/a.b[1]/', '/x&y', 's,^v/a\\.b\\[1\\]\\(/\\|$\\),x\\&y\\1,'],
    ['/v/a,b', '/c', 's|^v/a,b\\(/\\|$\\)|c\\1|'],
  ])('renames members under %s to %s', (from, to, want) => expect(transformFor(from, to)).toBe(want));

  it('adds a transform per rewritten path, at the end or before --', () => {
    expect(tarArgv(['tar', 'cf', '-', '/data/f'], ['tar', 'cf', '-', '/v/data/f'], '/', PATH)).toEqual(['tar', 'cf', '-', '/v/data/f', '--transform=s,^v/data/f\\(/\\|$\\),data/f\\1,']);
    expect(tarArgv(['tar', 'cf', '-', '--', '/data'], ['tar', 'cf', '-', '--', '/v/d'], '/', PATH)).toEqual(['tar', 'cf', '-', '--transform=s,^v/d\\(/\\|$\\),data\\1,', '--', '/v/d']);
  });

  it('leaves other commands and unrewritten arguments alone', () => {
    expect(tarArgv(['cat', '/data/f'], ['cat', '/v/data/f'], '/', PATH)).toEqual(['cat', '/v/data/f']);
    expect(tarArgv(['tar', 'cf', '-', 'data.txt'], ['tar', 'cf', '-', 'data.txt'], '/', PATH)).toEqual(['tar', 'cf', '-', 'data.txt']);
  });

  it('makes GNU tar name the members after the pod path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-tar-'));
    try {
      mkdirSync(join(dir, 'vol', 'sub'), { recursive: true });
      writeFileSync(join(dir, 'vol', 'sub', 'f'), 'x');
      const argv = tarArgv(['tar', 'cf', '-', '/data'], ['tar', 'cf', '-', join(dir, 'vol')], '/', PATH);
      const archive = execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
      expect(execFileSync('tar', ['tf', '-'], { input: archive, encoding: 'utf8' }).split('\n').filter(Boolean)).toEqual(['data/', 'data/sub/', 'data/sub/f']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
