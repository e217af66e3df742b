/**
 * An agent that restarts picks its pods up where the API says they were: containers run again with
 * their restartCount carried on (not reset to 0), a container the old agent was running shows
 * lastState terminated/Unknown/255 (as Kubernetes shows after a node reboot) and its last log stays
 * readable with --previous, and init containers that had completed are not run again.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, nodeUser, type Agent } from '../../src/agent/agent.js';
import { servePodSubresources } from '../../src/agent/connector.js';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { containerStatus, until } from './agent-harness.js';

let cluster: TestCluster;
let dir: string;
let running: { agent: Agent; stop: AbortController } | undefined;

async function startAgent(registry: ReturnType<typeof servePodSubresources>): Promise<void> {
  const agent = createAgent({ client: cluster.api.client(nodeUser('node-r'), 'berth-agent'), name: 'node-r', runtime: 'process', dataDir: join(dir, 'agent'), connectors: registry, process: { backoffBaseMs: 200, backoffMaxMs: 1000 }, leaseRenewMs: 1000 });
  const stop = new AbortController();
  await agent.start(stop.signal);
  running = { agent, stop };
}

async function stopAgent(): Promise<void> {
  running?.stop.abort();
  await running?.agent.stopped();
  running = undefined;
}

beforeAll(async () => {
  cluster = await startCluster({ tls: true });
  dir = mkdtempSync(join(tmpdir(), 'berth-agent-restart-'));
});

afterAll(async () => {
  await stopAgent();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = (name: string) => cluster.api.client().get<Pod & KubeObject>(refs.pods, name, 'default');

describe('agent restart', () => {
  it('keeps restart counts, reports the stopped run, keeps --previous logs, and does not re-run completed init containers', async () => {
    const registry = servePodSubresources(cluster.api.handler, { client: cluster.api.client() });
    await startAgent(registry);
    const client = cluster.api.client();
    const marks = join(dir, 'init-runs');
    await client.create(refs.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'steady', namespace: 'default' },
      spec: {
        nodeName: 'node-r',
        initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', `echo ran >> ${marks}`] }],
        containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo "started $$$$"; exec sleep 3600'] }],
      },
    } as KubeObject);
    await client.create(refs.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'crasher', namespace: 'default' },
      spec: { nodeName: 'node-r', containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 0.2; exit 3'] }] },
    } as KubeObject);
    const before = await until(async () => {
      const p = await get('steady');
      return containerStatus(p)?.state?.running ? p : undefined;
    }, 30_000, 'steady running');
    const crashed = await until(async () => {
      const p = await get('crasher');
      return (containerStatus(p)?.restartCount ?? 0) >= 3 ? p : undefined;
    }, 30_000, 'crasher restarted 3 times');
    const firstLog = (await cluster.kubectl(['logs', 'steady', '-c', 'app'])).stdout;
    expect(firstLog).toMatch(/^started \d+\n$/);

    await stopAgent();
    const counted = containerStatus(await get('crasher'))?.restartCount ?? 0;
    expect(counted).toBeGreaterThanOrEqual(3);
    const oldCrasherID = containerStatus(await get('crasher'))?.containerID;
    await startAgent(registry);

    const after = await until(async () => {
      const p = await get('steady');
      const s = containerStatus(p);
      return s?.state?.running && s.containerID !== containerStatus(before)?.containerID ? p : undefined;
    }, 30_000, 'steady running again under the new agent');
    const s = containerStatus(after)!;
    expect(s.restartCount).toBe(1);
    expect(s.lastState?.terminated).toMatchObject({ exitCode: 255, reason: 'Unknown', startedAt: containerStatus(before)?.state?.running?.startedAt });
    expect(after.status?.startTime).toBe(before.status?.startTime);
    expect(after.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    expect(readFileSync(marks, 'utf8')).toBe('ran\n');
    expect((await cluster.kubectl(['logs', 'steady', '-c', 'app', '--previous'])).stdout).toBe(firstLog);
    expect((await cluster.kubectl(['logs', 'steady', '-c', 'app'])).stdout).toMatch(/^started \d+\n$/);

    // the crasher's count carries on from where it was (a reset would start again at 0)
    const resumed = await until(async () => {
      const p = await get('crasher');
      const c = containerStatus(p);
      return c?.containerID && c.containerID !== oldCrasherID ? c : undefined;
    }, 30_000, 'crasher run by the new agent');
    expect(resumed.restartCount).toBeGreaterThanOrEqual(counted + 1);
    expect(crashed.metadata?.uid).toBe((await get('crasher')).metadata?.uid);
  }, 120_000);
});
