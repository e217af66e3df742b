/**
 * A cluster for sync tests: real API + redis (test harness), the controller manager (Deployments and
 * ReplicaSets) and the sync Runnable with a short poll, plus helpers to create Applications and wait
 * for their status through watches.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTROLLER_MANAGER_USER, createControllerManager } from '../../src/controlplane/controllers/index.js';
import { ADMIN_USER } from '../../src/policy/authn/tokens.js';
import { applicationsRef, type SyncEngines } from '../../src/sync/app/application-controller.js';
import type { Application } from '../../src/sync/app/types.js';
import { createSync, SYNC_USER, type Sync } from '../../src/sync/sync.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import type { Client, ResourceRef } from '../../src/controlplane/client/client.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import type { Runnable } from '../../src/controlplane/runtime/runnable.js';
import { createScheduler, SCHEDULER_USER } from '../../src/controlplane/scheduler/scheduler.js';
import { createSimNodes, nodeUser } from '../../src/agent/agent.js';
import { defaultStages } from '../../src/agent/runtime/sim/stages.js';

export interface SyncCluster {
  cluster: TestCluster;
  admin: Client;
  sync: Sync;
  /** the sync data dir (git caches, webhook info) */
  dataDir: string;
  createApp(name: string, spec: Application['spec'], namespace?: string): Promise<void>;
  /** resolves with the Application once `pred` holds (watch-driven) */
  waitApp(name: string, pred: (a: Application) => boolean, namespace?: string): Promise<Application>;
  /** resolves with the object once `pred` holds (watch-driven; `pred` sees undefined while it does not exist) */
  waitFor<T extends KubeObject>(ref: ResourceRef, name: string, pred: (o: T | undefined) => boolean, namespace?: string): Promise<T | undefined>;
  stop(): Promise<void>;
}

export interface SyncClusterOptions {
  engines?: SyncEngines;
  /** a scheduler and a sim node whose pods run at once and whose Job pods finish after `jobMs` (default 300) */
  simNode?: { jobMs?: number };
}

export async function startSyncCluster(opts: SyncClusterOptions = {}): Promise<SyncCluster> {
  const cluster = await startCluster({ tls: true });
  const admin = cluster.api.client(ADMIN_USER, 'test');
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-sync-'));
  const ac = new AbortController();
  const cm = createControllerManager({ client: (ua) => cluster.api.client(CONTROLLER_MANAGER_USER, ua), redisUrl: cluster.redis.url, log: () => {} });
  await cm.start(ac.signal);
  const extra: Runnable[] = [];
  if (opts.simNode) {
    extra.push(createScheduler({ client: cluster.api.client(SCHEDULER_USER, 'default-scheduler'), redisUrl: cluster.redis.url, prefix: 'sched' }));
    extra.push(createSimNodes({ client: cluster.api.client(nodeUser('sim'), 'berth-agent'), clientFor: (n) => cluster.api.client(nodeUser(n), 'berth-agent'), count: 1, namePrefix: 'sim-', leaseRenewMs: 2_000, sim: { stages: defaultStages({ completeAfterMs: opts.simNode.jobMs ?? 300 }) } }));
    for (const r of extra) await r.start(ac.signal);
  }
  const sync = createSync({ client: (ua) => cluster.api.client(SYNC_USER, ua), redisUrl: cluster.redis.url, dataDir, engines: opts.engines, pollIntervalMs: 60_000, backoff: { baseMs: 200, maxMs: 2_000 } });
  await sync.start(ac.signal);
  async function waitFor<T extends KubeObject>(ref: ResourceRef, name: string, pred: (o: T | undefined) => boolean, namespace?: string): Promise<T | undefined> {
    const watchAc = new AbortController();
    const opts = { namespace: ref.namespaced ? namespace ?? 'default' : undefined, fieldSelector: `metadata.name=${name}` };
    try {
      for (;;) {
        const list = await admin.list<T>(ref, opts);
        const cur = list.items[0];
        if (pred(cur)) return cur;
        for await (const ev of admin.watch<T>(ref, { ...opts, resourceVersion: list.metadata.resourceVersion, signal: watchAc.signal, timeoutSeconds: 5 })) {
          if (ev.type === 'DELETED' && pred(undefined)) return undefined;
          if ((ev.type === 'ADDED' || ev.type === 'MODIFIED') && pred(ev.object)) return ev.object;
        }
      }
    } finally {
      watchAc.abort();
    }
  }
  return {
    cluster,
    admin,
    sync,
    dataDir,
    async createApp(name, spec, namespace = 'default') {
      await admin.create(applicationsRef, { apiVersion: 'berth.dev/v1alpha1', kind: 'Application', metadata: { name, namespace }, spec });
    },
    async waitApp(name, pred, namespace = 'default') {
      return (await waitFor<Application>(applicationsRef, name, (a) => !!a && pred(a), namespace))!;
    },
    waitFor,
    async stop() {
      ac.abort();
      await Promise.all([cm.stopped(), sync.stopped(), ...extra.map((r) => r.stopped())]);
      await cluster.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function deployment(name: string, replicas: number, extra: Record<string, unknown> = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
        - name: main
          image: ${(extra.image as string) ?? 'busybox'}
`;
}

export function configMap(name: string, data: Record<string, string> = { a: '1' }): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
data:
${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}
`;
}

/** Runs the berth CLI against `kubeconfig` (asynchronously: a push hook may call back into this process). */
export function berthCLI(kubeconfig: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/berth.js', ...args], { env: { ...process.env, KUBECONFIG: kubeconfig } }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
  });
}

/** `git push -q ARGS` in `cwd`, asynchronously: the hook calls the webhook served by this process, so a blocking push would deadlock. */
export function gitPush(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('git', ['push', '-q', ...args], { cwd }, (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout + stderr))));
}
