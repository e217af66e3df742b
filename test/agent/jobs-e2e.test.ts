/**
 * Jobs through the whole stack, as a user runs them: kubectl creates the Job, the Job controller
 * makes its pod, the scheduler binds it, a process agent runs it, the Job reaches Complete, and
 * `kubectl logs job/NAME` shows what the container printed (issue #5's acceptance items).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { refs } from '../../src/controlplane/client/refs.js';
import { jobController } from '../../src/controlplane/controllers/job-controller.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { SEED_MANIFESTS } from '../harness/fixtures.js';
import { until } from './agent-harness.js';
import { startStack, type StackCluster } from './stack-harness.js';

let c: StackCluster;

beforeAll(async () => {
  c = await startStack(['node-j'], [jobController()]);
});
afterAll(async () => {
  await c?.stop();
});

/** Waits for the Job's Complete condition; on a timeout, says what the Job and its pods were doing. */
async function complete(name: string, ms: number): Promise<Job> {
  try {
    return await until(async () => {
      const j = await c.client.find<Job & KubeObject>(refs.jobs, name, 'default');
      return j?.status?.conditions?.some((x) => x.type === 'Complete' && x.status === 'True') ? j : undefined;
    }, ms, `Job ${name} Complete`);
  } catch (e) {
    const job = await c.cluster.kubectl(['get', 'job', name, '-o', 'yaml']);
    const pods = await c.cluster.kubectl(['get', 'pods', '-l', `batch.kubernetes.io/job-name=${name}`, '-o', 'yaml']);
    throw new Error(`${(e as Error).message}\n${job.stdout}\n${pods.stdout}`);
  }
}

async function jobPods(name: string): Promise<Pod[]> {
  return (await c.client.list<Pod>(refs.pods, { namespace: 'default', labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
}

describe('Jobs on process agents', () => {
  it("runs a Job of sh -c 'date; echo Hello' to Complete; kubectl logs job/NAME shows the output", { timeout: 60_000 }, async () => {
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'hello' }, spec: { backoffLimit: 1, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'hello', image: 'busybox', command: ['sh', '-c', 'date; echo Hello'] }] } } } };
    const created = await c.cluster.kubectl(['create', '-f', '-'], JSON.stringify(job));
    expect(created.code, created.stderr).toBe(0);
    const done = await complete('hello', 45_000);
    expect(done.status).toMatchObject({ succeeded: 1, failed: 0 });
    expect(done.status?.active ?? 0).toBe(0);
    const pods = await jobPods('hello');
    expect(pods).toHaveLength(1);
    // the scheduler bound it (the template names no node) and the agent ran it to the end
    expect(pods[0].spec?.nodeName).toBe('node-j');
    expect(pods[0].status?.phase).toBe('Succeeded');
    expect(pods[0].status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const listed = await c.cluster.kubectl(['get', 'job', 'hello', '--no-headers']);
    expect(listed.stdout).toMatch(/^hello\s+Complete\s+1\/1\s/);
    const logs = await c.cluster.kubectl(['logs', 'job/hello']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/^\S.*\d{2}:\d{2}:\d{2}.*\nHello\n$/);
  });

  it('runs the seeds\' job-pi.yaml (perl) to Complete; kubectl logs job/pi holds the digits', { timeout: 90_000 }, async (ctx) => {
    const manifest = parse(readFileSync(join(SEED_MANIFESTS, 'job-pi.yaml'), 'utf8')) as Job;
    const argv = manifest.spec!.template.spec!.containers[0].command!;
    let why = '';
    try {
      execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
    } catch (e) {
      why = (e as { code?: string }).code === 'ENOENT' ? 'perl is not installed' : `perl here cannot compute bpi (${String((e as { stderr?: Buffer }).stderr ?? e).trim().split('\n')[0]})`;
    }
    if (why) {
      console.log(`skipped job-pi.yaml: ${why}`);
      ctx.skip();
    }
    const created = await c.cluster.kubectl(['create', '-f', join(SEED_MANIFESTS, 'job-pi.yaml')]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('job.batch/pi created');
    const done = await complete('pi', 80_000);
    expect(done.status).toMatchObject({ succeeded: 1, failed: 0 });
    const logs = await c.cluster.kubectl(['logs', 'job/pi']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/^3\.14159265358979323846\d{1900,}\n$/);
  });
});
