/** mountPath rewriting in arguments and scripts: table tests. */
import { describe, expect, it } from 'vitest';
import { rewritePath, type Mount } from './volumes.js';

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
