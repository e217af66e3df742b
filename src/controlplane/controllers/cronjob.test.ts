import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { describe, expect, it } from 'vitest';
import { decideCronJob, jobNameFor, parseSchedule, SCHEDULED_TIMESTAMP_ANNOTATION } from './cronjob.js';

const T = (s: string) => Date.parse(s);
const NOW = T('2025-01-01T10:05:30Z');

interface CjOpts {
  schedule?: string;
  timeZone?: string;
  suspend?: boolean;
  policy?: 'Allow' | 'Forbid' | 'Replace';
  deadline?: number;
  lastScheduleTime?: string;
  created?: string;
  active?: string[];
  successLimit?: number;
  failedLimit?: number;
}

function cj(o: CjOpts = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello', namespace: 'default', uid: 'cj-uid', creationTimestamp: o.created ?? '2025-01-01T10:00:30Z' },
    spec: {
      schedule: o.schedule ?? '*/1 * * * *',
      timeZone: o.timeZone,
      suspend: o.suspend ?? false,
      concurrencyPolicy: o.policy ?? 'Allow',
      startingDeadlineSeconds: o.deadline,
      successfulJobsHistoryLimit: o.successLimit ?? 3,
      failedJobsHistoryLimit: o.failedLimit ?? 1,
      jobTemplate: { metadata: { labels: { team: 'a' } }, spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'hello', image: 'busybox' }] } } } },
    },
    status: {
      ...(o.lastScheduleTime ? { lastScheduleTime: o.lastScheduleTime } : {}),
      ...(o.active ? { active: o.active.map((n) => ({ kind: 'Job', name: n, namespace: 'default', uid: `uid-${n}` })) } : {}),
    },
  };
}

function job(name: string, state: 'running' | 'complete' | 'failed', start = '2025-01-01T10:00:00Z'): Job {
  const conds = state === 'complete' ? [{ type: 'Complete', status: 'True' }] : state === 'failed' ? [{ type: 'Failed', status: 'True' }] : [];
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { template: {} },
    status: { startTime: start, conditions: conds, ...(state === 'complete' ? { completionTime: start } : {}) },
  };
}

const at = (iso: string) => jobNameFor(cj(), T(iso));

describe('parseSchedule', () => {
  const cases: { name: string; schedule: string; tz?: string; t: string; prev?: string; next: string }[] = [
    { name: 'every minute', schedule: '*/1 * * * *', t: '2025-01-01T10:05:30Z', prev: '2025-01-01T10:05:00Z', next: '2025-01-01T10:06:00Z' },
    { name: 'exactly on a schedule time it is the latest', schedule: '*/5 * * * *', t: '2025-01-01T10:05:00Z', prev: '2025-01-01T10:05:00Z', next: '2025-01-01T10:10:00Z' },
    { name: '@hourly', schedule: '@hourly', t: '2025-01-01T10:05:00Z', prev: '2025-01-01T10:00:00Z', next: '2025-01-01T11:00:00Z' },
    { name: 'timeZone: 09:00 in Tokyo is 00:00 UTC', schedule: '0 9 * * *', tz: 'Asia/Tokyo', t: '2025-01-01T10:00:00Z', prev: '2025-01-01T00:00:00Z', next: '2025-01-02T00:00:00Z' },
    { name: 'weekdays', schedule: '30 8 * * 1-5', t: '2025-01-04T12:00:00Z', prev: '2025-01-03T08:30:00Z', next: '2025-01-06T08:30:00Z' },
  ];
  it.each(cases)('$name', (c) => {
    const s = parseSchedule(c.schedule, c.tz);
    expect(new Date(s.prev(T(c.t))!).toISOString()).toBe(new Date(T(c.prev!)).toISOString());
    expect(new Date(s.next(T(c.t))).toISOString()).toBe(new Date(T(c.next)).toISOString());
  });
  it.each([
    ['six fields', '0 */1 * * * *', undefined, /5 fields/],
    ['garbage', 'every day', undefined, /.+/],
    ['unknown descriptor', '@fortnightly', undefined, /descriptor/],
    ['unknown zone', '* * * * *', 'Mars/Olympus', /unknown time zone/],
  ])('rejects %s', (_n, schedule, tz, msg) => {
    expect(() => parseSchedule(schedule, tz)).toThrow(msg);
  });
});

describe('decideCronJob', () => {
  const cases: {
    name: string;
    cj: CronJob;
    jobs?: Job[];
    create?: string;
    delete?: string[];
    active?: string[];
    lastScheduleTime?: string;
    events?: string[];
    requeueAfterMs?: number | null;
  }[] = [
    { name: 'starts the Job of the latest schedule time', cj: cj({ lastScheduleTime: '2025-01-01T10:04:00Z' }), create: at('2025-01-01T10:05:00Z'), lastScheduleTime: '2025-01-01T10:05:00Z', requeueAfterMs: 30_100 },
    { name: 'nothing due: requeue at the next time', cj: cj({ lastScheduleTime: '2025-01-01T10:05:00Z' }), requeueAfterMs: 30_100 },
    { name: 'the first run comes after creation', cj: cj({ created: '2025-01-01T10:05:10Z' }), requeueAfterMs: 30_100 },
    { name: 'missed runs while down: only the latest starts', cj: cj({ lastScheduleTime: '2025-01-01T09:00:00Z' }), create: at('2025-01-01T10:05:00Z'), events: [] },
    { name: 'over 100 missed: a warning, still only the latest', cj: cj({ lastScheduleTime: '2024-12-31T00:00:00Z' }), create: at('2025-01-01T10:05:00Z'), events: ['TooManyMissedTimes'] },
    { name: 'startingDeadlineSeconds bounds how far back to look', cj: cj({ lastScheduleTime: '2024-12-31T00:00:00Z', deadline: 60 }), create: at('2025-01-01T10:05:00Z'), events: [] },
    { name: 'too late for the deadline: skipped', cj: cj({ schedule: '0 * * * *', lastScheduleTime: '2025-01-01T09:00:00Z', deadline: 200 }), requeueAfterMs: T('2025-01-01T11:00:00Z') - NOW + 100 },
    { name: 'suspended: nothing, no requeue', cj: cj({ suspend: true, lastScheduleTime: '2025-01-01T09:00:00Z' }), requeueAfterMs: null },
    {
      name: 'Forbid: not while one runs',
      cj: cj({ policy: 'Forbid', lastScheduleTime: '2025-01-01T10:04:00Z', active: ['hello-1'] }),
      jobs: [job('hello-1', 'running')],
      active: ['hello-1'],
      events: ['JobAlreadyActive'],
    },
    {
      name: 'Allow: runs beside the active one',
      cj: cj({ lastScheduleTime: '2025-01-01T10:04:00Z', active: ['hello-1'] }),
      jobs: [job('hello-1', 'running')],
      create: at('2025-01-01T10:05:00Z'),
      active: ['hello-1'],
    },
    {
      name: 'Replace: the active one is deleted first',
      cj: cj({ policy: 'Replace', lastScheduleTime: '2025-01-01T10:04:00Z', active: ['hello-1'] }),
      jobs: [job('hello-1', 'running')],
      create: at('2025-01-01T10:05:00Z'),
      delete: ['hello-1'],
      active: [],
    },
    {
      name: 'finished Jobs leave status.active',
      cj: cj({ lastScheduleTime: '2025-01-01T10:05:00Z', active: ['hello-1', 'gone'] }),
      jobs: [job('hello-1', 'complete')],
      active: [],
      events: ['SawCompletedJob'],
    },
    {
      name: 'an unfinished Job not listed is added back (crash after create)',
      cj: cj({ lastScheduleTime: '2025-01-01T10:04:00Z' }),
      jobs: [job(at('2025-01-01T10:05:00Z'), 'running')],
      active: [at('2025-01-01T10:05:00Z')],
      lastScheduleTime: '2025-01-01T10:05:00Z',
    },
    {
      name: 'history: 3 successful and 1 failed kept, oldest go',
      cj: cj({ lastScheduleTime: '2025-01-01T10:05:00Z' }),
      jobs: [
        job('s1', 'complete', '2025-01-01T10:01:00Z'),
        job('s2', 'complete', '2025-01-01T10:02:00Z'),
        job('s3', 'complete', '2025-01-01T10:03:00Z'),
        job('s4', 'complete', '2025-01-01T10:04:00Z'),
        job('f1', 'failed', '2025-01-01T10:01:00Z'),
        job('f2', 'failed', '2025-01-01T10:02:00Z'),
      ],
      delete: ['f1', 's1'],
    },
    { name: 'a bad schedule: a warning, no requeue', cj: cj({ schedule: 'nope' }), events: ['UnparseableSchedule'], requeueAfterMs: null },
    { name: 'a bad time zone: a warning, no requeue', cj: cj({ timeZone: 'Nowhere/Land' }), events: ['UnknownTimeZone'], requeueAfterMs: null },
  ];
  it.each(cases)('$name', (c) => {
    const d = decideCronJob({ cj: c.cj, jobs: c.jobs ?? [], now: NOW });
    expect(d.create?.metadata?.name).toBe(c.create);
    expect([...d.delete].sort()).toEqual(c.delete ?? []);
    if (c.active) expect((d.status.active ?? []).map((r) => r.name)).toEqual(c.active);
    if (c.lastScheduleTime) expect(d.status.lastScheduleTime).toBe(c.lastScheduleTime);
    if (c.events) expect(d.events.map((e) => e.reason)).toEqual(c.events);
    if (c.requeueAfterMs === null) expect(d.requeueAfterMs).toBeUndefined();
    else if (c.requeueAfterMs !== undefined) expect(d.requeueAfterMs).toBe(c.requeueAfterMs);
  });

  it('the Job: name by minutes since the epoch, template labels, scheduled-timestamp annotation, controller reference', () => {
    const d = decideCronJob({ cj: cj({ lastScheduleTime: '2025-01-01T10:04:00Z' }), jobs: [], now: NOW });
    expect(d.create?.metadata).toMatchObject({
      name: `hello-${T('2025-01-01T10:05:00Z') / 60_000}`,
      namespace: 'default',
      labels: { team: 'a' },
      annotations: { [SCHEDULED_TIMESTAMP_ANNOTATION]: '2025-01-01T10:05:00Z' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: 'cj-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(d.create?.spec?.template.spec?.containers[0].image).toBe('busybox');
  });

  it('lastSuccessfulTime follows the latest completed Job', () => {
    const d = decideCronJob({ cj: cj({ lastScheduleTime: '2025-01-01T10:05:00Z' }), jobs: [job('a', 'complete', '2025-01-01T10:02:00Z'), job('b', 'complete', '2025-01-01T10:03:00Z')], now: NOW });
    expect(d.status.lastSuccessfulTime).toBe('2025-01-01T10:03:00Z');
  });
});
