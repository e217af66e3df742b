/**
 * An API server on real Redis with node agents attached (pods/log served through the registry),
 * and helpers to create pods and wait for what the agent does with them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import type { Client } from '../../src/controlplane/client/client.js';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { createAgent, nodeUser, type Agent, type AgentOptions } from '../../src/agent/agent.js';
import { servePodSubresources, type PodConnectorRegistry } from '../../src/agent/connector.js';

export interface AgentCluster {
  cluster: TestCluster;
  client: Client;
  registry: PodConnectorRegistry;
  agents: Agent[];
  dataDir: string;
  addAgent(opts: Partial<AgentOptions> & { name: string }): Promise<Agent>;
  /** creates a pod bound to `node` (default: the first agent's) */
  createPod(pod: Pod, node?: string): Promise<Pod>;
  getPod(name: string): Promise<Pod | undefined>;
  /** polls the pod until `check` holds; throws with the last status when `ms` pass */
  waitPod(name: string, check: (p: Pod) => boolean, ms?: number): Promise<Pod>;
  stop(): Promise<void>;
}

/** Polls `fn` until it returns a truthy value (deadline `ms`). */
export async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Stops a `berth agent` (or other) child process with SIGTERM, which stops its pods too (SIGKILL would
 * leave them running), and waits for it to exit; SIGKILL after `ms`. A child that already exited is left.
 */
export async function stopChild(child: ChildProcess, ms = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

export async function startAgentCluster(agent: Partial<AgentOptions> & { name: string }): Promise<AgentCluster> {
  const cluster = await startCluster({ tls: true });
  const client = cluster.api.client();
  const registry = servePodSubresources(cluster.api.handler, { client });
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-agent-'));
  const agents: Agent[] = [];
  const controllers: AbortController[] = [];
  const addAgent = async (o: Partial<AgentOptions> & { name: string }) => {
    const a = createAgent({
      client: cluster.api.client(nodeUser(o.name), 'berth-agent'),
      runtime: 'process',
      dataDir: join(dataDir, o.name),
      connectors: registry,
      process: { backoffBaseMs: 200, backoffMaxMs: 2000, volumeRefreshMs: 300 },
      sim: { backoffBaseMs: 200, backoffMaxMs: 2000 },
      leaseRenewMs: 1000,
      ...o,
    });
    const ac = new AbortController();
    await a.start(ac.signal);
    agents.push(a);
    controllers.push(ac);
    return a;
  };
  await addAgent(agent);
  const getPod = (name: string) => client.find<Pod & KubeObject>(refs.pods, name, 'default');
  return {
    cluster,
    client,
    registry,
    agents,
    dataDir,
    addAgent,
    async createPod(pod, node) {
      const obj = { apiVersion: 'v1', kind: 'Pod', ...pod, metadata: { namespace: 'default', ...pod.metadata }, spec: { nodeName: node ?? agent.name, ...pod.spec } };
      return client.create(refs.pods, obj as Pod & KubeObject);
    },
    getPod,
    async waitPod(name, check, ms = 15_000) {
      let last: Pod | undefined;
      try {
        return await until(async () => {
          last = await getPod(name);
          return last && check(last) ? last : undefined;
        }, ms, `pod ${name}`);
      } catch (e) {
        throw new Error(`${(e as Error).message}; last status: ${JSON.stringify(last?.status)}`);
      }
    },
    async stop() {
      for (const c of controllers) c.abort();
      await Promise.all(agents.map((a) => a.stopped()));
      await cluster.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function containerStatus(p: Pod, name?: string) {
  return name ? p.status?.containerStatuses?.find((c) => c.name === name) : p.status?.containerStatuses?.[0];
}

export function condition(p: Pod, type: string): string | undefined {
  return p.status?.conditions?.find((c) => c.type === type)?.status;
}

/**
 * Runs kubectl on a terminal of its own (under util-linux `script`), `rows`×`cols` at the start,
 * with `input` typed into it; `resize` changes that terminal's size, which kubectl sees as SIGWINCH.
 */
export function kubectlOnTerminal(c: AgentCluster, args: string[], rows: number, cols: number) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tty-'));
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const kubectl = ['kubectl', '--kubeconfig', c.cluster.kubeconfig, '--cache-dir', join(c.cluster.dir, 'kube-cache'), ...args].map(quote).join(' ');
  const child = spawn('script', ['-q', '-f', '-e', '-c', `tty > ${join(dir, 'tty')}; stty rows ${rows} cols ${cols}; exec ${kubectl}`, '/dev/null'], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  return {
    output: () => out,
    type: (text: string) => child.stdin!.write(text),
    resize: async (r: number, cl: number) => {
      const tty = await until(() => readFileSync(join(dir, 'tty'), 'utf8').trim() || undefined, 10_000, 'the terminal of kubectl');
      const stty = spawn('stty', ['-F', tty, 'rows', String(r), 'cols', String(cl)]);
      await new Promise((resolve) => stty.once('close', resolve));
    },
    stop: () => {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Collects the back-off delays (`10s`, `200ms`, …) a pod's CrashLoopBackOff messages announce, from
 * a watch of pod `name` in default; `stop` ends the watch and returns them in the order seen.
 */
export function watchBackOffDelays(c: AgentCluster, name: string): { stop: () => Promise<string[]> } {
  const delays = new Set<string>();
  const ac = new AbortController();
  const watching = (async () => {
    for await (const ev of c.client.watch<Pod & KubeObject>(refs.pods, { namespace: 'default', fieldSelector: `metadata.name=${name}`, signal: ac.signal })) {
      const w = containerStatus(ev.object)?.state?.waiting;
      if (w?.reason === 'CrashLoopBackOff') delays.add(w.message!.split(' ')[1]);
    }
  })();
  return {
    stop: async () => {
      ac.abort();
      await watching;
      return [...delays];
    },
  };
}
