/** Restart back-off and restartPolicy: table tests. */
import { describe, expect, it } from 'vitest';
import { KUBELET_BACKOFF, nextRestartDelay, restartsAfter } from './restart-backoff.js';

const o = { baseMs: 10_000, maxMs: 300_000 };

describe('KUBELET_BACKOFF', () => {
  it("is the kubelet's: 10 s base, 5 min cap", () => {
    expect(KUBELET_BACKOFF).toEqual({ baseMs: 10_000, maxMs: 300_000 });
  });

  it("gives a crash loop the kubelet's delays: at once, 10 s, doubling to 5 min, then 5 min", () => {
    const delays: number[] = [];
    let backoffMs = 0;
    for (let i = 0; i < 8; i++) {
      const next = nextRestartDelay(backoffMs, 1000, KUBELET_BACKOFF);
      delays.push(next.delayMs / 1000);
      backoffMs = next.backoffMs;
    }
    expect(delays).toEqual([0, 10, 20, 40, 80, 160, 300, 300]);
  });
});

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
