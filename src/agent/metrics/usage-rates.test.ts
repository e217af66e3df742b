import { describe, expect, it } from 'vitest';
import { UsageRates, usageBetween } from './usage-rates.js';

describe('usageBetween', () => {
  const cases: { name: string; previous?: { cpuSeconds: number; atMs: number; startedAtMs: number }; now: { cpuSeconds: number; memoryBytes: number; startedAtMs: number }; nowMs: number; cpuNanoCores: number; windowMs: number }[] = [
    { name: 'first reading: over the whole life', now: { cpuSeconds: 2, memoryBytes: 10, startedAtMs: 0 }, nowMs: 4000, cpuNanoCores: 500_000_000, windowMs: 4000 },
    { name: 'since the previous reading', previous: { cpuSeconds: 2, atMs: 4000, startedAtMs: 0 }, now: { cpuSeconds: 2.25, memoryBytes: 10, startedAtMs: 0 }, nowMs: 5000, cpuNanoCores: 250_000_000, windowMs: 1000 },
    { name: 'idle since the previous reading', previous: { cpuSeconds: 2, atMs: 4000, startedAtMs: 0 }, now: { cpuSeconds: 2, memoryBytes: 10, startedAtMs: 0 }, nowMs: 9000, cpuNanoCores: 0, windowMs: 5000 },
    { name: 'restarted container: its own life', previous: { cpuSeconds: 9, atMs: 4000, startedAtMs: 0 }, now: { cpuSeconds: 1, memoryBytes: 10, startedAtMs: 3000 }, nowMs: 5000, cpuNanoCores: 500_000_000, windowMs: 2000 },
    { name: 'counter went back (a reaped child left the group): its life', previous: { cpuSeconds: 9, atMs: 4000, startedAtMs: 0 }, now: { cpuSeconds: 8, memoryBytes: 10, startedAtMs: 0 }, nowMs: 8000, cpuNanoCores: 1_000_000_000, windowMs: 8000 },
    { name: 'two cores busy', previous: { cpuSeconds: 0, atMs: 0, startedAtMs: 0 }, now: { cpuSeconds: 20, memoryBytes: 10, startedAtMs: 0 }, nowMs: 10_000, cpuNanoCores: 2_000_000_000, windowMs: 10_000 },
    { name: 'a reading in the same millisecond: never divides by zero', now: { cpuSeconds: 0, memoryBytes: 10, startedAtMs: 7000 }, nowMs: 7000, cpuNanoCores: 0, windowMs: 1 },
  ];
  for (const t of cases) {
    it(t.name, () => {
      const u = usageBetween(t.previous, t.now, t.nowMs);
      expect(u).toEqual({ cpuNanoCores: t.cpuNanoCores, memoryBytes: 10, timestampMs: t.nowMs, windowMs: t.windowMs });
    });
  }
});

describe('UsageRates', () => {
  it('measures each counter from its previous reading and forgets counters that went', () => {
    const rates = new UsageRates();
    const first = rates.measure(new Map([['a', { cpuSeconds: 1, memoryBytes: 1, startedAtMs: 0 }], ['b', { cpuSeconds: 1, memoryBytes: 2, startedAtMs: 0 }]]), 1000);
    expect(first.get('a')).toMatchObject({ cpuNanoCores: 1e9, windowMs: 1000 });
    const second = rates.measure(new Map([['a', { cpuSeconds: 1.5, memoryBytes: 1, startedAtMs: 0 }]]), 2000);
    expect([...second.keys()]).toEqual(['a']);
    expect(second.get('a')).toMatchObject({ cpuNanoCores: 5e8, windowMs: 1000 });
    // b came back: measured over its life again, not from its reading of two rounds ago
    const third = rates.measure(new Map([['b', { cpuSeconds: 3, memoryBytes: 2, startedAtMs: 0 }]]), 3000);
    expect(third.get('b')).toMatchObject({ cpuNanoCores: 1e9, windowMs: 3000 });
  });
});
