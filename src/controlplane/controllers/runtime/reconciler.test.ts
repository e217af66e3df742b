import { describe, expect, it } from 'vitest';
import { StatusError } from '../../api/errors.js';
import { actionFor, backoffDelay, StalledError, WaitingError, type Outcome, type QueueAction } from './reconciler.js';

describe('actionFor', () => {
  const policy = { baseMs: 10, maxMs: 1000 };
  const cases: { name: string; outcome: Outcome; failures?: number; want: QueueAction | Partial<QueueAction> }[] = [
    { name: 'success without requeue is done', outcome: { ok: true, result: {} }, want: { kind: 'done' } },
    { name: 'void result is done', outcome: { ok: true, result: undefined }, want: { kind: 'done' } },
    { name: 'requeueAfter is a delayed job and resets failures', outcome: { ok: true, result: { requeueAfterMs: 1500 } }, failures: 4, want: { kind: 'requeue', afterMs: 1500, failures: 0, why: 'requeueAfter' } },
    { name: 'waiting requeues after its delay without counting a failure', outcome: { ok: false, error: new WaitingError('cache', 100) }, failures: 2, want: { kind: 'requeue', afterMs: 100, failures: 0, why: 'waiting' } },
    { name: 'a conflict is transient: first retry at base', outcome: { ok: false, error: new StatusError('Conflict', 'x') }, want: { kind: 'requeue', afterMs: 10, failures: 1, why: 'error' } },
    { name: 'backoff doubles', outcome: { ok: false, error: new Error('boom') }, failures: 3, want: { kind: 'requeue', afterMs: 80, failures: 4 } },
    { name: 'backoff is capped', outcome: { ok: false, error: new Error('boom') }, failures: 40, want: { kind: 'requeue', afterMs: 1000, failures: 41 } },
    { name: 'stalled is not retried', outcome: { ok: false, error: new StalledError('bad selector', 'InvalidSelector') }, want: { kind: 'stalled', reason: 'InvalidSelector', message: 'bad selector' } },
  ];
  for (const c of cases) it(c.name, () => expect(actionFor(c.outcome, c.failures ?? 0, policy)).toMatchObject(c.want));
});

describe('backoffDelay', () => {
  it.each([
    [1, 20],
    [2, 40],
    [3, 80],
    [30, 60_000],
  ])('failure %i waits %i ms', (n, ms) => expect(backoffDelay(n, { baseMs: 20, maxMs: 60_000 })).toBe(ms));
});
