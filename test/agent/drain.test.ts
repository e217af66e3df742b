/**
 * kubectl cordon / drain / uncordon against a node run by an agent: drain evicts through the
 * eviction subresource and the agent stops the pods and finishes their deletion; a
 * PodDisruptionBudget (status kept by the disruption controller) makes drain wait and retry.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import { createControllerManager, CONTROLLER_MANAGER_USER, type ControllerManager } from '../../src/controlplane/controllers/index.js';
import { disruptionController } from '../../src/controlplane/controllers/disruption-controller.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { startAgentCluster, until, type AgentCluster } from './agent-harness.js';

let c: AgentCluster;
let manager: ControllerManager;
const stopManager = new AbortController();

beforeAll(async () => {
  c = await startAgentCluster({ name: 'node-d' });
  manager = createControllerManager({
    client: (ua) => c.cluster.api.client(CONTROLLER_MANAGER_USER, ua),
    redisUrl: c.cluster.redis.url,
    prefix: '{drain-test}',
    controllers: [disruptionController()],
  });
  await manager.start(stopManager.signal);
});
afterAll(async () => {
  stopManager.abort();
  await manager?.stopped();
  await c?.stop();
});

const sleeper = (name: string, labels?: Record<string, string>) => ({
  metadata: { name, labels },
  spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1000'] }] },
});

async function budget(name: string): Promise<PodDisruptionBudget | undefined> {
  return c.client.find<PodDisruptionBudget & KubeObject>(refs.poddisruptionbudgets, name, 'default');
}

describe('cordon and drain', () => {
  it('cordons, drains (the agent stops the evicted pods) and uncordons', async () => {
    for (const name of ['a', 'b']) {
      await c.createPod(sleeper(name));
      await c.waitPod(name, (p) => p.status?.phase === 'Running');
    }
    const cordon = await c.cluster.kubectl(['cordon', 'node-d']);
    expect(cordon.stdout).toContain('node/node-d cordoned');
    expect((await c.client.get<Node & KubeObject>(refs.nodes, 'node-d')).spec?.unschedulable).toBe(true);
    const drain = await c.cluster.kubectl(['drain', 'node-d', '--force', '--ignore-daemonsets', '--timeout=30s']);
    expect(drain.code, drain.stderr).toBe(0);
    expect(drain.stdout).toContain('pod/a evicted');
    expect(drain.stdout).toContain('node/node-d drained');
    await until(async () => !(await c.getPod('a')) && !(await c.getPod('b')), 10_000, 'pods gone');
    expect((await c.cluster.kubectl(['uncordon', 'node-d'])).stdout).toContain('node/node-d uncordoned');
    expect((await c.client.get<Node & KubeObject>(refs.nodes, 'node-d')).spec?.unschedulable).toBeFalsy();
  });

  it('respects a PodDisruptionBudget: 429 while it would be violated, retried until it allows', { timeout: 120_000 }, async () => {
    await c.addAgent({ name: 'node-e' });
    await c.createPod(sleeper('g1', { app: 'guarded' }));
    await c.createPod(sleeper('g2', { app: 'guarded' }));
    await c.createPod(sleeper('g3', { app: 'guarded' }), 'node-e');
    for (const g of ['g1', 'g2', 'g3']) await c.waitPod(g, (p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false, 30_000);
    const pdb = 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: guard\nspec:\n  minAvailable: 2\n  selector:\n    matchLabels:\n      app: guarded\n';
    expect((await c.cluster.kubectl(['apply', '-f', '-'], pdb)).code).toBe(0);
    const ready = await until(async () => {
      const b = await budget('guard');
      return b?.status?.disruptionsAllowed === 1 && b.status.currentHealthy === 3 ? b : undefined;
    }, 30_000, 'the budget status');
    expect(ready.status).toMatchObject({ desiredHealthy: 2, expectedPods: 3, observedGeneration: 1 });

    // one of the two pods on node-d may go; the other would leave one healthy pod of two needed
    const blocked = await c.cluster.kubectl(['drain', 'node-d', '--force', '--timeout=12s']);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    await until(async () => (await budget('guard'))?.status?.currentHealthy === 2, 30_000, 'the evicted pod to leave the budget');
    expect((await budget('guard'))?.status?.disruptionsAllowed).toBe(0);
    const left = (await c.getPod('g1')) ? 'g1' : 'g2';
    expect(await c.getPod(left === 'g1' ? 'g2' : 'g1')).toBeUndefined();

    // drain waits and retries; a new healthy pod elsewhere lets the last one go
    const drain = c.cluster.kubectl(['drain', 'node-d', '--force', '--timeout=90s']);
    await c.createPod(sleeper('g4', { app: 'guarded' }), 'node-e');
    const done = await drain;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(`pod/${left} evicted`);
    expect(done.stdout).toContain('node/node-d drained');
    await until(async () => (await budget('guard'))?.status?.currentHealthy === 2, 30_000, 'the budget after the drain');
  });
});
