/**
 * kubectl cordon / drain / uncordon against a node run by an agent: drain evicts through the
 * eviction subresource and the agent stops the pods and finishes their deletion.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { startAgentCluster, until, type AgentCluster } from './agent-harness.js';

let c: AgentCluster;

beforeAll(async () => {
  c = await startAgentCluster({ name: 'node-d' });
});
afterAll(async () => {
  await c?.stop();
});

describe('cordon and drain', () => {
  it('cordons, drains (the agent stops the evicted pods) and uncordons', async () => {
    for (const name of ['a', 'b']) {
      await c.createPod({ metadata: { name }, spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1000'] }] } });
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
});
