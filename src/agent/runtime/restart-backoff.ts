/**
 * Container restart back-off as the kubelet computes it, shared by the process and sim runtimes so
 * a crash-looping container looks the same on either: the first restart at once, then `baseMs`,
 * doubling up to `maxMs` (CrashLoopBackOff); a run longer than twice the cap resets it.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

export interface RestartBackoff {
  /** first delay after the immediate restart (kubelet: 10 s) */
  baseMs: number;
  /** cap (kubelet: 5 min) */
  maxMs: number;
}

/** The kubelet's back-off: 10 s base, 5 min cap. Both runtimes default to it; tests shorten it. */
export const KUBELET_BACKOFF: Readonly<RestartBackoff> = { baseMs: 10_000, maxMs: 300_000 };

/** Back-off resets after a container ran this long without failing (kubelet: 2 × the cap, 10 min). */
const RESET_FACTOR = 2;

/**
 * The wait before the next restart, given the back-off left by the previous one (0 at first) and
 * how long the container ran since its last start; `backoffMs` is what to keep for the next call.
 */
export function nextRestartDelay(backoffMs: number, ranMs: number, o: RestartBackoff): { delayMs: number; backoffMs: number } {
  const delayMs = ranMs > o.maxMs * RESET_FACTOR ? 0 : backoffMs;
  return { delayMs, backoffMs: delayMs === 0 ? o.baseMs : Math.min(delayMs * 2, o.maxMs) };
}

/** Whether a container that ended with `exitCode` starts again under the pod's restartPolicy. */
export function restartsAfter(restartPolicy: string | undefined, exitCode: number): boolean {
  const policy = restartPolicy ?? 'Always';
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

/** The CrashLoopBackOff waiting message, as the kubelet words it. */
export function backoffMessage(delayMs: number, container: string, pod: Pod): string {
  const m = pod.metadata ?? {};
  const secs = delayMs >= 1000 ? `${Math.round(delayMs / 1000)}s` : `${delayMs}ms`;
  return `back-off ${secs} restarting failed container=${container} pod=${m.name}_${m.namespace}(${m.uid})`;
}

/** The BackOff event message. */
export function backoffEventMessage(container: string, pod: Pod): string {
  const m = pod.metadata ?? {};
  return `Back-off restarting failed container ${container} in pod ${m.name}_${m.namespace}(${m.uid})`;
}
