import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import type { UsageSample } from './usage-rates.js';
import { NodeUsage } from './node-usage.js';

const pod = (name: string, uid: string): Pod => ({ metadata: { name, namespace: 'default', uid }, spec: { nodeName: 'n1', containers: [] } });

/** A runtime whose counters the test sets. */
function fakeRuntime(kind: 'process' | 'sim') {
  const counters = new Map<string, Map<string, UsageSample>>();
  return { kind, counters, usage: () => counters };
}

describe('NodeUsage', () => {
  it('reports pods by name with per-container rates, the machine since the agent started, and caches for the resolution', () => {
    let now = 10_000;
    let machineCpu = 100;
    const runtime = fakeRuntime('process');
    runtime.counters.set('u1', new Map([['app', { cpuSeconds: 1, memoryBytes: 4096, startedAtMs: 8000 }]]));
    runtime.counters.set('gone', new Map([['app', { cpuSeconds: 1, memoryBytes: 1, startedAtMs: 0 }]]));
    const usage = new NodeUsage({ node: 'n1', runtime, pods: () => [pod('web', 'u1')], resolutionMs: 5000, now: () => now, machine: () => ({ cpuSeconds: machineCpu, memoryBytes: 1e9, startedAtMs: 0 }) });
    now = 12_000;
    machineCpu = 103;
    const first = usage.summary();
    // the machine's window starts at construction (10 s), not at boot
    expect(first.usage).toEqual({ cpuNanoCores: 1.5e9, memoryBytes: 1e9, timestampMs: 12_000, windowMs: 2000 });
    // a pod the agent does not know (not in its cache) is left out
    expect(first.pods).toEqual([{ namespace: 'default', name: 'web', uid: 'u1', timestampMs: 12_000, windowMs: 4000, containers: [{ name: 'app', cpuNanoCores: 2.5e8, memoryBytes: 4096 }] }]);

    runtime.counters.set('u1', new Map([['app', { cpuSeconds: 5, memoryBytes: 4096, startedAtMs: 8000 }]]));
    now = 16_000;
    expect(usage.summary()).toBe(first);
    now = 17_000;
    const second = usage.summary();
    expect(second.pods[0].containers[0]).toEqual({ name: 'app', cpuNanoCores: 8e8, memoryBytes: 4096 });
    expect(second.pods[0].windowMs).toBe(5000);
  });

  it('gives a sim node the sum of its pods', () => {
    const runtime = fakeRuntime('sim');
    runtime.counters.set('u1', new Map([['a', { cpuSeconds: 0.25, memoryBytes: 64 * 2 ** 20, startedAtMs: 0 }], ['b', { cpuSeconds: 0.1, memoryBytes: 2 ** 20, startedAtMs: 0 }]]));
    runtime.counters.set('u2', new Map([['a', { cpuSeconds: 0.5, memoryBytes: 0, startedAtMs: 0 }]]));
    const usage = new NodeUsage({ node: 'n1', runtime, pods: () => [pod('x', 'u1'), pod('y', 'u2')], resolutionMs: 15_000, now: () => 1000 });
    const s = usage.summary();
    expect(s.usage).toEqual({ cpuNanoCores: 0.85e9, memoryBytes: 65 * 2 ** 20, timestampMs: 1000, windowMs: 15_000 });
    expect(s.pods.map((p) => p.name)).toEqual(['x', 'y']);
  });
});
