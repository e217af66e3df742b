import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { availability, controllerOf, controllerRef, isActive, isControlledBy } from './pod-state.js';

const NOW = Date.parse('2024-01-01T00:10:00Z');
function pod(phase: string, ready?: { status: string; at?: string }, deleting = false): Pod {
  return {
    metadata: { name: 'p', deletionTimestamp: deleting ? '2024-01-01T00:09:00Z' : undefined },
    status: { phase, conditions: ready ? [{ type: 'Ready', status: ready.status, lastTransitionTime: ready.at }] : [] },
  };
}

describe('availability', () => {
  it.each([
    ['not ready', pod('Running', { status: 'False', at: '2024-01-01T00:00:00Z' }), 30, { available: false }],
    ['no Ready condition', pod('Running'), 0, { available: false }],
    ['ready, minReadySeconds 0', pod('Running', { status: 'True' }), 0, { available: true }],
    ['ready long enough', pod('Running', { status: 'True', at: '2024-01-01T00:09:00Z' }), 60, { available: true }],
    ['ready, 20 s to go', pod('Running', { status: 'True', at: '2024-01-01T00:09:40Z' }), 40, { available: false, availableInMs: 20_000 }],
    ['ready, no transition time: look again after minReadySeconds', pod('Running', { status: 'True' }), 5, { available: false, availableInMs: 5_000 }],
  ])('%s', (_name, p, minReady, want) => {
    expect(availability(p, minReady, NOW)).toEqual(want);
  });
});

describe('isActive', () => {
  it.each([
    ['Pending', false, true],
    ['Running', false, true],
    ['Running', true, false],
    ['Succeeded', false, false],
    ['Failed', false, false],
  ])('%s, terminating=%s → %s', (phase, deleting, want) => {
    expect(isActive(pod(phase, undefined, deleting))).toBe(want);
  });
});

describe('controller references', () => {
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', uid: 'u1' } };
  it('builds a controller ref from the owner, or with an explicit kind', () => {
    expect(controllerRef(owner)).toEqual({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true, blockOwnerDeletion: true });
    expect(controllerRef({ metadata: owner.metadata }, 'batch/v1', 'Job')).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', uid: 'u1' });
  });
  it('finds only the reference marked controller', () => {
    const other = { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'u2' };
    const child = { metadata: { ownerReferences: [other, controllerRef(owner)] } };
    expect(controllerOf(child)?.uid).toBe('u1');
    expect(isControlledBy(child, 'u1')).toBe(true);
    expect(isControlledBy(child, 'u2')).toBe(false);
    expect(controllerOf({ metadata: { ownerReferences: [other] } })).toBeUndefined();
  });
});
