/** mapLimit: order kept, never more than the limit in flight, the first error surfaces. */
import { describe, expect, it } from 'vitest';
import { mapLimit } from './concurrency.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('mapLimit', () => {
  it.each([1, 3, 16])('keeps input order and at most %i calls in flight', async (limit) => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([...Array(20).keys()], limit, async (n) => {
      peak = Math.max(peak, ++inFlight);
      for (let i = 0; i < (n % 4) + 1; i++) await tick();
      inFlight--;
      return n * 2;
    });
    expect(out).toEqual([...Array(20).keys()].map((n) => n * 2));
    expect(peak).toBe(Math.min(limit, 20));
  });
  it('rejects with the first error and starts nothing after it', async () => {
    const started: number[] = [];
    await expect(mapLimit([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      await tick();
      if (n === 1) throw new Error('boom 1');
      return n;
    })).rejects.toThrow('boom 1');
    expect(started).toEqual([0, 1, 2]);
  });
  it('handles no items', async () => {
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
  });
});
