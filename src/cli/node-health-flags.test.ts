/** Go durations as Kubernetes' duration flags take them. */
import { describe, expect, it } from 'vitest';
import { parseDuration } from './node-health-flags.js';

describe('parseDuration', () => {
  it.each([
    ['50s', 50_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['1h', 3_600_000],
  ])('%s', (v, ms) => expect(parseDuration('--f', v)).toBe(ms));
  it.each(['50', 's', '5x', '5s junk', ''])('rejects %j, naming the flag', (v) => expect(() => parseDuration('--f', v)).toThrow(/--f must be a duration like 50s/));
});
