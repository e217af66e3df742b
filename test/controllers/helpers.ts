/**
 * Shared set-up for controller tests: a real API server and redis (startCluster), a controller-manager
 * on them with a fresh queue prefix, waiting for a condition by watching (no sleeps), and marking pods
 * Running/Ready in place of a node agent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Client } from '../../src/controlplane/client/client.js';
import { refs } from '../../src/controlplane/client/refs.js';
import { createControllerManager, CONTROLLER_MANAGER_USER, defaultControllers, type ControllerManager } from '../../src/controlplane/controllers/index.js';
import type { Controller } from '../../src/controlplane/controllers/runtime/controller.js';
import { isReady, type PodObject as Pod } from '../../src/controlplane/resources/pod-state.js';
import { ADMIN_USER } from '../../src/policy/authn/tokens.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';

export interface Env {
  cluster: TestCluster;
  admin: Client;
  manager: ControllerManager & { stop(): Promise<void> };
  prefix: string;
  stop(): Promise<void>;
}

export function newPrefix(): string {
  return `{t${randomBytes(4).toString('hex')}}`;
}

/** Starts a manager; `stop()` on the result stops it gracefully (waits for reconciles under way). */
export async function startManager(cluster: TestCluster, prefix: string, controllers: Controller[] = defaultControllers(), lockDurationMs?: number): Promise<ControllerManager & { stop(): Promise<void> }> {
  const manager = createControllerManager({
    client: (ua) => cluster.api.client(CONTROLLER_MANAGER_USER, ua),
    redisUrl: cluster.redis.url,
    prefix,
    controllers,
    lockDurationMs,
    log: process.env.BERTH_TEST_LOG ? (l) => console.log(l) : undefined,
  });
  const ac = new AbortController();
  await manager.start(ac.signal);
  return Object.assign(manager, {
    async stop() {
      ac.abort();
      await manager.stopped();
    },
  });
}

export async function startEnv(opts: { tls?: boolean; controllers?: Controller[] } = {}): Promise<Env> {
  const cluster = await startCluster({ tls: opts.tls });
  const prefix = newPrefix();
  const manager = await startManager(cluster, prefix, opts.controllers);
  return {
    cluster,
    admin: cluster.api.client(ADMIN_USER, 'test'),
    manager,
    prefix,
    async stop() {
      await manager.stop();
      await cluster.stop();
    },
  };
}

/**
 * Resolves when `check` returns something truthy, re-checking after every change of `ref` objects in
 * `namespace` (a watch) and every 100 ms (for state the watch does not show); rejects after
 * `timeoutMs` with `what`.
 */
export async function waitUntil<T>(client: Client, ref: Parameters<Client['watch']>[0], namespace: string | undefined, check: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const ac = new AbortController();
  const deadline = setTimeout(() => ac.abort(), timeoutMs);
  let wake: (() => void) | undefined;
  const tick = setInterval(() => wake?.(), 100);
  const watching = (async () => {
    try {
      for await (const _ of client.watch(ref, { namespace, signal: ac.signal })) wake?.();
    } catch {
      // the cluster stopped; the interval keeps checking until the deadline
    }
  })();
  try {
    while (!ac.signal.aborted) {
      const v = await check();
      if (v) return v;
      await new Promise<void>((r) => {
        wake = r;
        ac.signal.addEventListener('abort', () => r(), { once: true });
      });
    }
    const last = await check();
    if (last) return last;
    throw new Error(`timed out waiting for ${what}`);
  } finally {
    clearTimeout(deadline);
    clearInterval(tick);
    ac.abort();
    await watching;
  }
}

export async function listPods(client: Client, namespace: string, labelSelector?: string): Promise<Pod[]> {
  return (await client.list<Pod>(refs.pods, { namespace, labelSelector })).items;
}

/** Marks a pod Running and Ready now, as a node agent would. */
export async function markReady(client: Client, pod: Pod, ready = true): Promise<void> {
  const now = new Date().toISOString();
  const status = {
    phase: 'Running',
    podIP: pod.status?.podIP ?? `10.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`,
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }],
  };
  try {
    await client.patch(refs.pods, pod.metadata?.name ?? '', 'merge', { status }, { namespace: pod.metadata?.namespace, subresource: 'status' });
  } catch (e) {
    if ((e as { reason?: string }).reason !== 'NotFound') throw e;
  }
}

/** Marks every pod in `namespace` that is not yet Ready as Ready. */
export async function readyAll(client: Client, namespace: string): Promise<number> {
  const pods = (await listPods(client, namespace)).filter((p) => !p.metadata?.deletionTimestamp && !isReady(p));
  await Promise.all(pods.map((p) => markReady(client, p)));
  return pods.length;
}

export function rsManifest(name: string, replicas: number, labels: Record<string, string> = { app: name }) {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  };
}

/** A namespace for one test. */
export async function namespace(client: Client, name: string): Promise<string> {
  await client.create(refs.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

/**
 * Plays the node agent for `namespace`: every pod that appears is marked Running and Ready. Returns
 * a stop function.
 */
export function autoReady(client: Client, ns: string): () => void {
  const ac = new AbortController();
  void (async () => {
    while (!ac.signal.aborted) {
      try {
        const list = await client.list<Pod>(refs.pods, { namespace: ns });
        await Promise.all(list.items.filter((p) => !isReady(p) && !p.metadata?.deletionTimestamp).map((p) => markReady(client, p)));
        for await (const ev of client.watch<Pod>(refs.pods, { namespace: ns, resourceVersion: list.metadata.resourceVersion, signal: ac.signal })) {
          if ((ev.type === 'ADDED' || ev.type === 'MODIFIED') && !isReady(ev.object) && !ev.object.metadata?.deletionTimestamp) await markReady(client, ev.object);
        }
      } catch {
        // the cluster is stopping, or a watch ended: list again
      }
    }
  })();
  return () => ac.abort();
}

export function deploymentManifest(name: string, ns: string, replicas: number, image = 'nginx:1', strategy: object = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: { replicas, strategy, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } } },
  };
}

/**
 * Starts `berth controller-manager` as a child process against `cluster` with `args` (a `--prefix`
 * of its own among them) and resolves once it says its controllers run; rejects with its output if
 * it exits first.
 */
export function spawnControllerManager(cluster: TestCluster, args: string[]): Promise<{ child: ChildProcess; out: () => string }> {
  const p = spawn(process.execPath, ['bin/berth.js', 'controller-manager', '--server', cluster.api.url, '--token', cluster.token, '--redis-url', cluster.redis.url, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('running')) resolve({ child: p, out: () => out });
    });
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => reject(new Error(`controller-manager exited (${code}): ${out}`)));
  });
}
