import { describe, expect, it } from 'vitest';
import { isQuantity, milliValue, value } from './quantity.js';

describe('quantity', () => {
  it.each([
    ['100m', 100, 1],
    ['1', 1000, 1],
    ['0.5', 500, 1],
    ['1.5', 1500, 2],
    ['2k', 2_000_000, 2000],
    ['1Ki', 1_024_000, 1024],
    ['1.5Gi', 1_610_612_736_000, 1_610_612_736],
    ['128974848', 128_974_848_000, 128_974_848],
    ['129e6', 129_000_000_000, 129_000_000],
    ['123Mi', 128_974_848_000, 128_974_848],
    ['1e-3', 1, 1],
    ['500u', 1, 1],
    ['1n', 1, 1],
    ['0', 0, 0],
    ['.5', 500, 1],
    ['3.', 3000, 3],
    ['+2', 2000, 2],
    ['0.1', 100, 1],
    ['110', 110_000, 110],
    ['8E', Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ] as const)('%s → %d milli, %d units', (q, milli, units) => {
    expect(milliValue(q)).toBe(milli);
    expect(value(q)).toBe(units);
  });

  it('accepts numbers as JSON carries them', () => {
    expect(milliValue(2)).toBe(2000);
    expect(value(0.25)).toBe(1);
  });

  it.each(['', 'abc', '1.2.3', '1Kb', 'Mi', '1 Gi', '--1', '1e'])('rejects %j', (q) => {
    expect(isQuantity(q)).toBe(false);
    expect(() => value(q)).toThrow(/quantities must match/);
  });
});
