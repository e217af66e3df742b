import { describe, expect, it } from 'vitest';
import { cpuQuantity, memoryQuantity, metricsList, nodeMetrics, podMetrics, windowDuration } from './metrics-objects.js';

describe('metrics quantities', () => {
  it.each([
    [0, '0n'],
    [1234.6, '1235n'],
    [250_000_000, '250000000n'],
    [-5, '0n'],
  ])('cpu %s nanocores → %s', (n, q) => expect(cpuQuantity(n)).toBe(q));

  it.each([
    [0, '0Ki'],
    [1024, '1Ki'],
    [64 * 2 ** 20, '65536Ki'],
    [1535, '1Ki'],
  ])('memory %s bytes → %s', (b, q) => expect(memoryQuantity(b)).toBe(q));

  it.each([
    [15_000, '15s'],
    [1500, '1.5s'],
    [20_028, '20.028s'],
    [1, '0.001s'],
  ])('window %s ms → %s', (ms, d) => expect(windowDuration(ms)).toBe(d));
});

describe('metrics objects', () => {
  const now = Date.parse('2026-11-22T10:00:05.123Z');
  it('builds NodeMetrics as metrics-server does', () => {
    const summary = { node: 'n1', usage: { cpuNanoCores: 1.5e9, memoryBytes: 2 ** 30, timestampMs: Date.parse('2026-11-22T10:00:00.900Z'), windowMs: 15_000 }, pods: [] };
    expect(nodeMetrics(summary, { zone: 'a' }, now)).toEqual({
      kind: 'NodeMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: 'n1', creationTimestamp: '2026-11-22T10:00:05Z', labels: { zone: 'a' } },
      timestamp: '2026-11-22T10:00:00Z',
      window: '15s',
      usage: { cpu: '1500000000n', memory: '1048576Ki' },
    });
  });

  it('builds PodMetrics with one entry per container, in a list', () => {
    const pod = { namespace: 'ns', name: 'web', uid: 'u1', timestampMs: now, windowMs: 2500, containers: [{ name: 'a', cpuNanoCores: 1e6, memoryBytes: 2048 }, { name: 'b', cpuNanoCores: 0, memoryBytes: 0 }] };
    const pm = podMetrics(pod, undefined, now);
    expect(pm).toEqual({
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: 'web', namespace: 'ns', creationTimestamp: '2026-11-22T10:00:05Z' },
      timestamp: '2026-11-22T10:00:05Z',
      window: '2.5s',
      containers: [
        { name: 'a', usage: { cpu: '1000000n', memory: '2Ki' } },
        { name: 'b', usage: { cpu: '0n', memory: '0Ki' } },
      ],
    });
    expect(metricsList('PodMetrics', [pm])).toEqual({ kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: [pm] });
  });
});
