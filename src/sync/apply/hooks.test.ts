/** Table tests of hook annotations, Job outcomes and delete policies. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { deleteAfter, hookOf, jobOutcome } from './hooks.js';

const obj = (kind: string, annotations?: Record<string, string>): KubeObject => ({ apiVersion: kind === 'Job' ? 'batch/v1' : 'v1', kind, metadata: { name: 'x', annotations } });

describe('hookOf', () => {
  const cases: [string, KubeObject, ReturnType<typeof hookOf> | string][] = [
    ['an ordinary object', obj('Job'), undefined],
    ['Argo CD PreSync, default delete policy', obj('Job', { 'argocd.argoproj.io/hook': 'PreSync' }), { phases: ['PreSync'], deletePolicies: ['BeforeHookCreation'] }],
    ['berth annotation, two phases', obj('Job', { 'app.berth.dev/hook': 'PreSync, PostSync' }), { phases: ['PreSync', 'PostSync'], deletePolicies: ['BeforeHookCreation'] }],
    ['delete policies', obj('Job', { 'argocd.argoproj.io/hook': 'PostSync', 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded,HookFailed' }), { phases: ['PostSync'], deletePolicies: ['HookSucceeded', 'HookFailed'] }],
    ['an unsupported phase', obj('Job', { 'argocd.argoproj.io/hook': 'SyncFail' }), 'Job/x: hook "SyncFail" is not supported: use PreSync, Sync or PostSync'],
    ['a kind other than Job', obj('Pod', { 'argocd.argoproj.io/hook': 'PreSync' }), 'Pod/x: only Jobs can be hooks'],
    ['a bad delete policy', obj('Job', { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'Never' }), 'Job/x: hook-delete-policy "Never" is not one of HookSucceeded, HookFailed, BeforeHookCreation'],
  ];
  it.each(cases)('%s', (_n, o, want) => {
    if (typeof want === 'string') expect(() => hookOf(o)).toThrow(want);
    else expect(hookOf(o)).toEqual(want);
  });
});

describe('jobOutcome', () => {
  const job = (conditions?: { type: string; status: string; reason?: string; message?: string }[]) => ({ ...obj('Job'), status: { conditions } });
  it.each([
    ['no conditions yet', job(), { status: 'Running' }],
    ['Complete', job([{ type: 'Complete', status: 'True' }]), { status: 'Succeeded', reason: 'Completed', message: undefined }],
    ['Failed with a reason', job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]), { status: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }],
    ['a False condition is not an outcome', job([{ type: 'Failed', status: 'False' }]), { status: 'Running' }],
  ] as const)('%s', (_n, j, want) => expect(jobOutcome(j)).toEqual(want));
});

describe('deleteAfter', () => {
  it.each([
    [['BeforeHookCreation'], 'Succeeded', false],
    [['HookSucceeded'], 'Succeeded', true],
    [['HookSucceeded'], 'Failed', false],
    [['HookFailed'], 'Failed', true],
  ] as const)('%j after %s → %s', (p, s, want) => expect(deleteAfter([...p], s)).toBe(want));
});
