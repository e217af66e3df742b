import { describe, expect, it } from 'vitest';
import { podInfo } from '../pod-info.js';
import { makeNode, makePod, makeSnapshot, runFilter, runScore } from '../testing.js';
import { nodeResourcesFit } from './node-resources-fit.js';

describe('NodeResourcesFit filter', () => {
  const snap = makeSnapshot(
    [
      makeNode({ name: 'big', cpu: '4', memory: '8Gi' }),
      makeNode({ name: 'half', cpu: '2', memory: '4Gi' }),
      makeNode({ name: 'full', cpu: '2', memory: '4Gi', pods: '1' }),
      makeNode({ name: 'gpu', cpu: '4', memory: '8Gi', extra: { 'nvidia.com/gpu': '1', 'ephemeral-storage': '10Gi' } }),
    ],
    { half: [makePod({ cpu: '1500m', memory: '1Gi' })], full: [makePod()] },
  );
  it.each([
    ['a pod without requests fits where pods are left', makePod(), { big: 'ok', half: 'ok', full: 'Too many pods', gpu: 'ok' }],
    ['cpu beyond what is free', makePod({ cpu: '1' }), { big: 'ok', half: 'Insufficient cpu', full: 'Too many pods', gpu: 'ok' }],
    ['cpu and memory both short, in that order', makePod({ cpu: '3', memory: '5Gi' }), { big: 'ok', half: 'Insufficient cpu; Insufficient memory', full: 'Too many pods; Insufficient cpu; Insufficient memory', gpu: 'ok' }],
    ['exactly what is free fits', makePod({ cpu: '500m', memory: '3Gi' }), { big: 'ok', half: 'ok', full: 'Too many pods', gpu: 'ok' }],
    [
      'extended resources and ephemeral storage',
      makePod({ spec: { containers: [{ name: 'c', resources: { requests: { 'nvidia.com/gpu': '1', 'ephemeral-storage': '1Gi' } } }] } }),
      { big: 'Insufficient ephemeral-storage; Insufficient nvidia.com/gpu', half: 'Insufficient ephemeral-storage; Insufficient nvidia.com/gpu', full: 'Too many pods; Insufficient ephemeral-storage; Insufficient nvidia.com/gpu', gpu: 'ok' },
    ],
  ])('%s', (_name, pod, want) => {
    expect(runFilter(nodeResourcesFit(), pod, snap)).toEqual(want);
  });

  it('requests beyond the whole node are unresolvable (preemption cannot help), the rest are not', () => {
    const plugin = nodeResourcesFit();
    const state = { pod: podInfo(makePod({ cpu: '3' })), snapshot: snap, data: new Map() };
    expect(plugin.filter(state, snap.get('half')!)?.code).toBe('UnschedulableAndUnresolvable');
    const small = { ...state, pod: podInfo(makePod({ cpu: '1' })) };
    expect(plugin.filter(small, snap.get('half')!)?.code).toBe('Unschedulable');
  });
});

describe('pod requests (init containers as Kubernetes counts them)', () => {
  const c = (name: string, cpu: string, restartPolicy?: 'Always') => ({ name, restartPolicy, resources: { requests: { cpu } } });
  it.each([
    ['containers add up', { containers: [c('a', '100m'), c('b', '200m')] }, 300],
    ['a bigger init container is the floor', { containers: [c('a', '100m')], initContainers: [c('i', '500m')] }, 500],
    ['init containers do not add up', { containers: [c('a', '100m')], initContainers: [c('i', '300m'), c('j', '400m')] }, 400],
    ['sidecars add to the containers', { containers: [c('a', '100m')], initContainers: [c('s', '200m', 'Always')] }, 300],
    ['an init container after a sidecar runs beside it', { containers: [c('a', '100m')], initContainers: [c('s', '200m', 'Always'), c('i', '250m')] }, 450],
    ['overhead is added', { containers: [c('a', '100m')], overhead: { cpu: '50m' } }, 150],
  ])('%s', (_name, spec, milliCPU) => {
    expect(podInfo(makePod({ spec })).requests.milliCPU).toBe(milliCPU);
  });

  it('containers without requests count 100m / 200Mi each for scoring only', () => {
    const p = podInfo(makePod({ spec: { containers: [{ name: 'a' }, { name: 'b', resources: { requests: { cpu: '1' } } }] } }));
    expect(p.requests.milliCPU).toBe(1000);
    expect(p.requests.memory).toBe(0);
    expect(p.nonZeroCPU).toBe(1100);
    expect(p.nonZeroMemory).toBe(400 * 1024 * 1024);
  });
});

describe('NodeResourcesFit score (LeastAllocated)', () => {
  it.each([
    // (4000-1000)/4000 → 75 cpu, (8Gi-2Gi)/8Gi → 75 memory
    ['an empty node', { cpu: '1', memory: '2Gi' }, { empty: 75, busy: 25 }],
    // nonzero defaults: 100m of 4000 → 97; 200Mi of 8Gi → 97
    ['a pod without requests counts the defaults', {}, { empty: 97, busy: 47 }],
  ])('%s', (_name, req, want) => {
    const snap = makeSnapshot([makeNode({ name: 'empty' }), makeNode({ name: 'busy' })], { busy: [makePod({ cpu: '2', memory: '4Gi' })] });
    expect(runScore(nodeResourcesFit(), makePod(req), snap)).toEqual(want);
  });
});
