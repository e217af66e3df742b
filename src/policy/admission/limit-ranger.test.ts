import { describe, expect, it } from 'vitest';
import { aggregate, applyDefaults, claimViolations, podViolations } from './limit-ranger.js';

type Item = { type: string; min?: Record<string, string>; max?: Record<string, string>; default?: Record<string, string>; defaultRequest?: Record<string, string>; maxLimitRequestRatio?: Record<string, string> };
const range = (...limits: Item[]) => ({ spec: { limits } });
const pod = (...containers: { name: string; requests?: Record<string, string>; limits?: Record<string, string> }[]) => ({
  spec: { containers: containers.map((c) => ({ name: c.name, resources: { requests: c.requests, limits: c.limits } })) },
});

describe('applyDefaults', () => {
  it('fills only what a container leaves out, and says what it set', () => {
    const p = pod({ name: 'web', limits: { cpu: '2' } }, { name: 'log' });
    const note = applyDefaults([range({ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } })], p);
    expect(p.spec.containers[0].resources).toEqual({ limits: { cpu: '2', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    expect(p.spec.containers[1].resources).toEqual({ limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    expect(note).toBe('LimitRanger plugin set: cpu, memory request for container web; memory limit for container web; cpu, memory request for container log; cpu, memory limit for container log');
  });

  it('sets nothing without Container defaults', () => {
    expect(applyDefaults([range({ type: 'Pod', max: { cpu: '2' } })], pod({ name: 'a' }))).toBeUndefined();
  });
});

describe('podViolations', () => {
  it.each([
    ['max limit', { type: 'Container', max: { cpu: '800m' } }, { name: 'a', limits: { cpu: '1500m' }, requests: { cpu: '500m' } }, ['maximum cpu usage per Container is 800m, but limit is 1500m']],
    ['max without a limit', { type: 'Container', max: { memory: '1Gi' } }, { name: 'a' }, ['maximum memory usage per Container is 1Gi.  No limit is specified']],
    ['min request', { type: 'Container', min: { cpu: '200m' } }, { name: 'a', requests: { cpu: '100m' }, limits: { cpu: '800m' } }, ['minimum cpu usage per Container is 200m, but request is 100m']],
    ['min without a request', { type: 'Container', min: { cpu: '200m' } }, { name: 'a' }, ['minimum cpu usage per Container is 200m.  No request is specified']],
    ['ratio', { type: 'Container', maxLimitRequestRatio: { memory: '2' } }, { name: 'a', requests: { memory: '100Mi' }, limits: { memory: '250Mi' } }, ['memory max limit to request ratio per Container is 2, but provided ratio is 2.500000']],
    ['ratio without a request', { type: 'Container', maxLimitRequestRatio: { cpu: '4' } }, { name: 'a', limits: { cpu: '1' } }, ['cpu max limit to request ratio per Container is 4, but no request is specified or request is 0']],
    ['within bounds', { type: 'Container', min: { cpu: '100m' }, max: { cpu: '1' }, maxLimitRequestRatio: { cpu: '4' } }, { name: 'a', requests: { cpu: '250m' }, limits: { cpu: '1' } }, []],
  ] as const)('%s', (_what, item, container, messages) => {
    expect(podViolations([range(item as Item)], pod(container as never))).toEqual(messages);
  });

  it('sums the containers for the Pod type', () => {
    const p = pod({ name: 'a', requests: { cpu: '600m' }, limits: { cpu: '1' } }, { name: 'b', requests: { cpu: '600m' }, limits: { cpu: '1' } });
    expect(podViolations([range({ type: 'Pod', max: { cpu: '1500m' } })], p)).toEqual(['maximum cpu usage per Pod is 1500m, but limit is 2']);
  });
});

describe('claimViolations and aggregate', () => {
  it('bounds a claim request and prints several errors as Kubernetes aggregates them', () => {
    const claim = (storage: string) => ({ spec: { resources: { requests: { storage } } } });
    const r = [range({ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '2Gi' } })];
    expect(claimViolations(r, claim('5Gi'))).toEqual(['maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi']);
    expect(claimViolations(r, claim('500Mi'))).toEqual(['minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi']);
    expect(claimViolations(r, claim('1536Mi'))).toEqual([]);
    expect(aggregate(['a'])).toBe('a');
    expect(aggregate(['a', 'b', 'a'])).toBe('[a, b]');
  });
});
