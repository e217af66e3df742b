/**
 * Prober timing with fake timers and a handler whose results the test sets: initialDelaySeconds,
 * periodSeconds, timeoutSeconds handed to the handler, successThreshold and failureThreshold
 * counting consecutive results, and the startup probe stopping once it succeeded.
 */
import type { Probe } from 'kubernetes-types/core/v1.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HandlerResult } from './handlers.js';
import { Prober, type ProbeKind } from './prober.js';

const OK: HandlerResult = { ok: true, message: 'fine' };
const FAIL: HandlerResult = { ok: false, message: 'broken' };

/** A prober whose handler answers from `results` (then OK), recording each call's timeout. */
function prober(kind: ProbeKind, probe: Probe, results: HandlerResult[] = []) {
  const timeouts: number[] = [];
  const changes: boolean[] = [];
  const failures: string[] = [];
  const p = new Prober(
    kind,
    probe,
    async (timeoutMs) => {
      timeouts.push(timeoutMs);
      return results.shift() ?? OK;
    },
    { onChange: (ok) => changes.push(ok), onFailure: (m) => failures.push(m) },
  );
  p.start();
  return { p, timeouts, changes, failures };
}

const seconds = (n: number) => vi.advanceTimersByTimeAsync(n * 1000);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Prober', () => {
  it('waits initialDelaySeconds before the first probe, then probes every periodSeconds', async () => {
    const { p, timeouts } = prober('liveness', { initialDelaySeconds: 5, periodSeconds: 2 });
    await vi.advanceTimersByTimeAsync(4999);
    expect(timeouts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(timeouts).toHaveLength(1);
    await seconds(2);
    expect(timeouts).toHaveLength(2);
    await seconds(4);
    expect(timeouts).toHaveLength(4);
    p.stop();
    await seconds(10);
    expect(timeouts).toHaveLength(4);
  });

  it('hands timeoutSeconds to the handler (default 1 s); a timed-out attempt counts as a failure', async () => {
    const { p, timeouts, failures } = prober('liveness', { timeoutSeconds: 3, periodSeconds: 1 }, [{ ok: false, message: 'context deadline exceeded' }]);
    await seconds(0);
    expect(timeouts).toEqual([3000]);
    expect(failures).toEqual(['context deadline exceeded']);
    p.stop();
    const d = prober('readiness', {});
    await seconds(0);
    expect(d.timeouts).toEqual([1000]);
    d.p.stop();
  });

  it('liveness: fails only after failureThreshold consecutive failures; a success in between resets the count', async () => {
    const { p, changes, failures } = prober('liveness', { periodSeconds: 1, failureThreshold: 3 }, [FAIL, FAIL, OK, FAIL, FAIL, FAIL]);
    await seconds(4); // at 0..4 s: FAIL FAIL OK FAIL FAIL
    expect(changes).toEqual([]);
    expect(failures).toHaveLength(4);
    await seconds(1); // the third failure in a row
    expect(changes).toEqual([false]);
    p.stop();
  });

  it('readiness: starts unready, ready after successThreshold consecutive successes, unready after failureThreshold failures', async () => {
    const { p, changes } = prober('readiness', { periodSeconds: 1, successThreshold: 2, failureThreshold: 2 }, [OK, FAIL, OK, OK, FAIL, OK, FAIL, FAIL]);
    await seconds(2); // at 0, 1, 2 s: OK FAIL OK, never two in a row
    expect(changes).toEqual([]);
    await seconds(1); // OK OK
    expect(changes).toEqual([true]);
    await seconds(3); // FAIL OK FAIL: never two failures in a row
    expect(changes).toEqual([true]);
    await seconds(1); // FAIL FAIL
    expect(changes).toEqual([true, false]);
    p.stop();
  });

  it('startup: reports success once and stops probing; failureThreshold failures report failure', async () => {
    const ok = prober('startup', { periodSeconds: 1, failureThreshold: 2 }, [FAIL, OK]);
    await seconds(5);
    expect(ok.changes).toEqual([true]);
    expect(ok.timeouts).toHaveLength(2);
    ok.p.stop();
    const failing = prober('startup', { periodSeconds: 1, failureThreshold: 2 }, [FAIL, FAIL]);
    await seconds(1);
    expect(failing.changes).toEqual([false]);
    failing.p.stop();
  });
});
