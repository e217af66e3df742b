import type { Job, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { decideJob, formatIndexes, JOB_COMPLETION_INDEX, JOB_TRACKING_FINALIZER, newJobPod, parseIndexes } from './job.js';

const NOW = Date.parse('2025-01-01T01:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

interface JobOpts {
  completions?: number | null;
  parallelism?: number;
  backoffLimit?: number;
  restartPolicy?: 'Never' | 'OnFailure';
  indexed?: boolean;
  suspend?: boolean;
  activeDeadlineSeconds?: number;
  status?: JobStatus;
}

function job(o: JobOpts = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'batch', namespace: 'default', uid: 'job-uid' },
    spec: {
      completions: o.completions === null ? undefined : (o.completions ?? 5),
      parallelism: o.parallelism ?? 2,
      backoffLimit: o.backoffLimit ?? 6,
      completionMode: o.indexed ? 'Indexed' : 'NonIndexed',
      suspend: o.suspend ?? false,
      activeDeadlineSeconds: o.activeDeadlineSeconds,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'job-uid' } },
      template: {
        metadata: { labels: { app: 'batch', 'batch.kubernetes.io/controller-uid': 'job-uid', 'batch.kubernetes.io/job-name': 'batch' } },
        spec: { restartPolicy: o.restartPolicy ?? 'OnFailure', containers: [{ name: 'main', image: 'batch' }] },
      },
    },
    status: o.status ?? { startTime: ago(30) },
  };
}

interface PodOpts {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ready?: boolean;
  tracked?: boolean;
  index?: number;
  finishedAgo?: number;
  deleting?: boolean;
  restarts?: number;
  createdAgo?: number;
}

function pod(name: string, o: PodOpts = {}): Pod {
  const phase = o.phase ?? 'Running';
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      creationTimestamp: ago(o.createdAgo ?? 60),
      finalizers: o.tracked === false ? [] : [JOB_TRACKING_FINALIZER],
      ...(o.index !== undefined ? { annotations: { [JOB_COMPLETION_INDEX]: String(o.index) } } : {}),
      ...(o.deleting ? { deletionTimestamp: ago(1) } : {}),
    },
    spec: { containers: [] },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }],
      containerStatuses: [
        { name: 'main', image: 'x', imageID: '', ready: !!o.ready, restartCount: o.restarts ?? 0, ...(terminal ? { state: { terminated: { exitCode: phase === 'Failed' ? 1 : 0, finishedAt: ago(o.finishedAgo ?? 1) } } } : {}) },
      ],
    },
  };
}

const BACKOFF = { baseMs: 10_000, maxMs: 360_000 };

describe('decideJob', () => {
  const cases: {
    name: string;
    job: Job;
    pods?: Pod[];
    create?: number;
    createIndexes?: number[];
    delete?: string[];
    removeFinalizers?: string[];
    uncounted?: { succeeded?: string[]; failed?: string[] };
    status?: Partial<JobStatus>;
    conditions?: string[];
    requeueAfterMs?: number;
  }[] = [
    { name: 'a new Job starts parallelism pods', job: job({ status: {} }), create: 2, status: { active: 2, startTime: new Date(NOW).toISOString() } },
    { name: 'never more than parallelism active', job: job(), pods: [pod('a'), pod('b')], create: 0, status: { active: 2 } },
    {
      name: 'a succeeded pod is recorded as uncounted, then counted; a replacement starts',
      job: job(),
      pods: [pod('a', { phase: 'Succeeded' }), pod('b', { ready: true })],
      create: 1,
      removeFinalizers: ['a'],
      uncounted: { succeeded: ['uid-a'], failed: [] },
      status: { succeeded: 1, active: 2, ready: 1 },
    },
    { name: 'the last completions need fewer pods', job: job({ status: { startTime: ago(30), succeeded: 4 } }), pods: [pod('e')], create: 0, status: { active: 1 } },
    {
      name: 'all completions reached: SuccessCriteriaMet then Complete',
      job: job({ status: { startTime: ago(30), succeeded: 4 } }),
      pods: [pod('e', { phase: 'Succeeded' })],
      create: 0,
      removeFinalizers: ['e'],
      status: { succeeded: 5, active: 0, completionTime: new Date(NOW).toISOString() },
      conditions: ['SuccessCriteriaMet', 'Complete'],
    },
    { name: 'a pod already counted (no finalizer) is not counted again', job: job({ status: { startTime: ago(30), succeeded: 1 } }), pods: [pod('a', { phase: 'Succeeded', tracked: false }), pod('b')], create: 1, status: { succeeded: 1 } },
    {
      name: 'uncounted pods left by a crash are counted once',
      job: job({ status: { startTime: ago(30), succeeded: 1, uncountedTerminatedPods: { succeeded: ['uid-b'] } } }),
      pods: [pod('a', { phase: 'Succeeded', tracked: false }), pod('b', { phase: 'Succeeded', tracked: false }), pod('c'), pod('d')],
      create: 0,
      status: { succeeded: 2, uncountedTerminatedPods: {} },
    },
    {
      name: 'Never: failures beyond backoffLimit fail the Job',
      job: job({ completions: 1, parallelism: 1, backoffLimit: 4, restartPolicy: 'Never', status: { startTime: ago(300), failed: 4 } }),
      pods: [pod('p5', { phase: 'Failed' })],
      create: 0,
      removeFinalizers: ['p5'],
      status: { failed: 5, active: 0 },
      conditions: ['FailureTarget', 'Failed'],
    },
    {
      name: 'Never: the first retry waits 10 s after the failure',
      job: job({ completions: 1, parallelism: 1, restartPolicy: 'Never', status: { startTime: ago(30), failed: 1 } }),
      pods: [pod('p1', { phase: 'Failed', tracked: false, finishedAgo: 4 })],
      create: 0,
      requeueAfterMs: 6_000,
    },
    {
      name: 'Never: the delay doubles with each failure',
      job: job({ completions: 1, parallelism: 1, restartPolicy: 'Never', status: { startTime: ago(30), failed: 2 } }),
      pods: [pod('p1', { phase: 'Failed', tracked: false, finishedAgo: 25 }), pod('p2', { phase: 'Failed', tracked: false, finishedAgo: 15 })],
      create: 0,
      requeueAfterMs: 5_000,
    },
    {
      name: 'Never: after the delay a new pod starts',
      job: job({ completions: 1, parallelism: 1, restartPolicy: 'Never', status: { startTime: ago(30), failed: 1 } }),
      pods: [pod('p1', { phase: 'Failed', tracked: false, finishedAgo: 11 })],
      create: 1,
    },
    {
      name: 'OnFailure: container restarts count against backoffLimit',
      job: job({ completions: 1, parallelism: 1, backoffLimit: 2, status: { startTime: ago(30) } }),
      pods: [pod('a', { restarts: 2 })],
      create: 0,
      delete: ['a'],
      conditions: ['FailureTarget'],
      status: { active: 0, terminating: 1 },
    },
    {
      name: 'activeDeadlineSeconds passed: pods go, FailureTarget DeadlineExceeded',
      job: job({ activeDeadlineSeconds: 60, status: { startTime: ago(100) } }),
      pods: [pod('a'), pod('b')],
      create: 0,
      delete: ['a', 'b'],
      conditions: ['FailureTarget'],
    },
    {
      name: 'after the deadline, Failed once no pod is left',
      job: job({ activeDeadlineSeconds: 60, status: { startTime: ago(100), conditions: [{ type: 'FailureTarget', status: 'True', reason: 'DeadlineExceeded', message: 'm' }] } }),
      pods: [],
      create: 0,
      conditions: ['FailureTarget', 'Failed'],
    },
    { name: 'a running Job is looked at again at its deadline', job: job({ activeDeadlineSeconds: 60, status: { startTime: ago(10) } }), pods: [pod('a'), pod('b')], create: 0, requeueAfterMs: 50_000 },
    { name: 'suspend deletes active pods', job: job({ suspend: true }), pods: [pod('a'), pod('b')], create: 0, delete: ['a', 'b'], conditions: ['Suspended'], status: { active: 0 } },
    {
      name: 'resume resets startTime and starts pods',
      job: job({ status: { startTime: ago(3000), conditions: [{ type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' }] } }),
      create: 2,
      conditions: [],
      status: { startTime: new Date(NOW).toISOString() },
    },
    { name: 'lower parallelism removes not-ready pods first', job: job({ parallelism: 1 }), pods: [pod('a', { ready: true }), pod('b'), pod('c', { ready: true, createdAgo: 10 })], create: 0, delete: ['b', 'c'] },
    {
      name: 'a deleted running pod counts as failed and is replaced after the retry delay',
      job: job({ completions: 1, parallelism: 1 }),
      pods: [pod('a', { deleting: true })],
      create: 0,
      requeueAfterMs: 9_000,
      removeFinalizers: ['a'],
      status: { failed: 1, terminating: 1 },
    },
    {
      name: 'work queue (no completions): the first success stops new pods',
      job: job({ completions: null, parallelism: 2, status: { startTime: ago(30), succeeded: 1 } }),
      pods: [pod('a', { phase: 'Succeeded', tracked: false }), pod('b')],
      create: 0,
    },
    {
      name: 'work queue: complete when all pods are done and one succeeded',
      job: job({ completions: null, parallelism: 2, status: { startTime: ago(30), succeeded: 1 } }),
      pods: [pod('a', { phase: 'Succeeded', tracked: false }), pod('b', { phase: 'Succeeded' })],
      create: 0,
      removeFinalizers: ['b'],
      conditions: ['SuccessCriteriaMet', 'Complete'],
      status: { succeeded: 2 },
    },
    { name: 'Indexed: the lowest free indexes first', job: job({ indexed: true, completions: 3, status: {} }), createIndexes: [0, 1] },
    {
      name: 'Indexed: a completed index is recorded and the next one starts',
      job: job({ indexed: true, completions: 3 }),
      pods: [pod('i0', { phase: 'Succeeded', index: 0 }), pod('i1', { index: 1 })],
      createIndexes: [2],
      removeFinalizers: ['i0'],
      status: { completedIndexes: '0', succeeded: 1 },
    },
    {
      name: 'Indexed: duplicates and out-of-range indexes are deleted',
      job: job({ indexed: true, completions: 3 }),
      pods: [pod('i1', { index: 1, createdAgo: 90 }), pod('i1b', { index: 1 }), pod('i7', { index: 7 })],
      createIndexes: [0],
      delete: ['i1b', 'i7'],
    },
    {
      name: 'a Job being deleted starts nothing and lets go of its pods',
      job: { ...job({ status: { startTime: ago(30) } }), metadata: { name: 'batch', namespace: 'default', uid: 'job-uid', deletionTimestamp: ago(1) } },
      pods: [pod('a')],
      create: 0,
      removeFinalizers: ['a'],
    },
    {
      name: 'a finished Job lets go of its pods',
      job: job({ status: { succeeded: 5, conditions: [{ type: 'Complete', status: 'True' }] } }),
      pods: [pod('a', { phase: 'Succeeded', tracked: false }), pod('b', { phase: 'Succeeded' })],
      create: 0,
      removeFinalizers: ['b'],
    },
  ];

  it.each(cases)('$name', (c) => {
    const d = decideJob({ job: c.job, pods: c.pods ?? [], now: NOW, backoff: BACKOFF });
    if (c.create !== undefined) expect(d.create.length).toBe(c.create);
    if (c.createIndexes) expect(d.create.map((p) => Number(p.metadata?.annotations?.[JOB_COMPLETION_INDEX]))).toEqual(c.createIndexes);
    expect(d.delete.sort()).toEqual(c.delete ?? []);
    expect(d.removeFinalizers.sort()).toEqual(c.removeFinalizers ?? []);
    if (c.uncounted) expect(d.interimStatus?.uncountedTerminatedPods).toEqual(c.uncounted);
    if (c.status) expect(d.status).toMatchObject(c.status);
    if (c.conditions) expect((d.status.conditions ?? []).filter((x) => x.status === 'True').map((x) => x.type)).toEqual(c.conditions);
    if (c.requeueAfterMs !== undefined) expect(d.requeueAfterMs).toBe(c.requeueAfterMs);
  });

  it('the interim status keeps counters and lists newly finished pods; the final one counts them', () => {
    const d = decideJob({ job: job({ status: { startTime: ago(30), succeeded: 2, failed: 1 } }), pods: [pod('a', { phase: 'Succeeded' }), pod('b', { phase: 'Failed' })], now: NOW, backoff: BACKOFF });
    expect(d.interimStatus).toMatchObject({ succeeded: 2, failed: 1, uncountedTerminatedPods: { succeeded: ['uid-a'], failed: ['uid-b'] } });
    expect(d.status).toMatchObject({ succeeded: 3, failed: 2, uncountedTerminatedPods: {} });
  });

  it('resume marks Suspended False with JobResumed', () => {
    const d = decideJob({ job: job({ status: { conditions: [{ type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' }] } }), pods: [], now: NOW });
    expect(d.status.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'JobResumed' });
  });
});

describe('newJobPod', () => {
  it('NonIndexed: generateName, tracking finalizer, controller reference, template labels', () => {
    const p = newJobPod(job());
    expect(p.metadata).toMatchObject({
      generateName: 'batch-',
      namespace: 'default',
      finalizers: [JOB_TRACKING_FINALIZER],
      labels: { 'batch.kubernetes.io/job-name': 'batch', 'batch.kubernetes.io/controller-uid': 'job-uid' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'batch', uid: 'job-uid', controller: true, blockOwnerDeletion: true }],
    });
  });
  it('Indexed: index annotation and label, hostname and JOB_COMPLETION_INDEX', () => {
    const p = newJobPod(job({ indexed: true }), 3);
    expect(p.metadata?.generateName).toBe('batch-3-');
    expect(p.metadata?.annotations?.[JOB_COMPLETION_INDEX]).toBe('3');
    expect(p.metadata?.labels?.[JOB_COMPLETION_INDEX]).toBe('3');
    expect(p.spec?.hostname).toBe('batch-3');
    expect(p.spec?.containers[0].env).toContainEqual({ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']` } } });
  });
});

describe('completed indexes', () => {
  it.each([
    ['', []],
    ['0', [0]],
    ['1,3-5,7', [1, 3, 4, 5, 7]],
    ['0-2', [0, 1, 2]],
  ])('%s', (s, xs) => {
    expect([...parseIndexes(s)]).toEqual(xs);
    expect(formatIndexes(new Set(xs))).toBe(s);
  });
});
