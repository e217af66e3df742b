/**
 * One probe of one container run (liveness, readiness or startup), with the kubelet's timing:
 * initialDelaySeconds, periodSeconds, timeoutSeconds, and successThreshold / failureThreshold
 * counting consecutive results before the outcome flips.
 */
import type { Probe } from 'kubernetes-types/core/v1.js';
import type { HandlerResult } from './handlers.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProberCallbacks {
  /** the outcome flipped (after the thresholds) */
  onChange(ok: boolean, message: string): void;
  /** every failed attempt, for Unhealthy events */
  onFailure(message: string): void;
}

export class Prober {
  private timer?: NodeJS.Timeout;
  private successes = 0;
  private failures = 0;
  private result: boolean;
  private readonly ac = new AbortController();

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: Probe,
    private readonly run: (timeoutMs: number, signal: AbortSignal) => Promise<HandlerResult>,
    private readonly cb: ProberCallbacks,
  ) {
    // Liveness starts out alive; readiness and startup start out failing.
    this.result = kind === 'liveness';
  }

  start(): void {
    this.timer = setTimeout(() => void this.tick(), (this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.ac.abort();
  }

  private async tick(): Promise<void> {
    const timeoutMs = (this.probe.timeoutSeconds ?? 1) * 1000;
    const r = await this.run(timeoutMs, this.ac.signal);
    if (this.ac.signal.aborted) return;
    if (r.ok) {
      this.failures = 0;
      this.successes++;
      const need = this.kind === 'readiness' ? (this.probe.successThreshold ?? 1) : 1;
      if (!this.result && this.successes >= need) {
        this.result = true;
        this.cb.onChange(true, r.message);
      }
    } else {
      this.successes = 0;
      this.failures++;
      this.cb.onFailure(r.message);
      if (this.result !== false && this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.result = false;
        this.cb.onChange(false, r.message);
      } else if (this.kind === 'startup' && this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.cb.onChange(false, r.message);
      }
    }
    if (this.ac.signal.aborted) return;
    // a startup probe stops once it succeeded
    if (this.kind === 'startup' && this.result) return;
    this.timer = setTimeout(() => void this.tick(), (this.probe.periodSeconds ?? 10) * 1000);
  }
}
