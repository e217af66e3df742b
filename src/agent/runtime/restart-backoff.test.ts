/** Restart back-off and restartPolicy: table tests. */
import { describe, expect, it } from 'vitest';
import { nextRestartDelay, restartsAfter } from './restart-backoff.js';

const o = { baseMs: 10_000, maxMs: 300_000 };

describe('nextRestartDelay', () => {
  it.each([
    ['first restart: at once', 0, 1000, 0, 10_000],
    ['second: the base', 10_000, 1000, 10_000, 20_000],
    ['doubling', 80_000, 1000, 80_000, 160_000],
    ['capped', 160_000, 1000, 160_000, 300_000],
    ['at the cap', 300_000, 1000, 300_000, 300_000],
    ['ran longer than twice the cap: reset', 300_000, 600_001, 0, 10_000],
  ])('%s', (_what, backoffMs, ranMs, delayMs, next) => {
    expect(nextRestartDelay(backoffMs, ranMs, o)).toEqual({ delayMs, backoffMs: next });
  });
});

describe('restartsAfter', () => {
  it.each([
    [undefined, 0, true],
    ['Always', 0, true],
    ['Always', 1, true],
    ['OnFailure', 0, false],
    ['OnFailure', 1, true],
    ['Never', 1, false],
  ] as const)('%s, exit %s: %s', (policy, code, want) => {
    expect(restartsAfter(policy, code)).toBe(want);
  });
});
