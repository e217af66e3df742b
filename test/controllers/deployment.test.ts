/**
 * Deployments against a real API server and redis: rolling updates checked at every observed state
 * (never more than replicas+maxSurge pods, never fewer than replicas−maxUnavailable available),
 * Recreate, history cleanup and the progress deadline. Pods are made Ready by the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { Deployment, ReplicaSet } from '../../src/controlplane/controllers/deployment-rollout.js';
import { isReady as ready, type PodObject as Pod } from '../../src/controlplane/resources/pod-state.js';
import { autoReady, deploymentManifest, markReady, namespace, startEnv, waitUntil, type Env } from './helpers.js';

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await env?.stop();
});


function complete(d: Deployment, image: string): boolean {
  const s = d.status ?? {};
  const want = d.spec.replicas ?? 1;
  const img = (d.spec.template?.spec as { containers: { image: string }[] }).containers[0].image;
  return img === image && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && s.updatedReplicas === want && s.replicas === want && s.availableReplicas === want;
}

async function waitComplete(ns: string, name: string, image: string): Promise<Deployment> {
  return waitUntil(env.admin, refs.deployments, ns, async () => {
    const d = await env.admin.get<Deployment>(refs.deployments, name, ns);
    return complete(d, image) ? d : undefined;
  }, `${name} complete with ${image}`);
}

/**
 * Rolls `name` to `image` while watching its pods. At every event: counts pods and Ready pods, checks
 * the bounds, then marks at most one not-ready pod Ready (so the rollout moves in small steps).
 */
async function rollAndCheck(ns: string, name: string, image: string, bounds: { max: number; minAvailable: number; exclusive?: boolean }): Promise<{ states: number; maxSeen: number; minAvailableSeen: number }> {
  const pods = new Map<string, Pod>();
  const replicas = (await env.admin.get<Deployment>(refs.deployments, name, ns)).spec.replicas ?? 1;
  const list = await env.admin.list<Pod>(refs.pods, { namespace: ns });
  for (const p of list.items) pods.set(p.metadata!.name!, p);
  const ac = new AbortController();
  let states = 0;
  let maxSeen = 0;
  let minAvailableSeen = Infinity;
  await env.admin.patch(refs.deployments, name, 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } }, { namespace: ns });
  const timer = setTimeout(() => ac.abort(), 25_000);
  try {
    for await (const ev of env.admin.watch<Pod>(refs.pods, { namespace: ns, resourceVersion: list.metadata.resourceVersion, signal: ac.signal })) {
      if (ev.type === 'DELETED') pods.delete(ev.object.metadata!.name!);
      else pods.set(ev.object.metadata!.name!, ev.object);
      const all = [...pods.values()];
      const images = new Set(all.map((p) => (p.spec as { containers: { image: string }[] }).containers[0].image));
      states++;
      if (process.env.BERTH_TEST_LOG) console.log(states, ev.type, ev.object.metadata?.name, all.map((p) => `${p.metadata?.name}${ready(p) ? '+' : '-'}`).join(' '));
      maxSeen = Math.max(maxSeen, all.length);
      const available = all.filter(ready).length;
      minAvailableSeen = Math.min(minAvailableSeen, available);
      expect(all.length, `pods at state ${states}`).toBeLessThanOrEqual(bounds.max);
      expect(available, `available pods at state ${states}`).toBeGreaterThanOrEqual(bounds.minAvailable);
      if (bounds.exclusive) expect(images.size, `old and new pods together at state ${states}`).toBeLessThanOrEqual(1);
      const next = all.find((p) => !ready(p) && !p.metadata?.deletionTimestamp);
      if (next) await markReady(env.admin, next);
      if (all.length === replicas && all.every((p) => ready(p) && (p.spec as { containers: { image: string }[] }).containers[0].image === image)) break;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  await waitComplete(ns, name, image);
  return { states, maxSeen, minAvailableSeen };
}

async function deploy(ns: string, name: string, replicas: number, strategy: object = {}, image = 'nginx:1'): Promise<void> {
  const stop = autoReady(env.admin, ns);
  await env.admin.create(refs.deployments, deploymentManifest(name, ns, replicas, image, strategy));
  await waitComplete(ns, name, image);
  stop();
}

describe('Deployment controller', () => {
  it('rolls out maxSurge 1 / maxUnavailable 1 within bounds at every observed state', async () => {
    const ns = await namespace(env.admin, 'roll-num');
    await deploy(ns, 'web', 4, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } });
    const r = await rollAndCheck(ns, 'web', 'nginx:2', { max: 5, minAvailable: 3 });
    expect(r.states).toBeGreaterThan(8);
    const d = await env.admin.get<Deployment>(refs.deployments, 'web', ns);
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    const rss = (await env.admin.list<ReplicaSet>(refs.replicasets, { namespace: ns })).items;
    expect(rss.map((rs) => [rs.metadata?.annotations?.['deployment.kubernetes.io/revision'], rs.spec.replicas]).sort()).toEqual([['1', 0], ['2', 4]]);
    for (const rs of rss) expect(rs.metadata?.name).toBe(`web-${rs.metadata?.labels?.['pod-template-hash']}`);
  });

  it('rolls out with percentages (10 replicas, 30% surge rounds up to 3, 25% unavailable rounds down to 2)', async () => {
    const ns = await namespace(env.admin, 'roll-pct');
    await deploy(ns, 'web', 10, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '30%', maxUnavailable: '25%' } });
    const r = await rollAndCheck(ns, 'web', 'nginx:2', { max: 13, minAvailable: 8 });
    expect(r.maxSeen).toBe(13);
  });

  it('rolls out with maxUnavailable 0 without ever losing availability', async () => {
    const ns = await namespace(env.admin, 'roll-zero');
    await deploy(ns, 'web', 3, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const r = await rollAndCheck(ns, 'web', 'nginx:2', { max: 4, minAvailable: 3 });
    expect(r.minAvailableSeen).toBe(3);
  });

  it('Recreate removes every old pod before creating new ones', async () => {
    const ns = await namespace(env.admin, 'recreate');
    await deploy(ns, 'web', 3, { type: 'Recreate' });
    await rollAndCheck(ns, 'web', 'nginx:2', { max: 3, minAvailable: 0, exclusive: true });
  });

  it('keeps revisionHistoryLimit old ReplicaSets', async () => {
    const ns = await namespace(env.admin, 'history');
    const stop = autoReady(env.admin, ns);
    const m = deploymentManifest('web', ns, 1, 'nginx:1');
    (m.spec as { revisionHistoryLimit?: number }).revisionHistoryLimit = 1;
    await env.admin.create(refs.deployments, m);
    await waitComplete(ns, 'web', 'nginx:1');
    for (const image of ['nginx:2', 'nginx:3', 'nginx:4']) {
      await env.admin.patch(refs.deployments, 'web', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } }, { namespace: ns });
      await waitComplete(ns, 'web', image);
    }
    const rss = await waitUntil(env.admin, refs.replicasets, ns, async () => {
      const items = (await env.admin.list<ReplicaSet>(refs.replicasets, { namespace: ns })).items;
      return items.length === 2 ? items : undefined;
    }, 'history pruned to 1 old ReplicaSet');
    expect(rss.map((rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision']).sort()).toEqual(['3', '4']);
    stop();
  });

  it('reports ProgressDeadlineExceeded when pods never become ready', async () => {
    const ns = await namespace(env.admin, 'deadline');
    const m = deploymentManifest('web', ns, 1);
    (m.spec as { progressDeadlineSeconds?: number }).progressDeadlineSeconds = 1;
    await env.admin.create(refs.deployments, m);
    const d = await waitUntil(env.admin, refs.deployments, ns, async () => {
      const d = await env.admin.get<Deployment>(refs.deployments, 'web', ns);
      return d.status?.conditions?.some((c) => c.type === 'Progressing' && c.status === 'False') ? d : undefined;
    }, 'Progressing=False');
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ reason: 'ProgressDeadlineExceeded' });
  });
});
