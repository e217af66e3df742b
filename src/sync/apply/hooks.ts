/**
 * Resource hooks, as Argo CD users write them: an object annotated `argocd.argoproj.io/hook` (or
 * `app.berth.dev/hook`) with PreSync, Sync or PostSync is not part of the Application's state but
 * runs as a step of each sync operation, and its delete policy says when it is removed. What a hook
 * Job's status means (running, succeeded, failed and why) is decided here too. Pure.
 */
import type { KubeObject } from '../../controlplane/resources/types.js';

export const HOOK_ANNOTATIONS = ['app.berth.dev/hook', 'argocd.argoproj.io/hook'];
export const HOOK_DELETE_POLICY_ANNOTATIONS = ['app.berth.dev/hook-delete-policy', 'argocd.argoproj.io/hook-delete-policy'];

export type HookPhase = 'PreSync' | 'Sync' | 'PostSync';
export type DeletePolicy = 'HookSucceeded' | 'HookFailed' | 'BeforeHookCreation';
const PHASES: HookPhase[] = ['PreSync', 'Sync', 'PostSync'];
const POLICIES: DeletePolicy[] = ['HookSucceeded', 'HookFailed', 'BeforeHookCreation'];

export interface HookSpec {
  phases: HookPhase[];
  /** default BeforeHookCreation, as Argo CD */
  deletePolicies: DeletePolicy[];
}

function annotation(obj: KubeObject, keys: string[]): string | undefined {
  const a = obj.metadata?.annotations ?? {};
  for (const k of keys) if (a[k] !== undefined) return a[k];
  return undefined;
}

const list = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);

/**
 * The hook an object declares; undefined for an ordinary object. Throws on a value berth does not
 * run (SyncFail, PreDelete, PostDelete, Skip, a typo) naming the annotation and what it accepts.
 */
export function hookOf(obj: KubeObject): HookSpec | undefined {
  const v = annotation(obj, HOOK_ANNOTATIONS);
  if (v === undefined) return undefined;
  const phases = list(v);
  const bad = phases.find((p) => !PHASES.includes(p as HookPhase));
  const what = `${obj.kind}/${obj.metadata?.name}`;
  if (bad || phases.length === 0) throw new Error(`${what}: hook "${bad ?? v}" is not supported: use PreSync, Sync or PostSync`);
  if (obj.kind !== 'Job') throw new Error(`${what}: only Jobs can be hooks`);
  const d = annotation(obj, HOOK_DELETE_POLICY_ANNOTATIONS);
  const deletePolicies = d === undefined ? ['BeforeHookCreation'] : list(d);
  const badPolicy = deletePolicies.find((p) => !POLICIES.includes(p as DeletePolicy));
  if (badPolicy) throw new Error(`${what}: hook-delete-policy "${badPolicy}" is not one of ${POLICIES.join(', ')}`);
  return { phases: phases as HookPhase[], deletePolicies: deletePolicies as DeletePolicy[] };
}

export interface JobOutcome {
  status: 'Running' | 'Succeeded' | 'Failed';
  /** the Job condition's reason and message when it finished */
  reason?: string;
  message?: string;
}

/** A Job's outcome from its status conditions (Complete / Failed), as the Job controller sets them. */
export function jobOutcome(job: KubeObject & { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } }): JobOutcome {
  const c = job.status?.conditions ?? [];
  const failed = c.find((x) => x.type === 'Failed' && x.status === 'True');
  if (failed) return { status: 'Failed', reason: failed.reason ?? 'Failed', message: failed.message };
  const done = c.find((x) => x.type === 'Complete' && x.status === 'True');
  if (done) return { status: 'Succeeded', reason: done.reason ?? 'Completed', message: done.message };
  return { status: 'Running' };
}

/** Whether the delete policy removes a hook that ended with `status`. */
export function deleteAfter(policies: DeletePolicy[], status: 'Succeeded' | 'Failed'): boolean {
  return policies.includes(status === 'Succeeded' ? 'HookSucceeded' : 'HookFailed');
}
