/**
 * `berth agent` on "another machine" (its own process) with a node identity token, not an admin's,
 * against an API server enforcing RBAC: it registers its Node, publishes its agent key in
 * kube-node-lease (the bootstrap Role and RoleBinding allow it), runs a pod, and serves its logs
 * and exec through the API server. The NodeRestriction plugin keeps a node to its own key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servePodSubresources } from '../../src/agent/connector.js';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { until } from '../agent/agent-harness.js';
import { startPolicyCluster, type PolicyCluster } from './harness.js';

let c: PolicyCluster;
let agent: ChildProcess | undefined;
let agentOutput = '';
const FAR = 'far-node-token-0123456789';
const NEAR = 'near-node-token-0123456789';
const dataDir = mkdtempSync(join(tmpdir(), 'berth-remote-agent-'));

beforeAll(async () => {
  c = await startPolicyCluster({ [FAR]: { user: 'system:node:far', groups: ['system:nodes'] }, [NEAR]: { user: 'system:node:near', groups: ['system:nodes'] } });
  servePodSubresources(c.api.handler, { client: c.api.client() });
  const args = ['bin/berth.js', 'agent', '--server', c.api.url, '--token', FAR, '--ca', join(c.dir, 'pki', 'ca.crt'), '--name', 'far', '--port', '0', '--address', '127.0.0.1', '--data-dir', dataDir, '--lease-renew-seconds', '1'];
  agent = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  agent.stdout!.on('data', (b: Buffer) => (agentOutput += b.toString()));
  agent.stderr!.on('data', (b: Buffer) => (agentOutput += b.toString()));
});
afterAll(async () => {
  if (agent && agent.exitCode === null) {
    const exited = new Promise((r) => agent!.once('exit', r));
    agent.kill('SIGTERM');
    await exited;
  }
  await c?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('berth agent with a node identity', () => {
  it('registers, publishes its key, runs a pod and serves its logs and exec', { timeout: 120_000 }, async () => {
    const admin = c.api.client();
    await until(async () => (await admin.find<Node & KubeObject>(refs.nodes, 'far'))?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'), 60_000, `node far Ready (agent output: ${agentOutput})`);
    await until(() => agentOutput.includes('running'), 30_000, `the agent to run (output: ${agentOutput})`);
    expect(await admin.find(refs.secrets, 'berth-agent-far', 'kube-node-lease')).toBeDefined();
    // no controller-manager runs here to make the default ServiceAccount a token volume would need
    const run = await c.kubectl(['run', 'hello', '--image=busybox', '--restart=Never', '--overrides={"spec":{"nodeName":"far","automountServiceAccountToken":false}}', '--', 'sh', '-c', 'echo hello from far; sleep 1000']);
    expect(run.code, run.stderr).toBe(0);
    let logs = { stdout: '', stderr: '' };
    await until(async () => (logs = await c.kubectl(['logs', 'hello'])).stdout.includes('hello from far'), 60_000, 'the pod log').catch(async (e: Error) => {
      const pod = await c.kubectl(['get', 'pod', 'hello', '-o', 'yaml']);
      throw new Error(`${e.message}; kubectl logs: ${logs.stderr}; pod: ${pod.stdout}; agent: ${agentOutput}`);
    });
    const exec = await c.kubectl(['exec', 'hello', '--', 'sh', '-c', 'echo inside; exit 2']);
    expect(exec.stdout).toBe('inside\n');
    expect(exec.code).toBe(2);
  });

  it('a node may write only its own agent key, and no Secret elsewhere', async () => {
    const other = await c.kubectl(['create', 'secret', 'generic', 'berth-agent-far', '-n', 'kube-node-lease', '--from-literal=key=stolen', '--dry-run=server'], { token: NEAR });
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('node "near" is not allowed to modify secret kube-node-lease/berth-agent-far');
    const own = await c.kubectl(['create', 'secret', 'generic', 'berth-agent-near', '-n', 'kube-node-lease', '--from-literal=key=mine'], { token: NEAR });
    expect(own.code, own.stderr).toBe(0);
    const elsewhere = await c.kubectl(['create', 'secret', 'generic', 'berth-agent-near', '-n', 'default', '--from-literal=key=x'], { token: NEAR });
    expect(elsewhere.stderr).toContain('forbidden');
  });
});
