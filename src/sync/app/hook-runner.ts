/**
 * Runs one hook Job of a sync operation through the API: creates it (replacing a Job of the same
 * name left by an earlier operation or phase, as BeforeHookCreation asks), watches it to its end,
 * applies its delete policy, and returns its outcome. An outcome once recorded is final: it stays in
 * the Application's status and history after the Job is deleted, and a Job deleted before berth read
 * its end (a TTL of 0, argo-cd#21055) still counts if the watch saw it finish.
 */
import { StatusError } from '../../controlplane/api/errors.js';
import type { Client, ResourceRef } from '../../controlplane/client/client.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { deleteAfter, jobOutcome, type HookPhase, type HookSpec, type JobOutcome } from '../apply/hooks.js';
import { FIELD_MANAGER, type HookResult } from './types.js';

/** On a hook Job: the operation that created it. */
export const HOOK_OPERATION_LABEL = 'app.berth.dev/hook-operation';
/** On a hook Job: the phase it was created for (a Job that is the hook of several phases runs in each). */
export const HOOK_PHASE_LABEL = 'app.berth.dev/hook-phase';

export interface Hook {
  obj: KubeObject;
  ref: ResourceRef;
  spec: HookSpec;
  phase: HookPhase;
}

const REPLACING = 'waiting for the Job of an earlier sync to be deleted';

/** `namespace/name/operation/phase` of a hook Job, the key of outcomes the watch saw. */
export function hookKey(namespace: string | undefined, name: string, operation: string, phase: string): string {
  return `${namespace ?? ''}/${name}/${operation}/${phase}`;
}

/** Whether `job` is the one operation `opId` created for `phase` (a Job without the phase label predates it: its operation decides). */
function createdFor(job: KubeObject | undefined, opId: string, phase: HookPhase): boolean {
  const labels = job?.metadata?.labels ?? {};
  return labels[HOOK_OPERATION_LABEL] === opId && (labels[HOOK_PHASE_LABEL] ?? phase) === phase;
}

/**
 * Advances `hook` one step for operation `opId`: undefined `prev` creates the Job; a Running
 * `prev` reads its end (from the live Job, else from `seen`, what the watch saw finish). Returns the
 * result to record; a finished `prev` is returned unchanged.
 */
export async function runHook(client: Client, hook: Hook, opId: string, prev: HookResult | undefined, seen: (key: string) => JobOutcome | undefined, now: string): Promise<HookResult> {
  if (prev && prev.status !== 'Running') return prev;
  const name = hook.obj.metadata!.name!;
  const namespace = hook.obj.metadata?.namespace;
  const live = await client.find<KubeObject>(hook.ref, name, namespace);
  const ours = createdFor(live, opId, hook.phase);
  if ((!prev || prev.message === REPLACING) && !ours) {
    const base: HookResult = { kind: hook.obj.kind!, name, namespace, phase: hook.phase, status: 'Running', startedAt: prev?.startedAt ?? now };
    if (live) {
      // a Job from an earlier operation or phase: Jobs are immutable, so it goes first (BeforeHookCreation)
      await client.delete(hook.ref, name, { namespace, propagationPolicy: 'Background' }).catch((e: Error) => {
        if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
      });
      return { ...base, message: REPLACING };
    }
    const obj: KubeObject = { ...hook.obj, metadata: { ...hook.obj.metadata, labels: { ...hook.obj.metadata?.labels, [HOOK_OPERATION_LABEL]: opId, [HOOK_PHASE_LABEL]: hook.phase } } };
    try {
      await client.patch(hook.ref, name, 'apply', obj, { namespace, fieldManager: FIELD_MANAGER, force: true });
    } catch (e) {
      return { ...base, status: 'Failed', reason: 'CreateFailed', message: (e as Error).message, finishedAt: now };
    }
    return base;
  }
  let outcome: JobOutcome | undefined = ours ? jobOutcome(live!) : seen(hookKey(namespace, name, opId, hook.phase));
  if (!outcome) outcome = { status: 'Failed', reason: 'Deleted', message: 'the Job was deleted before it finished' };
  const started: HookResult = prev ?? { kind: hook.obj.kind!, name, namespace, phase: hook.phase, status: 'Running', startedAt: now };
  if (outcome.status === 'Running') return { ...started, message: undefined };
  let deleted: boolean | undefined;
  if (ours && deleteAfter(hook.spec.deletePolicies, outcome.status)) {
    await client.delete(hook.ref, name, { namespace, propagationPolicy: 'Background' }).catch((e: Error) => {
      if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
    });
    deleted = true;
  }
  return { ...started, status: outcome.status, reason: outcome.reason, message: outcome.message, finishedAt: now, ...(deleted ? { deleted } : {}) };
}
