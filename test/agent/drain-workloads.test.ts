/**
 * `kubectl drain` against workloads run by their controllers on process agents: DaemonSet pods
 * stop a drain unless --ignore-daemonsets is given, and then stay on the node while the other pods
 * are evicted and replaced elsewhere; a PodDisruptionBudget with maxUnavailable holds an eviction
 * back (429) until the evicted pod's replacement is ready.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import { daemonSetController } from '../../src/controlplane/controllers/daemonset-controller.js';
import { deploymentController } from '../../src/controlplane/controllers/deployment.js';
import { disruptionController } from '../../src/controlplane/controllers/disruption-controller.js';
import { garbageCollector } from '../../src/controlplane/controllers/garbage-collector.js';
import { replicaSetController } from '../../src/controlplane/controllers/replicaset.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { condition, until } from './agent-harness.js';
import { startStack, type StackCluster } from './stack-harness.js';

let c: StackCluster;

beforeAll(async () => {
  c = await startStack(['node-1', 'node-2'], [daemonSetController(), deploymentController(), replicaSetController(), disruptionController(), garbageCollector()]);
});
afterAll(async () => {
  await c?.stop();
});

const podSpec = { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1000'] }] };

function workload(kind: 'Deployment' | 'DaemonSet', name: string, replicas?: number) {
  const api = { apiVersion: 'apps/v1', kind, metadata: { name } };
  const template = { metadata: { labels: { app: name } }, spec: podSpec };
  return { ...api, spec: { ...(replicas !== undefined && { replicas }), selector: { matchLabels: { app: name } }, template } };
}

async function apply(obj: unknown): Promise<void> {
  const r = await c.cluster.kubectl(['apply', '-f', '-'], JSON.stringify(obj));
  expect(r.code, r.stderr).toBe(0);
}

async function podsOf(app: string): Promise<Pod[]> {
  return (await c.client.list<Pod>(refs.pods, { namespace: 'default', labelSelector: `app=${app}` })).items;
}

const healthy = (p: Pod) => !p.metadata?.deletionTimestamp && condition(p, 'Ready') === 'True';

/** Waits until `app` has `n` ready pods, all on `node` when given. */
async function readyPods(app: string, n: number, node?: string): Promise<Pod[]> {
  let last: Pod[] = [];
  return until(async () => {
    last = await podsOf(app);
    const ok = last.length === n && last.every(healthy) && (!node || last.every((p) => p.spec?.nodeName === node));
    return ok ? last : undefined;
  }, 45_000, `${n} ready pods of ${app}${node ? ` on ${node}` : ''}`).catch((e: Error) => {
    throw new Error(`${e.message}; pods: ${last.map((p) => `${p.metadata?.name}@${p.spec?.nodeName}:${p.status?.phase}${p.metadata?.deletionTimestamp ? '(deleting)' : ''}`).join(' ')}`);
  });
}

describe('drain with workloads', () => {
  it('refuses DaemonSet pods without --ignore-daemonsets, naming them; with it, keeps them and evicts the rest', { timeout: 120_000 }, async () => {
    await apply(workload('DaemonSet', 'agent'));
    const daemons = await readyPods('agent', 2);
    const onNode1 = daemons.find((p) => p.spec?.nodeName === 'node-1')!;
    expect(onNode1).toBeDefined();
    // the web pods start on node-1 only
    expect((await c.cluster.kubectl(['cordon', 'node-2'])).code).toBe(0);
    await apply(workload('Deployment', 'web', 2));
    await readyPods('web', 2, 'node-1');
    expect((await c.cluster.kubectl(['uncordon', 'node-2'])).code).toBe(0);

    const refused = await c.cluster.kubectl(['drain', 'node-1', '--timeout=30s']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/${onNode1.metadata?.name}`);
    // nothing was evicted
    expect((await podsOf('web')).filter(healthy).map((p) => p.spec?.nodeName)).toEqual(['node-1', 'node-1']);

    const drain = await c.cluster.kubectl(['drain', 'node-1', '--ignore-daemonsets', '--timeout=60s']);
    expect(drain.code, drain.stderr).toBe(0);
    expect(drain.stderr).toContain(`Warning: ignoring DaemonSet-managed Pods: default/${onNode1.metadata?.name}`);
    expect(drain.stdout).toContain('node/node-1 drained');
    expect(drain.stdout).not.toContain(`pod/${onNode1.metadata?.name} evicted`);
    // the Deployment's pods are replaced on node-2; the DaemonSet pod on node-1 is the same one, still running
    await readyPods('web', 2, 'node-2');
    const after = await c.getPod(onNode1.metadata!.name!);
    expect(after?.metadata?.uid).toBe(onNode1.metadata?.uid);
    expect(healthy(after!)).toBe(true);
    expect(after?.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect((await c.cluster.kubectl(['uncordon', 'node-1'])).code).toBe(0);
  });

  it('holds an eviction back under a maxUnavailable budget (429) until the replacement is ready', { timeout: 150_000 }, async () => {
    expect((await c.cluster.kubectl(['cordon', 'node-2'])).code).toBe(0);
    await apply(workload('Deployment', 'guarded', 2));
    const first = await readyPods('guarded', 2, 'node-1');
    expect((await c.cluster.kubectl(['uncordon', 'node-2'])).code).toBe(0);
    await apply({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'guarded' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'guarded' } } } });
    await until(async () => {
      const b = await c.client.find<PodDisruptionBudget & KubeObject>(refs.poddisruptionbudgets, 'guarded', 'default');
      return b?.status?.disruptionsAllowed === 1 && b.status.currentHealthy === 2;
    }, 30_000, 'the budget to allow one disruption');

    // the fewest healthy pods seen at any write while the drain runs: the budget keeps it at 1
    let fewest = Infinity;
    const ac = new AbortController();
    const pods = new Map<string, Pod>();
    const watching = (async () => {
      for await (const ev of c.client.watch<Pod & KubeObject>(refs.pods, { namespace: 'default', labelSelector: 'app=guarded', signal: ac.signal })) {
        if (ev.type === 'DELETED') pods.delete(ev.object.metadata!.name!);
        else pods.set(ev.object.metadata!.name!, ev.object);
        fewest = Math.min(fewest, [...pods.values()].filter(healthy).length);
      }
    })().catch((e: Error) => {
      if (e.name !== 'AbortError') throw e;
    });

    const drain = await c.cluster.kubectl(['drain', 'node-1', '--ignore-daemonsets', '--timeout=90s']);
    ac.abort();
    await watching;
    expect(drain.code, drain.stderr).toBe(0);
    // both evictions were asked for at once; one was refused with 429 and retried
    expect(drain.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    for (const p of first) expect(drain.stdout).toContain(`pod/${p.metadata?.name} evicted`);
    expect(fewest).toBe(1);
    const now = await readyPods('guarded', 2, 'node-2');
    expect(now.map((p) => p.metadata?.name)).not.toEqual(expect.arrayContaining(first.map((p) => p.metadata?.name)));
  });
});
