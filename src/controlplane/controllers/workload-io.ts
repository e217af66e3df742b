/**
 * The I/O edges the workload reconcilers (DaemonSet, Job, CronJob, StatefulSet, TTL) share: writing a
 * computed status only when it changed, tolerating objects that vanished meanwhile, and recording
 * a decision's events.
 */
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { Client, ResourceRef } from '../client/client.js';
import type { EventRecorder } from '../client/events.js';
import { refs } from '../client/refs.js';
import { StatusError } from '../api/errors.js';
import type { KubeObject } from '../resources/types.js';
import { planRevision, revisionsToPrune, stableJson, type RevisionPlan } from './controller-revision.js';
import { WaitingError } from './runtime/reconciler.js';
import type { ControllerEvent } from './workload-decision.js';

/** A kubernetes-types object as the client's KubeObject (same JSON, stricter metadata typing). */
export function asKube(o: object): KubeObject {
  return o as KubeObject;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof StatusError && e.reason === 'NotFound';
}

export function isAlreadyExists(e: unknown): boolean {
  return e instanceof StatusError && e.reason === 'AlreadyExists';
}

/** Awaits `p`; NotFound becomes undefined (the object went away, nothing left to do). */
export async function unlessGone<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * Replaces `obj`'s status with `status` if it differs. `guarded` sends the object's
 * resourceVersion (PUT /status), so a status computed from a stale copy fails with Conflict and is
 * retried; otherwise the status is replaced by a JSON patch whatever the version.
 */
export async function writeStatus<T extends KubeObject>(client: Client, ref: ResourceRef, obj: T, status: unknown, guarded = false): Promise<T | undefined> {
  if (stableJson(obj.status ?? {}) === stableJson(status)) return undefined;
  const name = obj.metadata?.name ?? '';
  const namespace = obj.metadata?.namespace;
  if (guarded) return unlessGone(client.updateStatus<T>(ref, { ...obj, status }, { namespace }));
  return unlessGone(client.patch<T>(ref, name, 'json', [{ op: 'add', path: '/status', value: status }], { namespace, subresource: 'status' }));
}

/** Records a decision's events on `obj` (best effort, as the recorder is). */
export function recordAll(events: EventRecorder, obj: KubeObject, list: ControllerEvent[]): void {
  for (const e of list) void events.record(obj, e.type, e.reason, e.message);
}

/** Makes sure the revision for `args.template` exists (created or renumbered); returns the plan. */
export async function ensureRevision(client: Client, args: Parameters<typeof planRevision>[0]): Promise<RevisionPlan> {
  const plan = planRevision(args);
  const namespace = args.owner.metadata?.namespace;
  if (plan.action === 'create') {
    try {
      await client.create(refs.controllerrevisions, asKube(plan.object), { namespace });
    } catch (e) {
      // made by an earlier reconcile our cache has not shown yet
      if (isAlreadyExists(e)) throw new WaitingError(`ControllerRevision ${plan.name} exists but is not cached yet`, 100);
      throw e;
    }
  } else if (plan.action === 'bump') {
    await client.patch(refs.controllerrevisions, plan.name, 'merge', { revision: plan.revision }, { namespace });
  }
  return plan;
}

/** Deletes revisions beyond the history limit that no pod runs any more. */
export async function pruneRevisions(client: Client, revisions: ControllerRevision[], live: Set<string>, limit: number, namespace: string | undefined): Promise<void> {
  for (const name of revisionsToPrune(revisions, live, limit)) await unlessGone(client.delete(refs.controllerrevisions, name, { namespace }));
}
