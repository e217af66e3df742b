import { describe, expect, it } from 'vitest';
import { humanDuration, since } from './age.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration (apimachinery duration.HumanDuration)', () => {
  it.each([
    [-5 * s, '<invalid>'],
    [-1 * s, '0s'],
    [0, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [3 * m + 20 * s, '3m20s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [5 * h + 10 * m, '5h10m'],
    [8 * h + 10 * m, '8h'],
    [47 * h, '47h'],
    [2 * d + 3 * h, '2d3h'],
    [3 * d, '3d'],
    [8 * d + 5 * h, '8d'],
    [400 * d, '400d'],
    [2 * 365 * d + 5 * d, '2y5d'],
    [3 * 365 * d, '3y'],
    [9 * 365 * d + 20 * d, '9y'],
  ])('%d ms is %s', (ms, text) => expect(humanDuration(ms)).toBe(text));

  it('ages timestamps, <unknown> when unset', () => {
    expect(since('2024-01-01T00:00:00Z', Date.parse('2024-01-01T00:03:20Z'))).toBe('3m20s');
    expect(since(undefined, 0)).toBe('<unknown>');
  });
});
