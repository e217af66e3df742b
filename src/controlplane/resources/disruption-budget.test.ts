import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetSpec, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import { describe, expect, it } from 'vitest';
import { BUDGET_VIOLATION, budgetStatus, decideEviction, DISRUPTED_POD_TIMEOUT_MS, selectsPod } from './disruption-budget.js';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function pod(name: string, o: { ready?: boolean; phase?: string; labels?: Record<string, string>; deleting?: boolean } = {}): Pod {
  return {
    metadata: { name, namespace: 'ns', labels: o.labels ?? { app: 'web' }, deletionTimestamp: o.deleting ? iso(NOW) : undefined },
    status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

function pdb(spec: Partial<PodDisruptionBudgetSpec>, status?: Partial<PodDisruptionBudgetStatus>, generation = 1): PodDisruptionBudget {
  return {
    metadata: { name: 'budget', namespace: 'ns', generation },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
    status: status && ({ currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0, observedGeneration: 1, ...status } as PodDisruptionBudgetStatus),
  };
}

describe('selectsPod', () => {
  it.each([
    ['matching labels', { matchLabels: { app: 'web' } }, true],
    ['other labels', { matchLabels: { app: 'db' } }, false],
    ['an empty selector selects every pod (policy/v1)', {}, true],
    ['a null selector selects none', undefined, false],
  ])('%s', (_what, selector, want) => {
    expect(selectsPod({ metadata: { namespace: 'ns' }, spec: { selector } }, pod('a'))).toBe(want);
  });
  it('never selects pods of another namespace', () => {
    expect(selectsPod({ metadata: { namespace: 'other' }, spec: { selector: {} } }, pod('a'))).toBe(false);
  });
});

describe('budgetStatus', () => {
  const three = [pod('a'), pod('b'), pod('c')];
  it.each([
    ['minAvailable 2 of 3 ready', { minAvailable: 2 }, three, 0, { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 }],
    ['minAvailable 3 of 3', { minAvailable: 3 }, three, 0, { expectedPods: 3, desiredHealthy: 3, currentHealthy: 3, disruptionsAllowed: 0 }],
    ['an unready pod is not healthy', { minAvailable: 1 }, [pod('a'), pod('b', { ready: false })], 0, { expectedPods: 2, desiredHealthy: 1, currentHealthy: 1, disruptionsAllowed: 0 }],
    ['a terminating pod is not healthy', { minAvailable: 1 }, [pod('a'), pod('b', { deleting: true })], 0, { currentHealthy: 1, disruptionsAllowed: 0 }],
    ['minAvailable 50% of a scale of 3 rounds up', { minAvailable: '50%' }, three, 3, { expectedPods: 3, desiredHealthy: 2, disruptionsAllowed: 1 }],
    ['maxUnavailable 1 of a scale of 4 (one pod missing)', { maxUnavailable: 1 }, three, 4, { expectedPods: 4, desiredHealthy: 3, currentHealthy: 3, disruptionsAllowed: 0 }],
    ['maxUnavailable 34% of 3 rounds up to 2', { maxUnavailable: '34%' }, three, 3, { desiredHealthy: 1, disruptionsAllowed: 2 }],
    ['no expected pods allows nothing', { maxUnavailable: 1 }, [], 0, { expectedPods: 0, desiredHealthy: 0, disruptionsAllowed: 0 }],
  ] as [string, Partial<PodDisruptionBudgetSpec>, Pod[], number, Partial<PodDisruptionBudgetStatus>][])('%s', (_what, spec, pods, expectedScale, want) => {
    const { status } = budgetStatus({ pdb: pdb(spec), pods, expectedScale, now: NOW });
    expect(status).toMatchObject({ observedGeneration: 1, ...want });
    const cond = status.conditions?.find((c) => c.type === 'DisruptionAllowed');
    expect(cond?.status).toBe(status.disruptionsAllowed > 0 ? 'True' : 'False');
    expect(cond?.reason).toBe(status.disruptionsAllowed > 0 ? 'SufficientPods' : 'InsufficientPods');
  });

  it('keeps an evicted pod out of the healthy count until it goes or its entry times out', () => {
    const evictedAt = NOW - 30_000;
    const budget = pdb({ minAvailable: 1 }, { disruptedPods: { a: iso(evictedAt), gone: iso(evictedAt), old: iso(NOW - DISRUPTED_POD_TIMEOUT_MS - 1) } });
    const r = budgetStatus({ pdb: budget, pods: [pod('a'), pod('b'), pod('old')], expectedScale: 0, now: NOW });
    expect(r.status.disruptedPods).toEqual({ a: iso(evictedAt) });
    expect(r.status.currentHealthy).toBe(2);
    expect(r.requeueAfterMs).toBe(DISRUPTED_POD_TIMEOUT_MS - 30_000);
  });
});

describe('decideEviction', () => {
  it('deletes when no budget selects the pod, or the pod is pending, finished or terminating', () => {
    const blocking = pdb({ minAvailable: 5 }, { disruptionsAllowed: 0 });
    expect(decideEviction(pod('a', { labels: { app: 'other' } }), [blocking], NOW)).toEqual({ action: 'delete' });
    for (const p of [pod('a', { phase: 'Pending' }), pod('a', { phase: 'Succeeded' }), pod('a', { deleting: true })]) {
      expect(decideEviction(p, [blocking], NOW)).toEqual({ action: 'delete' });
    }
  });

  it('charges the budget: one disruption less and the pod in disruptedPods', () => {
    const d = decideEviction(pod('a'), [pdb({ minAvailable: 2 }, { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 })], NOW);
    expect(d.action).toBe('charge');
    if (d.action !== 'charge') return;
    expect(d.status).toMatchObject({ disruptionsAllowed: 0, currentHealthy: 3, disruptedPods: { a: iso(NOW) } });
    expect(d.status.conditions?.find((c) => c.type === 'DisruptionAllowed')?.status).toBe('False');
  });

  it.each([
    ['no disruption left', pdb({ minAvailable: 3 }, { disruptionsAllowed: 0, currentHealthy: 3, desiredHealthy: 3 }), 429, 'The disruption budget budget needs 3 healthy pods and has 3 currently'],
    ['a budget the controller has not seen yet', pdb({ minAvailable: 1 }, { disruptionsAllowed: 5 }, 2), 429, 'The disruption budget budget is still being processed by the server.'],
    ['a budget without status', pdb({ minAvailable: 1 }), 429, 'The disruption budget budget is still being processed by the server.'],
  ])('refuses with 429 for %s', (_what, budget, code, cause) => {
    expect(decideEviction(pod('a'), [budget], NOW)).toMatchObject({ action: 'refuse', code, message: BUDGET_VIOLATION, cause });
  });

  it('refuses a pod under two budgets with 500', () => {
    const b = pdb({ minAvailable: 1 }, { disruptionsAllowed: 1 });
    expect(decideEviction(pod('a'), [b, { ...b, metadata: { ...b.metadata, name: 'second' } }], NOW)).toMatchObject({ action: 'refuse', code: 500 });
  });

  it('lets an unready pod go while the budget is met (IfHealthyBudget), always with AlwaysAllow', () => {
    const met = pdb({ minAvailable: 2 }, { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 });
    expect(decideEviction(pod('x', { ready: false }), [met], NOW)).toEqual({ action: 'delete' });
    const short = pdb({ minAvailable: 3 }, { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 3 });
    expect(decideEviction(pod('x', { ready: false }), [short], NOW)).toMatchObject({ action: 'refuse', code: 429 });
    const always = pdb({ minAvailable: 3, unhealthyPodEvictionPolicy: 'AlwaysAllow' }, { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 3 });
    expect(decideEviction(pod('x', { ready: false }), [always], NOW)).toEqual({ action: 'delete' });
  });
});
