/**
 * `kubectl top node` and `kubectl top pod` (kubectl 1.32) against the Metrics API berth serves from
 * its node agents: a process-runtime pod that burns some CPU shows up with its usage, through an
 * in-process agent and through an agent in another process's place (its own server, agent key).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishAgentKey, startAgentServer, type AgentServer } from '../../src/agent/agent-server.js';
import { nodeUser, type Agent } from '../../src/agent/agent.js';
import { startAgentCluster, type AgentCluster } from './agent-harness.js';

let c: AgentCluster;
let remoteServer: AgentServer | undefined;

// 300 ms of CPU before it says it is ready (so the first measurement, over its run so far, sees
// some), then busy 20 ms of every 100: about a fifth of a core
const BURN = "const busy = (ms) => { const t = Date.now(); while (Date.now() - t < ms); }; busy(300); require('fs').writeFileSync('burned', ''); setInterval(() => busy(20), 100)";

const burner = (name: string, labels: Record<string, string> = {}) => ({
  metadata: { name, labels },
  spec: {
    terminationGracePeriodSeconds: 1,
    containers: [
      { name: 'burn', image: 'node', command: [process.execPath, '-e', BURN], readinessProbe: { exec: { command: ['test', '-f', 'burned'] }, periodSeconds: 1 } },
      { name: 'idle', image: 'busybox', command: ['sleep', '1000'] },
    ],
  },
});

beforeAll(async () => {
  c = await startAgentCluster({ name: 'node-m' });
  let agent: Agent | undefined;
  remoteServer = await startAgentServer(() => agent, { host: '127.0.0.1' });
  agent = await c.addAgent({ name: 'node-far', connectors: undefined, agentPort: remoteServer.port });
  await publishAgentKey(c.cluster.api.client(nodeUser('node-far')), 'node-far', remoteServer.key);
  await c.createPod(burner('burner', { app: 'burn' }));
  await c.createPod(burner('far-burner'), 'node-far');
  const ready = (p: Pod) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;
  await c.waitPod('burner', ready, 30_000);
  await c.waitPod('far-burner', ready, 30_000);
}, 60_000);
afterAll(async () => {
  await c?.stop();
  await remoteServer?.close();
});

/** The rows of kubectl's table output, split on its column gaps. */
function rows(out: string): string[][] {
  return out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
}

/** millicores of a `123m` cell */
const milli = (cell: string) => Number(/^(\d+)m$/.exec(cell)?.[1] ?? NaN);
/** MiB of a `45Mi` cell */
const mebi = (cell: string) => Number(/^(\d+)Mi$/.exec(cell)?.[1] ?? NaN);

describe('kubectl top', () => {
  it('lists both nodes with their usage and its share of allocatable', { timeout: 60_000 }, async () => {
    const r = await c.cluster.kubectl(['top', 'node']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [header, ...body] = rows(r.stdout);
    expect(header).toEqual(['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)']);
    expect(body.map((row) => row[0]).sort()).toEqual(['node-far', 'node-m']);
    for (const row of body) {
      expect(milli(row[1])).toBeGreaterThan(0);
      expect(row[2]).toMatch(/^\d+%$/);
      expect(mebi(row[3])).toBeGreaterThan(0);
      expect(row[4]).toMatch(/^\d+%$/);
    }
  });

  it('shows the burning pod with CPU and memory', { timeout: 60_000 }, async () => {
    const r = await c.cluster.kubectl(['top', 'pod']);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...body] = rows(r.stdout);
    expect(header).toEqual(['NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    const mine = body.find((row) => row[0] === 'burner')!;
    expect(mine).toBeDefined();
    expect(milli(mine[1])).toBeGreaterThan(0);
    expect(mebi(mine[2])).toBeGreaterThan(0);
    // the pod on the agent reached over its own server too
    const far = body.find((row) => row[0] === 'far-burner')!;
    expect(far).toBeDefined();
    expect(milli(far[1])).toBeGreaterThan(0);
  });

  it('splits a pod by container, and selects by label and namespace', { timeout: 60_000 }, async () => {
    const r = await c.cluster.kubectl(['top', 'pod', 'burner', '--containers']);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...body] = rows(r.stdout);
    expect(header).toEqual(['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    expect(body.map((row) => row[1]).sort()).toEqual(['burn', 'idle']);
    const burn = body.find((row) => row[1] === 'burn')!;
    expect(milli(burn[2])).toBeGreaterThan(0);

    const labelled = await c.cluster.kubectl(['top', 'pod', '-l', 'app=burn']);
    expect(labelled.code, labelled.stderr).toBe(0);
    expect(rows(labelled.stdout).slice(1).map((row) => row[0])).toEqual(['burner']);

    const all = await c.cluster.kubectl(['top', 'pod', '-A']);
    expect(all.code, all.stderr).toBe(0);
    const [allHeader, ...allBody] = rows(all.stdout);
    expect(allHeader).toEqual(['NAMESPACE', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    expect(allBody.filter((row) => row[0] === 'default').map((row) => row[1]).sort()).toEqual(['burner', 'far-burner']);

    const elsewhere = await c.cluster.kubectl(['top', 'pod', '-n', 'kube-system']);
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect(elsewhere.stdout + elsewhere.stderr).toContain('No resources found in kube-system namespace');
  });

  it('serves the objects as metrics-server does', { timeout: 30_000 }, async () => {
    const r = await c.cluster.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/burner']);
    expect(r.code, r.stderr).toBe(0);
    const pm = JSON.parse(r.stdout) as { kind: string; window: string; timestamp: string; containers: { name: string; usage: { cpu: string; memory: string } }[] };
    expect(pm.kind).toBe('PodMetrics');
    expect(pm.window).toMatch(/^\d+(\.\d+)?s$/);
    expect(pm.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const ct of pm.containers) {
      expect(ct.usage.cpu).toMatch(/^\d+n$/);
      expect(ct.usage.memory).toMatch(/^\d+Ki$/);
    }
    const missing = await c.cluster.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('NotFound');
    const write = await c.cluster.kubectl(['delete', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/burner']);
    expect(write.code).not.toBe(0);
    expect(write.stderr).toContain('MethodNotAllowed');
  });
});
