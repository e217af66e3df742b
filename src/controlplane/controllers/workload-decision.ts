/**
 * What the pure cores of the workload controllers (DaemonSet, Job, CronJob, StatefulSet, TTL) hand
 * back to their reconcilers besides their kind-specific actions: events to record and when to look
 * again.
 */

/** An Event the reconciler records on the object it reconciles. */
export interface ControllerEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}
