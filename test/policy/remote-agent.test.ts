/**
 * `berth agent` on "another machine" (its own process) with a node identity token, not an admin's,
 * against an API server enforcing RBAC: it registers its Node, publishes its agent key in
 * kube-node-lease (the bootstrap Role and RoleBinding allow it), runs a pod, and serves its logs
 * and exec through the API server. The NodeRestriction plugin keeps a node to its own key. It
 * runs the Service proxy, as kube-proxy runs on every node: a Service's recorded proxy port and its
 * nodePort reach the pod.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servePodSubresources } from '../../src/agent/connector.js';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { until } from '../agent/agent-harness.js';
import { startPolicyCluster, type PolicyCluster } from './harness.js';
import { PROXY_PORTS_ANNOTATION } from '../../src/agent/proxy/service-proxy.js';

let c: PolicyCluster;
let agent: ChildProcess | undefined;
let agentOutput = '';
const FAR = 'far-node-token-0123456789';
const NEAR = 'near-node-token-0123456789';
const dataDir = mkdtempSync(join(tmpdir(), 'berth-remote-agent-'));

beforeAll(async () => {
  c = await startPolicyCluster({ [FAR]: { user: 'system:node:far', groups: ['system:nodes'] }, [NEAR]: { user: 'system:node:near', groups: ['system:nodes'] } });
  servePodSubresources(c.api.handler, { client: c.api.client() });
  const args = ['bin/berth.js', 'agent', '--server', c.api.url, '--token', FAR, '--ca', join(c.dir, 'pki', 'ca.crt'), '--name', 'far', '--port', '0', '--address', '127.0.0.1', '--data-dir', dataDir, '--lease-renew-seconds', '1', '--nodeport-addresses', '127.0.0.0/8'];
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

  it("runs the Service proxy: a Service's recorded proxy port and its nodePort reach the pod", { timeout: 60_000 }, async () => {
    const run = await c.kubectl(['run', 'web', '--image=node', '--port=8080', '--restart=Never', '--overrides={"spec":{"nodeName":"far","automountServiceAccountToken":false}}', '--', 'node', '-e', APP]);
    expect(run.code, run.stderr).toBe(0);
    const expose = await c.kubectl(['expose', 'pod', 'web', '--type=NodePort', '--port=80', '--target-port=8080']);
    expect(expose.code, expose.stderr).toBe(0);
    // no allocating proxy runs here (berth up's does): record a port as it would
    const port = await freeProxyPort();
    const annotate = await c.kubectl(['annotate', 'svc', 'web', `${PROXY_PORTS_ANNOTATION}={"80/TCP":${port}}`]);
    expect(annotate.code, annotate.stderr).toBe(0);
    const nodePort = (await c.api.client().get<Service & KubeObject>(refs.services, 'web', 'default')).spec!.ports![0].nodePort!;
    for (const p of [port, nodePort]) {
      let last = '';
      await until(async () => (last = await get(p)) === 'web', 30_000, `127.0.0.1:${p} to reach pod web`).catch((e: Error) => {
        throw new Error(`${e.message}; last: ${last}; agent: ${agentOutput}`);
      });
    }
  });
});

const APP = `require('http').createServer((q,r)=>r.end(process.env.HOSTNAME)).listen(process.env.PORT)`;

async function get(port: number): Promise<string> {
  return fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } }).then((r) => r.text(), (e: Error) => e.message);
}

/** A port of the proxy range nothing listens on now. */
async function freeProxyPort(): Promise<number> {
  for (let port = 20000 + Math.floor(Math.random() * 9000); ; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer().once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
