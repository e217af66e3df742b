/**
 * Many sim nodes in one process (createSimNodes): every node registers and keeps its Lease, pods on
 * any of them run through the stages, Job pods finish, deletions are finished by the agent.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { createSimNodes, nodeUser, SIM_FLEET_LABEL, type Agent } from '../../src/agent/agent.js';
import { defaultStages } from '../../src/agent/runtime/sim/stages.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { until } from './agent-harness.js';

const COUNT = 200;
let cluster: TestCluster;
let fleet: Agent;
const ac = new AbortController();

beforeAll(async () => {
  cluster = await startCluster();
  fleet = createSimNodes({
    client: cluster.api.client(nodeUser('sim-fleet'), 'berth-agent'),
    clientFor: (n) => cluster.api.client(nodeUser(n), 'berth-agent'),
    count: COUNT,
    namePrefix: 'sim-',
    leaseRenewMs: 1000,
    sim: { stages: defaultStages({ runningAfterMs: 50, completeAfterMs: 300 }) },
  });
  await fleet.start(ac.signal);
}, 60_000);
afterAll(async () => {
  ac.abort();
  await fleet?.stopped();
  await cluster?.stop();
});

describe('sim nodes', () => {
  it(`registers ${COUNT} Ready nodes with Leases that stay fresh`, async () => {
    const client = cluster.api.client();
    const nodes = await client.list<Node & KubeObject>(refs.nodes, { labelSelector: `${SIM_FLEET_LABEL}=sim` });
    expect(nodes.items).toHaveLength(COUNT);
    expect(nodes.items.every((n) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True')).toBe(true);
    const before = await client.list<Lease & KubeObject>(refs.leases, { namespace: 'kube-node-lease' });
    expect(before.items).toHaveLength(COUNT);
    const renewed = new Map(before.items.map((l) => [l.metadata!.name!, l.spec?.renewTime]));
    await until(async () => {
      const now = await client.list<Lease & KubeObject>(refs.leases, { namespace: 'kube-node-lease' });
      return now.items.every((l) => l.spec?.renewTime !== renewed.get(l.metadata!.name!));
    }, 10_000, 'every lease renewed');
  });

  it('runs pods on many nodes, finishes Job pods and finalizes deletions', async () => {
    const client = cluster.api.client();
    for (let i = 0; i < 40; i++) {
      const job = i % 4 === 0;
      await client.create(refs.pods, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p${i}`, namespace: 'default', ...(job && { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: '00000000-0000-0000-0000-000000000001', controller: true }] }) },
        spec: { nodeName: `sim-${(i * 7) % COUNT}`, restartPolicy: job ? 'Never' : 'Always', containers: [{ name: 'c', image: 'nginx' }] },
      });
    }
    await until(async () => {
      const pods = await client.list<Pod & KubeObject>(refs.pods, { namespace: 'default' });
      return pods.items.length === 40 && pods.items.every((p) => p.status?.phase === (p.metadata?.ownerReferences ? 'Succeeded' : 'Running'));
    }, 15_000, 'pods Running and Job pods Succeeded');
    await client.delete(refs.pods, 'p1', { namespace: 'default' });
    await until(async () => !(await client.find(refs.pods, 'p1', 'default')), 5000, 'p1 finalized');
  });
});
