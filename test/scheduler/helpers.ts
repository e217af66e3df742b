/**
 * Shared setup for the scheduler's integration tests: a real API server on a real redis-server,
 * Node objects as a node agent would register them, pods from manifests, and waiting on what the
 * API shows.
 */
import { readFileSync } from 'node:fs';
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { parse } from 'yaml';
import type { Client } from '../../src/controlplane/client/client.js';
import { refs } from '../../src/controlplane/client/refs.js';
import { Manager } from '../../src/controlplane/runtime/runnable.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { createScheduler, SCHEDULER_USER, type Scheduler, type SchedulerOptions } from '../../src/controlplane/scheduler/scheduler.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { until } from '../harness/wait.js';

export { until };

export const SEED = '/work/shared/fixtures/seed-manifests';

export function seed(file: string): Pod {
  return parse(readFileSync(`${SEED}/${file}`, 'utf8')) as Pod;
}

export interface NodeOptions {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
}

/** Creates a Ready node with the given allocatable, labels and taints (status written as an agent would). */
export async function createNode(client: Client, name: string, o: NodeOptions = {}): Promise<Node> {
  const node = await client.create<KubeObject>(refs.nodes, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
  });
  const resources = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110' };
  return (await client.updateStatus(refs.nodes, {
    ...node,
    status: { capacity: resources, allocatable: resources, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }] },
  })) as Node;
}

export function pod(name: string, o: { cpu?: string; memory?: string; priority?: number; labels?: Record<string, string>; spec?: Partial<NonNullable<Pod['spec']>> } = {}): KubeObject {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: o.labels },
    spec: { containers: [{ name: 'main', image: 'busybox', resources: { requests } }], priority: o.priority, ...o.spec },
  };
}

export async function getPod(client: Client, name: string, namespace = 'default'): Promise<Pod> {
  return (await client.get(refs.pods, name, namespace)) as Pod;
}

export function scheduledCondition(p: Pod) {
  return p.status?.conditions?.find((c) => c.type === 'PodScheduled');
}

export async function boundNode(client: Client, name: string): Promise<string> {
  return until(`pod ${name} bound`, async () => (await getPod(client, name)).spec?.nodeName);
}

export interface SchedulerEnv {
  cluster: TestCluster;
  admin: Client;
  scheduler: Scheduler;
  manager: Manager;
  /** starts another scheduler on the same API and Redis */
  another(opts?: Partial<SchedulerOptions>): Promise<Scheduler>;
  stop(): Promise<void>;
}

export async function startSchedulerEnv(opts: Partial<SchedulerOptions> = {}): Promise<SchedulerEnv> {
  const cluster = await startCluster();
  const manager = new Manager();
  const make = (o: Partial<SchedulerOptions>) => createScheduler({ client: cluster.api.client(SCHEDULER_USER, 'berth-scheduler'), redisUrl: cluster.redis.url, prefix: 'test', ...o });
  const scheduler = make(opts);
  await manager.add(scheduler);
  return {
    cluster,
    admin: cluster.api.client(),
    scheduler,
    manager,
    async another(o = {}) {
      const s = make({ ...opts, ...o });
      await manager.add(s);
      return s;
    },
    async stop() {
      await manager.stop();
      await cluster.stop();
    },
  };
}

/** Sum of cpu millicores requested by the pods bound to each node. */
export async function cpuByNode(client: Client): Promise<Record<string, { pods: number; milliCPU: number }>> {
  const pods = (await client.list<Pod>(refs.pods)).items;
  const out: Record<string, { pods: number; milliCPU: number }> = {};
  for (const p of pods) {
    const n = p.spec?.nodeName;
    if (!n) continue;
    out[n] ??= { pods: 0, milliCPU: 0 };
    out[n].pods++;
    for (const c of p.spec?.containers ?? []) {
      const cpu = String(c.resources?.requests?.cpu ?? '0');
      out[n].milliCPU += cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
    }
  }
  return out;
}
