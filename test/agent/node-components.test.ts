/**
 * What `berth up` runs node-side, through nodeComponents: agents named node-1..N (process or sim)
 * and the Service proxy, started by the Manager; kubectl sees the nodes and reads logs.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { afterEach, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { Manager } from '../../src/controlplane/runtime/runnable.js';
import { nodeComponents } from '../../src/agent/node-components.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { until } from './agent-harness.js';

let cluster: TestCluster | undefined;
let manager: Manager | undefined;

afterEach(async () => {
  await manager?.stop();
  await cluster?.stop();
});

describe('nodeComponents', () => {
  it.each(['process', 'sim'] as const)('starts 2 %s nodes that kubectl sees Ready and runs pods on them', async (runtime) => {
    cluster = await startCluster({ tls: true });
    manager = new Manager();
    for (const r of nodeComponents(cluster.api, { nodes: 2, runtime, dataDir: cluster.dir })) await manager.add(r);
    const nodes = await cluster.kubectl(['get', 'nodes', '-o', 'name']);
    expect(nodes.stdout.split('\n').filter(Boolean).sort()).toEqual(['node/node-1', 'node/node-2']);
    const client = cluster.api.client();
    await client.create(refs.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hello', namespace: 'default' }, spec: { nodeName: 'node-2', restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['echo', 'hello from node-2'] }] } });
    const phase = runtime === 'process' ? 'Succeeded' : 'Running';
    await until(async () => (await client.get<KubeObject & { status?: { phase?: string } }>(refs.pods, 'hello', 'default')).status?.phase === phase, 10_000, `pod ${phase}`);
    const logs = await cluster.kubectl(['logs', 'hello']);
    expect(logs.code, logs.stderr).toBe(0);
    if (runtime === 'process') expect(logs.stdout).toBe('hello from node-2\n');
    const n = await client.get<Node & KubeObject>(refs.nodes, 'node-1');
    expect(n.metadata?.labels?.['node.berth.dev/runtime']).toBe(runtime);
  });
});
