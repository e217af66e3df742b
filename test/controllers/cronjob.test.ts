/**
 * CronJob controller against a real API server and redis, on a clock the test owns: cronjob-hello's
 * every-minute schedule creates a Job per minute, history limits prune finished Jobs, and Forbid /
 * Replace govern overlapping runs. Time moves by changing the clock and touching the CronJob (an
 * event), so no test waits a real minute.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { cronJobController } from '../../src/controlplane/controllers/cronjob-controller.js';
import { namespace, startEnv, waitUntil, type Env } from './helpers.js';

const SEEDS = join(import.meta.dirname, '../../../shared/fixtures/seed-manifests');

let env: Env;
let offsetMs = 0;
const now = () => Date.now() + offsetMs;

beforeAll(async () => {
  env = await startEnv({ controllers: [cronJobController({ now })] });
});
afterAll(async () => {
  await env?.stop();
});

/** Moves the controller's clock to 5 s past the next minute and touches the CronJob. */
async function nextMinute(ns: string, name: string): Promise<number> {
  const t = now();
  const target = Math.floor(t / 60_000) * 60_000 + 65_000;
  offsetMs += target - t;
  await env.admin.patch(refs.cronjobs, name, 'merge', { metadata: { annotations: { tick: String(target) } } }, { namespace: ns });
  return Math.floor(target / 60_000);
}

async function jobsOf(ns: string): Promise<(Job & KubeObject)[]> {
  return (await env.admin.list<Job & KubeObject>(refs.jobs, { namespace: ns })).items.filter((j) => !j.metadata?.deletionTimestamp);
}

async function waitJobs(ns: string, want: (names: string[]) => boolean, what: string): Promise<string[]> {
  return waitUntil(env.admin, refs.jobs, ns, async () => {
    const names = (await jobsOf(ns)).map((j) => j.metadata?.name ?? '').sort();
    return want(names) ? names : undefined;
  }, what);
}

async function complete(ns: string, name: string): Promise<void> {
  const t = new Date(now()).toISOString();
  await env.admin.patch(refs.jobs, name, 'merge', { status: { startTime: t, completionTime: t, succeeded: 1, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: t }] } }, { namespace: ns, subresource: 'status' });
}

async function cronStatus(ns: string, name: string): Promise<CronJob> {
  return env.admin.get<CronJob & KubeObject>(refs.cronjobs, name, ns);
}

describe('CronJob controller', () => {
  it('cronjob-hello: a Job each minute named by the minute, status follows, 3 successful kept', async () => {
    const ns = await namespace(env.admin, 'cron-hello');
    const cj = await env.admin.create<KubeObject>(refs.cronjobs, parse(readFileSync(join(SEEDS, 'cronjob-hello.yaml'), 'utf8')) as KubeObject, { namespace: ns });

    const m1 = await nextMinute(ns, 'hello');
    await waitJobs(ns, (n) => n.includes(`hello-${m1}`), `hello-${m1}`);
    const job = await env.admin.get<Job & KubeObject>(refs.jobs, `hello-${m1}`, ns);
    expect(job.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: cj.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    expect(job.spec?.template.spec?.containers[0].args).toEqual(['/bin/sh', '-c', 'date; echo Hello from the Kubernetes cluster']);
    const st = await waitUntil(env.admin, refs.cronjobs, ns, async () => {
      const c = await cronStatus(ns, 'hello');
      return c.status?.active?.length === 1 ? c : undefined;
    }, 'status.active');
    expect(st.status?.active?.[0]).toMatchObject({ kind: 'Job', name: `hello-${m1}`, uid: job.metadata?.uid });
    expect(st.status?.lastScheduleTime).toBe(new Date(m1 * 60_000).toISOString().replace('.000Z', 'Z'));

    // four more minutes, each run finishing before the next: the oldest successful run is pruned
    const minutes = [m1];
    await complete(ns, `hello-${m1}`);
    for (let i = 0; i < 4; i++) {
      const m = await nextMinute(ns, 'hello');
      minutes.push(m);
      await waitJobs(ns, (n) => n.includes(`hello-${m}`), `hello-${m}`);
      await complete(ns, `hello-${m}`);
    }
    const last = minutes.slice(-3).map((m) => `hello-${m}`).sort();
    await waitJobs(ns, (n) => n.join() === last.join(), 'the 3 latest successful Jobs');
    const done = await waitUntil(env.admin, refs.cronjobs, ns, async () => {
      const c = await cronStatus(ns, 'hello');
      return !c.status?.active?.length && c.status?.lastSuccessfulTime ? c : undefined;
    }, 'no active Job and lastSuccessfulTime');
    expect(done.status?.lastScheduleTime).toBe(new Date(minutes[4] * 60_000).toISOString().replace('.000Z', 'Z'));
  });

  it('Forbid skips a run while one is active; Replace deletes the active one first', async () => {
    const ns = await namespace(env.admin, 'cron-policy');
    const manifest = (name: string, policy: string) => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name },
      spec: { schedule: '* * * * *', concurrencyPolicy: policy, jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } },
    });
    await env.admin.create(refs.cronjobs, manifest('forbid', 'Forbid'), { namespace: ns });
    await env.admin.create(refs.cronjobs, manifest('replace', 'Replace'), { namespace: ns });
    const m1 = await nextMinute(ns, 'forbid');
    await env.admin.patch(refs.cronjobs, 'replace', 'merge', { metadata: { annotations: { tick: String(m1) } } }, { namespace: ns });
    await waitJobs(ns, (n) => n.includes(`forbid-${m1}`) && n.includes(`replace-${m1}`), 'first runs');

    const m2 = await nextMinute(ns, 'forbid');
    await env.admin.patch(refs.cronjobs, 'replace', 'merge', { metadata: { annotations: { tick: String(m2) } } }, { namespace: ns });
    const names = await waitJobs(ns, (n) => n.includes(`replace-${m2}`) && !n.includes(`replace-${m1}`), 'replace-m2 instead of replace-m1');
    expect(names.filter((n) => n.startsWith('forbid-'))).toEqual([`forbid-${m1}`]);
    await waitUntil(env.admin, refs.events, ns, async () => {
      const evs = (await env.admin.list<{ reason?: string; involvedObject?: { name?: string } }>(refs.events, { namespace: ns })).items;
      return evs.some((e) => e.reason === 'JobAlreadyActive' && e.involvedObject?.name === 'forbid');
    }, 'JobAlreadyActive event');
  });
});
