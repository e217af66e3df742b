/**
 * CPU rates from cumulative CPU time, as metrics-server computes them from the kubelet's counters:
 * the usage of a window is the CPU time spent in it over its length. The runtimes report counters
 * (seconds of CPU since a process started); this module keeps the previous reading of each, so the
 * next answer covers the time between the two. A counter seen for the first time (or one that
 * restarted) is measured over its whole life, so the first request after a pod starts answers at once.
 */
import type { Usage } from '../../controlplane/api/metrics/metrics-objects.js';

/** One reading of a cumulative counter and of the memory in use. */
export interface UsageSample {
  /** CPU seconds spent since `startedAtMs` */
  cpuSeconds: number;
  /** working set, in bytes */
  memoryBytes: number;
  /** when what is measured started (a process, a container run, the machine) */
  startedAtMs: number;
}

interface Reading {
  cpuSeconds: number;
  atMs: number;
  startedAtMs: number;
}

/** The rate between two readings of the same counter; `previous` undefined measures from the start. */
export function usageBetween(previous: Reading | undefined, now: UsageSample, nowMs: number): Usage {
  // a counter that restarted (or went back: a child's time left its reaped group) starts over
  const sameRun = previous && previous.startedAtMs === now.startedAtMs && now.cpuSeconds >= previous.cpuSeconds && nowMs > previous.atMs;
  const fromMs = sameRun ? previous.atMs : now.startedAtMs;
  const cpu = sameRun ? now.cpuSeconds - previous.cpuSeconds : now.cpuSeconds;
  const windowMs = Math.max(1, nowMs - fromMs);
  return { cpuNanoCores: Math.max(0, Math.round((cpu / (windowMs / 1000)) * 1e9)), memoryBytes: Math.max(0, Math.round(now.memoryBytes)), timestampMs: nowMs, windowMs };
}

/** Keeps the last reading of each counter (by key) and turns new readings into usages. */
export class UsageRates {
  private readings = new Map<string, Reading>();

  /**
   * Usages of `samples` (key → sample) at `nowMs`. Counters missing from `samples` are forgotten,
   * so pods that went take no memory.
   */
  measure(samples: Map<string, UsageSample>, nowMs: number): Map<string, Usage> {
    const out = new Map<string, Usage>();
    const next = new Map<string, Reading>();
    for (const [key, s] of samples) {
      out.set(key, usageBetween(this.readings.get(key), s, nowMs));
      next.set(key, { cpuSeconds: s.cpuSeconds, atMs: nowMs, startedAtMs: s.startedAtMs });
    }
    this.readings = next;
    return out;
  }
}
