/**
 * Restarts on the sim runtime: a stage that ends a pod's containers under restartPolicy Always or
 * OnFailure restarts them as the process runtime does — restartCount grows, CrashLoopBackOff holds
 * each restart back longer — so a crash-looping Deployment looks as it would on a real node, and an
 * OnFailure Job fails once the restarts reach its backoffLimit (the Job controller counts them).
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import { createControllerManager, CONTROLLER_MANAGER_USER, type ControllerManager } from '../../src/controlplane/controllers/index.js';
import { jobController } from '../../src/controlplane/controllers/job-controller.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { ANNOTATIONS } from '../../src/agent/runtime/sim/stages.js';
import { containerStatus, startAgentCluster, until, watchBackOffDelays, type AgentCluster } from './agent-harness.js';

const NODE = 'sim-restarts';
let c: AgentCluster;
let manager: ControllerManager;
const stopManager = new AbortController();

beforeAll(async () => {
  c = await startAgentCluster({ name: NODE, runtime: 'sim', sim: { backoffBaseMs: 100, backoffMaxMs: 400 } });
  manager = createControllerManager({
    client: (ua) => c.cluster.api.client(CONTROLLER_MANAGER_USER, ua),
    redisUrl: c.cluster.redis.url,
    prefix: '{sim-restarts-test}',
    controllers: [jobController()],
  });
  await manager.start(stopManager.signal);
});
afterAll(async () => {
  stopManager.abort();
  await manager?.stopped();
  await c?.stop();
});

/** The stage annotations that make a sim pod's containers fail 50 ms after they start. */
const failing = { [ANNOTATIONS.completeAfter]: '50ms', [ANNOTATIONS.result]: 'Failed' };

describe('sim runtime restarts', () => {
  it('restarts failing containers of a restartPolicy Always pod with growing back-off (CrashLoopBackOff)', async () => {
    const backoff = watchBackOffDelays(c, 'crash');
    await c.createPod({ metadata: { name: 'crash', annotations: failing }, spec: { containers: [{ name: 'app', image: 'nginx' }] } });
    const p = await c.waitPod('crash', (p) => (containerStatus(p)?.restartCount ?? 0) >= 4, 15_000);
    const delays = await backoff.stop();
    expect(p.status?.phase).toBe('Running');
    expect(containerStatus(p)?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(delays).toEqual(expect.arrayContaining(['100ms', '200ms', '400ms']));
    const described = await c.cluster.kubectl(['get', 'pod', 'crash', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}']);
    expect(Number(described.stdout)).toBeGreaterThanOrEqual(4);
  });

  it('completes an OnFailure pod whose containers succeed, without restarts', async () => {
    await c.createPod({ metadata: { name: 'once', annotations: { [ANNOTATIONS.completeAfter]: '50ms' } }, spec: { restartPolicy: 'OnFailure', containers: [{ name: 'app', image: 'busybox' }] } });
    const p = await c.waitPod('once', (p) => p.status?.phase === 'Succeeded');
    expect(containerStatus(p)).toMatchObject({ restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
  });

  it('fails an OnFailure Job once its pod restarted backoffLimit times (BackoffLimitExceeded)', async () => {
    await c.client.create(refs.jobs, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'flaky', namespace: 'default' },
      spec: {
        backoffLimit: 2,
        template: { metadata: { annotations: failing }, spec: { nodeName: NODE, restartPolicy: 'OnFailure', containers: [{ name: 'work', image: 'busybox' }] } },
      },
    } as Job & KubeObject);
    const job = await until(async () => {
      const j = await c.client.get<Job & KubeObject>(refs.jobs, 'flaky', 'default');
      return j.status?.conditions?.find((x) => x.type === 'Failed' && x.status === 'True') ? j : undefined;
    }, 15_000, 'the Job to fail');
    expect(job.status?.conditions?.find((x) => x.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    const shown = await c.cluster.kubectl(['get', 'job', 'flaky', '-o', 'jsonpath={.status.conditions[?(@.type=="Failed")].reason}']);
    expect(shown.stdout).toBe('BackoffLimitExceeded');
  });
});
