/** mountPath rewriting in arguments and scripts (table tests), and a volume's files kept in sync with its object. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rewritePath, syncVolumeFiles, type Mount, type VolumeFiles } from './volumes.js';

const mounts: Mount[] = [
  { mountPath: '/etc/cfg/nested', dir: '/v/nested' },
  { mountPath: '/etc/cfg', dir: '/v/cfg' },
  { mountPath: '/data', dir: '/v/data' },
];

describe('rewritePath', () => {
  it.each([
    ['/etc/cfg', '/v/cfg'],
    ['/etc/cfg/app.conf', '/v/cfg/app.conf'],
    ['/etc/cfg/nested/x', '/v/nested/x'],
    ['/etc/cfgx', '/etc/cfgx'],
    ['/database', '/database'],
    ['cat /etc/cfg/a; cat /data/b > "/data/c"', 'cat /v/cfg/a; cat /v/data/b > "/v/data/c"'],
    ['--config=/etc/cfg/a', '--config=/v/cfg/a'],
    ['PATH=/bin:/data/bin', 'PATH=/bin:/v/data/bin'],
    ['x/data/y', 'x/data/y'],
    ['ls /data; ls /data&& ls /data|wc', 'ls /v/data; ls /v/data&& ls /v/data|wc'],
  ])('%s → %s', (input, want) => {
    expect(rewritePath(input, mounts)).toBe(want);
  });
});

describe('syncVolumeFiles', () => {
  /** Every file under `dir`, relative, sorted. */
  function tree(dir: string): string[] {
    return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).sort();
  }
  const files = (entries: Record<string, string>): VolumeFiles => new Map(Object.entries(entries).map(([k, v]) => [k, { content: v, mode: 0o644 }]));

  it('writes the files, rewrites changed ones and removes files and directories no longer there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-volume-'));
    try {
      syncVolumeFiles(dir, files({ a: '1', b: '2', 'sub/c': '3', 'sub/d': '4' }));
      expect(tree(dir)).toEqual(['a', 'b', 'sub/c', 'sub/d']);
      syncVolumeFiles(dir, files({ a: 'one', 'sub/d': '4' }));
      expect(tree(dir)).toEqual(['a', 'sub/d']);
      expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('one');
      syncVolumeFiles(dir, files({ a: 'one' }));
      expect(readdirSync(dir)).toEqual(['a']);
      // an optional object that is gone leaves the volume empty
      mkdirSync(join(dir, 'nested/deeper'), { recursive: true });
      writeFileSync(join(dir, 'nested/deeper/x'), '');
      syncVolumeFiles(dir, new Map());
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
