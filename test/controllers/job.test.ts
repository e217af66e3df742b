/**
 * Job and TTL-after-finished controllers against a real API server and redis. The test plays the
 * node agent (pods marked Running/Succeeded/Failed) and owns the controllers' clock, so deadlines
 * and TTLs pass without waiting.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../src/controlplane/client/client.js';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { jobController } from '../../src/controlplane/controllers/job-controller.js';
import { JOB_COMPLETION_INDEX, JOB_TRACKING_FINALIZER } from '../../src/controlplane/controllers/job.js';
import { ttlAfterFinishedController } from '../../src/controlplane/controllers/ttl-after-finished-controller.js';
import { garbageCollector } from '../../src/controlplane/controllers/garbage-collector.js';
import { namespace, startEnv, waitUntil, type Env } from './helpers.js';

const SEEDS = join(import.meta.dirname, '../../../shared/fixtures/seed-manifests');

let env: Env;
let offsetMs = 0;
const now = () => Date.now() + offsetMs;

beforeAll(async () => {
  env = await startEnv({ controllers: [jobController({ now, backoff: { baseMs: 20, maxMs: 200 } }), ttlAfterFinishedController({ now }), garbageCollector()] });
});
afterAll(async () => {
  await env?.stop();
});

function seed(file: string): KubeObject {
  return parse(readFileSync(join(SEEDS, file), 'utf8')) as KubeObject;
}

async function podsOfJob(client: Client, ns: string, job: string): Promise<Pod[]> {
  return (await client.list<Pod>(refs.pods, { namespace: ns, labelSelector: `batch.kubernetes.io/job-name=${job}` })).items;
}

const isActive = (p: Pod) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

/** Ends a pod as a node agent would: phase and a terminated container with its exit code. */
async function finish(client: Client, pod: Pod, phase: 'Succeeded' | 'Failed'): Promise<void> {
  const t = new Date().toISOString();
  const containerStatuses = (pod.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, reason: phase === 'Succeeded' ? 'Completed' : 'Error', finishedAt: t } } }));
  await client.patch(refs.pods, pod.metadata?.name ?? '', 'merge', { status: { phase, containerStatuses } }, { namespace: pod.metadata?.namespace, subresource: 'status' });
}

async function jobStatus(ns: string, name: string): Promise<Job> {
  return env.admin.get<Job & KubeObject>(refs.jobs, name, ns);
}

const trueConditions = (j: Job) => (j.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type);

describe('Job controller', () => {
  it('job-batch-job: never more than 2 active pods, Complete with 5 succeeded', async () => {
    const ns = await namespace(env.admin, 'job-batch');
    const job = await env.admin.create<KubeObject>(refs.jobs, seed('job-batch-job.yaml'), { namespace: ns });
    let maxActive = 0;
    await waitUntil(env.admin, refs.pods, ns, async () => {
      const pods = await podsOfJob(env.admin, ns, 'batch-job');
      const active = pods.filter(isActive);
      maxActive = Math.max(maxActive, active.length);
      if (pods.filter((p) => p.status?.phase === 'Succeeded').length === 5) return true;
      // one pod finishes at a time, as work does
      if (active[0]) await finish(env.admin, active[0], 'Succeeded');
      return undefined;
    }, '5 pods of batch-job succeeded');
    const done = await waitUntil(env.admin, refs.jobs, ns, async () => {
      const j = await jobStatus(ns, 'batch-job');
      return trueConditions(j).includes('Complete') ? j : undefined;
    }, 'batch-job Complete');
    expect(maxActive).toBeLessThanOrEqual(2);
    expect(done.status).toMatchObject({ succeeded: 5, failed: 0, active: 0 });
    expect(trueConditions(done)).toEqual(['SuccessCriteriaMet', 'Complete']);
    expect(done.status?.completionTime).toBeTruthy();
    const pods = await podsOfJob(env.admin, ns, 'batch-job');
    expect(pods).toHaveLength(5);
    for (const p of pods) {
      expect(p.metadata?.finalizers ?? []).not.toContain(JOB_TRACKING_FINALIZER);
      expect(p.metadata?.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'batch-job', uid: job.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
      expect(p.metadata?.labels).toMatchObject({ app: 'batch-job', 'batch.kubernetes.io/controller-uid': job.metadata?.uid, 'batch.kubernetes.io/job-name': 'batch-job' });
    }
  });

  it('job-pi: pods that fail are retried with backoff until backoffLimit, then Failed', async () => {
    const ns = await namespace(env.admin, 'job-pi');
    await env.admin.create(refs.jobs, seed('job-pi.yaml'), { namespace: ns });
    let maxActive = 0;
    await waitUntil(env.admin, refs.pods, ns, async () => {
      const pods = await podsOfJob(env.admin, ns, 'pi');
      const active = pods.filter(isActive);
      maxActive = Math.max(maxActive, active.length);
      if (pods.filter((p) => p.status?.phase === 'Failed').length === 5) return true;
      for (const p of active) await finish(env.admin, p, 'Failed');
      return undefined;
    }, '5 pods of pi failed');
    const failed = await waitUntil(env.admin, refs.jobs, ns, async () => {
      const j = await jobStatus(ns, 'pi');
      return trueConditions(j).includes('Failed') ? j : undefined;
    }, 'pi Failed');
    expect(maxActive).toBe(1);
    expect(failed.status).toMatchObject({ failed: 5, active: 0 });
    expect(failed.status?.conditions?.find((c) => c.type === 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded' });
    expect(await podsOfJob(env.admin, ns, 'pi')).toHaveLength(5);
  });

  it('Indexed: one pod per index with hostname and JOB_COMPLETION_INDEX; completedIndexes', async () => {
    const ns = await namespace(env.admin, 'job-indexed');
    await env.admin.create(refs.jobs, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'idx' },
      spec: { completions: 3, parallelism: 3, completionMode: 'Indexed', template: { spec: { restartPolicy: 'Never', containers: [{ name: 'w', image: 'busybox' }] } } },
    }, { namespace: ns });
    const pods = await waitUntil(env.admin, refs.pods, ns, async () => {
      const ps = await podsOfJob(env.admin, ns, 'idx');
      return ps.length === 3 ? ps : undefined;
    }, '3 indexed pods');
    const byIndex = new Map(pods.map((p) => [p.metadata?.annotations?.[JOB_COMPLETION_INDEX], p]));
    expect([...byIndex.keys()].sort()).toEqual(['0', '1', '2']);
    expect(byIndex.get('2')?.spec?.hostname).toBe('idx-2');
    expect(byIndex.get('2')?.metadata?.name).toMatch(/^idx-2-/);
    expect(byIndex.get('2')?.spec?.containers[0].env).toContainEqual({ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']` } } });
    for (const p of pods) await finish(env.admin, p, 'Succeeded');
    const done = await waitUntil(env.admin, refs.jobs, ns, async () => {
      const j = await jobStatus(ns, 'idx');
      return trueConditions(j).includes('Complete') ? j : undefined;
    }, 'idx Complete');
    expect(done.status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
  });

  it('suspend keeps pods away until resumed; activeDeadlineSeconds fails the Job with DeadlineExceeded', async () => {
    const ns = await namespace(env.admin, 'job-deadline');
    await env.admin.create(refs.jobs, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'slow' },
      spec: { suspend: true, parallelism: 2, completions: 2, activeDeadlineSeconds: 30, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'w', image: 'busybox' }] } } },
    }, { namespace: ns });
    await waitUntil(env.admin, refs.jobs, ns, async () => trueConditions(await jobStatus(ns, 'slow')).includes('Suspended'), 'Suspended');
    expect(await podsOfJob(env.admin, ns, 'slow')).toHaveLength(0);

    await env.admin.patch(refs.jobs, 'slow', 'merge', { spec: { suspend: false } }, { namespace: ns });
    await waitUntil(env.admin, refs.pods, ns, async () => (await podsOfJob(env.admin, ns, 'slow')).filter(isActive).length === 2, '2 pods after resume');
    // the deadline counts from the startTime the resume wrote
    await waitUntil(env.admin, refs.jobs, ns, async () => {
      const j = await jobStatus(ns, 'slow');
      return j.status?.active === 2 && !!j.status.startTime && !trueConditions(j).includes('Suspended');
    }, 'slow resumed');

    offsetMs += 31_000;
    await env.admin.patch(refs.jobs, 'slow', 'merge', { metadata: { annotations: { poke: '1' } } }, { namespace: ns });
    const failed = await waitUntil(env.admin, refs.jobs, ns, async () => {
      const j = await jobStatus(ns, 'slow');
      return trueConditions(j).includes('Failed') ? j : undefined;
    }, 'slow Failed');
    expect(failed.status?.conditions?.find((c) => c.type === 'Failed')).toMatchObject({ reason: 'DeadlineExceeded' });
    expect(failed.status).toMatchObject({ active: 0, failed: 2 });
    expect(await podsOfJob(env.admin, ns, 'slow')).toHaveLength(0);
  });

  it('ttlSecondsAfterFinished deletes the finished Job and its pods (foreground)', async () => {
    const ns = await namespace(env.admin, 'job-ttl');
    await env.admin.create(refs.jobs, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'short' },
      spec: { ttlSecondsAfterFinished: 60, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'w', image: 'busybox' }] } } },
    }, { namespace: ns });
    const [pod] = await waitUntil(env.admin, refs.pods, ns, async () => {
      const ps = await podsOfJob(env.admin, ns, 'short');
      return ps.length === 1 ? ps : undefined;
    }, 'the pod');
    await finish(env.admin, pod, 'Succeeded');
    await waitUntil(env.admin, refs.jobs, ns, async () => trueConditions(await jobStatus(ns, 'short')).includes('Complete'), 'short Complete');
    offsetMs += 61_000;
    await env.admin.patch(refs.jobs, 'short', 'merge', { metadata: { annotations: { poke: '1' } } }, { namespace: ns });
    await waitUntil(env.admin, refs.jobs, ns, async () => !(await env.admin.find(refs.jobs, 'short', ns)), 'short deleted');
    expect(await podsOfJob(env.admin, ns, 'short')).toHaveLength(0);
  });

  it('deleting a running Job (foreground) releases its pods so they and the Job go', async () => {
    const ns = await namespace(env.admin, 'job-delete');
    await env.admin.create(refs.jobs, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'busy' }, spec: { parallelism: 2, completions: 4, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'w', image: 'busybox' }] } } } }, { namespace: ns });
    await waitUntil(env.admin, refs.pods, ns, async () => (await podsOfJob(env.admin, ns, 'busy')).length === 2, '2 pods');
    await env.admin.delete(refs.jobs, 'busy', { namespace: ns, propagationPolicy: 'Foreground' });
    await waitUntil(env.admin, refs.jobs, ns, async () => !(await env.admin.find(refs.jobs, 'busy', ns)), 'busy deleted');
    expect(await podsOfJob(env.admin, ns, 'busy')).toHaveLength(0);
  });
});
