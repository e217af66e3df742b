/**
 * RBAC on the Metrics API with the real kubectl: `kubectl top` needs get/list on pods.metrics.k8s.io
 * (in the namespace) or nodes.metrics.k8s.io (cluster-wide), which the bootstrap
 * system:aggregated-metrics-reader role gives view, edit and admin, as metrics-server's does. The
 * node is a sim-runtime one: its pods use what they request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, nodeUser, type Agent } from '../../src/agent/agent.js';
import { servePodSubresources } from '../../src/agent/connector.js';
import { until } from '../agent/agent-harness.js';
import { startPolicyCluster, type PolicyCluster } from './harness.js';

let c: PolicyCluster;
let agent: Agent | undefined;
const ac = new AbortController();
const dataDir = mkdtempSync(join(tmpdir(), 'berth-metrics-rbac-'));
const NOBODY = 'nobody-token-0123456789';
const VIEWER = 'viewer-token-0123456789';
const OPS = 'ops-token-0123456789';

beforeAll(async () => {
  c = await startPolicyCluster({ [NOBODY]: { user: 'nobody' }, [VIEWER]: { user: 'viewer' }, [OPS]: { user: 'ops' } });
  const registry = servePodSubresources(c.api.handler, { client: c.api.client() });
  agent = createAgent({ client: c.api.client(nodeUser('sim-a'), 'berth-agent'), name: 'sim-a', runtime: 'sim', dataDir, connectors: registry, leaseRenewMs: 1000 });
  await agent.start(ac.signal);
  await c.kubectlOk(['create', 'rolebinding', 'viewer', '--clusterrole=view', '--user=viewer']);
  await c.kubectlOk(['create', 'clusterrolebinding', 'ops', '--clusterrole=view', '--user=ops']);
  // kubectl top node also lists the Nodes (their allocatable), which view does not read
  await c.kubectlOk(['create', 'clusterrole', 'node-reader', '--verb=get,list', '--resource=nodes']);
  await c.kubectlOk(['create', 'clusterrolebinding', 'ops-nodes', '--clusterrole=node-reader', '--user=ops']);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { nodeName: 'sim-a', automountServiceAccountToken: false, containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '250m', memory: '64Mi' } } }] } };
  await c.kubectlOk(['create', '-f', '-'], { input: JSON.stringify(pod) });
  await until(async () => (await c.kubectl(['get', 'pod', 'web', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 30_000, 'pod web Running');
}, 60_000);
afterAll(async () => {
  ac.abort();
  await agent?.stopped();
  await c?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Metrics API authorization', () => {
  it('refuses a user with no role', async () => {
    const pods = await c.kubectl(['top', 'pod'], { token: NOBODY });
    expect(pods.code).not.toBe(0);
    expect(pods.stderr).toContain('pods.metrics.k8s.io is forbidden: User "nobody" cannot list resource "pods" in API group "metrics.k8s.io" in the namespace "default"');
    const nodes = await c.kubectl(['top', 'node'], { token: NOBODY });
    expect(nodes.code).not.toBe(0);
    expect(nodes.stderr).toContain('User "nobody" cannot list resource "nodes" in API group "metrics.k8s.io" at the cluster scope');
  });

  it('lets view read pod metrics in its namespace, not node metrics', async () => {
    const pods = await c.kubectl(['top', 'pod'], { token: VIEWER });
    expect(pods.code, pods.stderr).toBe(0);
    // the sim runtime reports a container's requests as its usage
    expect(pods.stdout).toMatch(/^web\s+250m\s+64Mi\s*$/m);
    const nodes = await c.kubectl(['top', 'node'], { token: VIEWER });
    expect(nodes.code).not.toBe(0);
    expect(nodes.stderr).toContain('cannot list resource "nodes" in API group "metrics.k8s.io" at the cluster scope');
    const can = await c.kubectl(['auth', 'can-i', 'get', 'pods.metrics.k8s.io'], { token: VIEWER });
    expect(can.stdout.trim()).toBe('yes');
    const write = await c.kubectl(['auth', 'can-i', 'delete', 'pods.metrics.k8s.io'], { token: VIEWER });
    expect(write.stdout.trim()).toBe('no');
  });

  it('lets view bound cluster-wide (and a reader of Nodes) read node metrics: the sim node uses what its pods request', async () => {
    const nodes = await c.kubectl(['top', 'node'], { token: OPS });
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(nodes.stdout).toMatch(/^sim-a\s+250m\s+\d+%\s+64Mi\s+\d+%\s*$/m);
  });
});
