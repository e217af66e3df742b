/**
 * `berth agent` node flags, through the real command: --labels, --taints, --cpu, --memory and
 * --pods shape the Node it registers (as kubectl shows it), a taint keeps pods that do not
 * tolerate it away (the scheduler runs here), and a malformed value stops the agent with an error
 * naming the flag and the value before any Node exists.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servePodSubresources } from '../../src/agent/connector.js';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { Manager } from '../../src/controlplane/runtime/runnable.js';
import { createScheduler, SCHEDULER_USER } from '../../src/controlplane/scheduler/scheduler.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { stopChild, until } from './agent-harness.js';

const BERTH = join(import.meta.dirname, '../../bin/berth.js');
let c: TestCluster;
const components = new Manager();
const dataDir = mkdtempSync(join(tmpdir(), 'berth-agent-flags-'));
let agent: ChildProcess | undefined;
let agentOutput = '';

/** `berth agent` joining the test cluster as `name` with the admin token, plus `flags`. */
function agentArgs(name: string, flags: string[]): string[] {
  return [BERTH, 'agent', '--server', c.api.url, '--token', c.token, '--ca', join(c.dir, 'pki', 'ca.crt'), '--name', name, '--port', '0', '--address', '127.0.0.1', '--data-dir', join(dataDir, name), '--lease-renew-seconds', '1', ...flags];
}

beforeAll(async () => {
  c = await startCluster({ tls: true });
  servePodSubresources(c.api.handler, { client: c.api.client() });
  await components.add(createScheduler({ client: c.api.client(SCHEDULER_USER, 'default-scheduler'), redisUrl: c.redis.url, prefix: 'agent-flags' }));
});
afterAll(async () => {
  if (agent) await stopChild(agent);
  await components.stop();
  await c?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs a command to its exit (killed after `ms`), without blocking this process's API server. */
function runToExit(args: string[], ms: number): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const kill = setTimeout(() => child.kill('SIGKILL'), ms);
  return new Promise((resolve) => child.once('exit', (code) => {
    clearTimeout(kill);
    resolve({ code, stderr });
  }));
}

const pod = (name: string, tolerations?: Pod['spec'] extends infer S ? S extends { tolerations?: infer T } ? T : never : never) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { automountServiceAccountToken: false, terminationGracePeriodSeconds: 1, tolerations, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1000'] }] },
});

describe('berth agent flags', () => {
  it('registers the Node with --labels, --taints, --cpu, --memory and --pods; the taint keeps pods without a toleration off it', { timeout: 120_000 }, async () => {
    agent = spawn(process.execPath, agentArgs('edge', ['--labels', 'tier=edge,topology.kubernetes.io/zone=z1', '--taints', 'dedicated=edge:NoSchedule,maintenance:PreferNoSchedule', '--cpu', '3', '--memory', '2Gi', '--pods', '7']), { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (b: Buffer) => (agentOutput += b.toString()));
    agent.stderr!.on('data', (b: Buffer) => (agentOutput += b.toString()));
    const admin = c.api.client();
    await until(async () => (await admin.find<Node & KubeObject>(refs.nodes, 'edge'))?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'), 60_000, `node edge Ready (agent output: ${agentOutput})`);

    const got = await c.kubectl(['get', 'node', 'edge', '-o', 'json']);
    expect(got.code, got.stderr).toBe(0);
    const node = JSON.parse(got.stdout) as Node;
    expect(node.metadata?.labels).toMatchObject({ tier: 'edge', 'topology.kubernetes.io/zone': 'z1', 'kubernetes.io/hostname': 'edge' });
    expect(node.spec?.taints).toEqual([
      { key: 'dedicated', value: 'edge', effect: 'NoSchedule' },
      { key: 'maintenance', effect: 'PreferNoSchedule' },
    ]);
    expect(node.status?.capacity).toMatchObject({ cpu: '3', memory: '2Gi', pods: '7' });
    expect(node.status?.allocatable).toMatchObject({ cpu: '3', memory: '2Gi', pods: '7' });

    const plain = await c.kubectl(['create', '-f', '-'], JSON.stringify(pod('plain')));
    expect(plain.code, plain.stderr).toBe(0);
    const tolerant = await c.kubectl(['create', '-f', '-'], JSON.stringify(pod('tolerant', [{ key: 'dedicated', operator: 'Equal', value: 'edge', effect: 'NoSchedule' }])));
    expect(tolerant.code, tolerant.stderr).toBe(0);
    // the tolerating pod runs there; the other one is left unschedulable, naming the taint
    await until(async () => (await admin.find<Pod & KubeObject>(refs.pods, 'tolerant', 'default'))?.status?.phase === 'Running', 30_000, `pod tolerant Running (agent output: ${agentOutput})`);
    expect((await admin.get<Pod & KubeObject>(refs.pods, 'tolerant', 'default')).spec?.nodeName).toBe('edge');
    const unscheduled = await until(async () => {
      const p = await admin.find<Pod & KubeObject>(refs.pods, 'plain', 'default');
      return p?.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False');
    }, 30_000, 'pod plain Unschedulable');
    expect(unscheduled.reason).toBe('Unschedulable');
    expect(unscheduled.message).toBe('0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: edge}.');
    expect((await admin.get<Pod & KubeObject>(refs.pods, 'plain', 'default')).spec?.nodeName).toBeUndefined();
  });

  const bad: [string, string, RegExp][] = [
    ['--cpu', 'abc', /--cpu <quantity>' argument 'abc' is invalid\. .*quantit/],
    ['--cpu', '-2', /--cpu <quantity>' argument '-2' is invalid\. .*≥ 0/],
    ['--memory', 'lots', /--memory <quantity>' argument 'lots' is invalid\. .*quantit/],
    ['--pods', 'many', /--pods <n>' argument 'many' is invalid\. must be a whole number ≥ 1/],
    ['--pods', '2.5', /--pods <n>' argument '2\.5' is invalid\. must be a whole number ≥ 1/],
    ['--labels', 'tier', /--labels <k=v,...>' argument 'tier' is invalid\. invalid label "tier": want key=value/],
    ['--labels', 'bad key=x', /--labels <k=v,...>' argument 'bad key=x' is invalid\. invalid label key "bad key"/],
    ['--labels', 'tier=no way', /--labels <k=v,...>' argument 'tier=no way' is invalid\. invalid label value "no way"/],
    ['--taints', 'dedicated=edge:Sometimes', /--taints <k=v:Effect,...>' argument 'dedicated=edge:Sometimes' is invalid\. invalid taint "dedicated=edge:Sometimes": want key=value:Effect/],
    ['--taints', 'bad key=x:NoSchedule', /--taints <k=v:Effect,...>' argument 'bad key=x:NoSchedule' is invalid\. invalid taint key "bad key"/],
  ];
  it.each(bad)('refuses %s %j with an error naming it, exit code 1, and no Node', async (flag, value, message) => {
    const r = await runToExit(agentArgs('bad', [flag, value]), 30_000);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(1);
    expect(await c.api.client().find(refs.nodes, 'bad')).toBeUndefined();
  });
});
