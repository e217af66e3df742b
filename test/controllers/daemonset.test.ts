/**
 * DaemonSet controller against a real API server and redis: ds-ssd-monitor.yaml runs one pod on each
 * node labelled disk=ssd (also one that joins later), pods leave nodes that lose the label, and a
 * template change rolls through the nodes within maxUnavailable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { daemonSetController } from '../../src/controlplane/controllers/daemonset-controller.js';
import { isReady } from '../../src/controlplane/resources/pod-state.js';
import { daemonPodNode } from '../../src/controlplane/controllers/daemonset.js';
import { REVISION_HASH_LABEL } from '../../src/controlplane/controllers/controller-revision.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { listPods, markReady, namespace, startEnv, waitUntil, type Env } from './helpers.js';

const SEEDS = join(import.meta.dirname, '../../../shared/fixtures/seed-manifests');

let env: Env;
beforeAll(async () => {
  env = await startEnv({ controllers: [daemonSetController()] });
});
afterAll(async () => {
  await env?.stop();
});

function node(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: {} };
}

async function daemonPods(ns: string, app: string, want: (pods: Pod[]) => boolean, what: string): Promise<Pod[]> {
  return waitUntil(env.admin, refs.pods, ns, async () => {
    const pods = (await listPods(env.admin, ns, `app=${app}`)).filter((p) => !p.metadata?.deletionTimestamp) as Pod[];
    return want(pods) ? pods : undefined;
  }, what);
}

const nodesOf = (pods: Pod[]) => pods.map((p) => daemonPodNode(p)).sort();

describe('DaemonSet controller', () => {
  it('ds-ssd-monitor: one pod per disk=ssd node, a node joining later gets one, a relabelled node loses it', async () => {
    const ns = await namespace(env.admin, 'ds-ssd');
    await env.admin.create(refs.nodes, node('ssd-1', { disk: 'ssd' }));
    await env.admin.create(refs.nodes, node('hdd-1', { disk: 'hdd' }));
    const manifest = parse(readFileSync(join(SEEDS, 'ds-ssd-monitor.yaml'), 'utf8')) as KubeObject;
    const ds = await env.admin.create<KubeObject>(refs.daemonsets, manifest, { namespace: ns });

    let pods = await daemonPods(ns, 'ssd-monitor', (p) => p.length === 1, 'a pod on ssd-1');
    expect(nodesOf(pods)).toEqual(['ssd-1']);
    const p0 = pods[0];
    expect(p0.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ssd-monitor', uid: ds.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    expect(p0.metadata?.labels?.[REVISION_HASH_LABEL]).toBeTruthy();
    expect(p0.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['ssd-1'] }] }]);
    expect(p0.spec?.tolerations?.map((t) => t.key)).toEqual(expect.arrayContaining(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable', 'node.kubernetes.io/unschedulable']));

    await env.admin.create(refs.nodes, node('ssd-2', { disk: 'ssd' }));
    pods = await daemonPods(ns, 'ssd-monitor', (p) => p.length === 2, 'a pod on the joining node ssd-2');
    expect(nodesOf(pods)).toEqual(['ssd-1', 'ssd-2']);

    const revs = await env.admin.list(refs.controllerrevisions, { namespace: ns });
    expect(revs.items.map((r) => (r as { revision?: number }).revision)).toEqual([1]);

    await Promise.all(pods.map((p) => markReady(env.admin, p as never)));
    await waitUntil(env.admin, refs.daemonsets, ns, async () => {
      const cur = await env.admin.get<{ status?: Record<string, number> }>(refs.daemonsets, 'ssd-monitor', ns);
      const s = cur.status ?? {};
      return s.desiredNumberScheduled === 2 && s.currentNumberScheduled === 2 && s.numberReady === 2 && s.numberAvailable === 2 && s.updatedNumberScheduled === 2 && s.numberMisscheduled === 0 && s.observedGeneration === 1;
    }, 'status 2/2 ready');

    await env.admin.patch(refs.nodes, 'ssd-2', 'merge', { metadata: { labels: { disk: null } } });
    pods = await daemonPods(ns, 'ssd-monitor', (p) => p.length === 1, 'the pod leaves ssd-2');
    expect(nodesOf(pods)).toEqual(['ssd-1']);
  });

  it('rolls a template change through the nodes, never more than maxUnavailable down', async () => {
    const ns = await namespace(env.admin, 'ds-roll');
    for (const n of ['roll-a', 'roll-b', 'roll-c']) await env.admin.create(refs.nodes, node(n, { pool: 'roll' }));
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { nodeSelector: { pool: 'roll' }, containers: [{ name: 'c', image: 'agent:1' }] } },
      },
    };
    await env.admin.create(refs.daemonsets, ds);
    const first = await daemonPods(ns, 'agent', (p) => p.length === 3, '3 agents');
    await Promise.all(first.map((p) => markReady(env.admin, p as never)));
    const hash1 = first[0].metadata?.labels?.[REVISION_HASH_LABEL];

    await env.admin.patch(refs.daemonsets, 'agent', 'merge', { spec: { template: { spec: { containers: [{ name: 'c', image: 'agent:2' }] } } } }, { namespace: ns });
    // play the node agent: mark new pods ready, and check at every step that at most one node lacks an available pod
    let minAvailable = 3;
    await waitUntil(env.admin, refs.pods, ns, async () => {
      const pods = (await listPods(env.admin, ns, 'app=agent')).filter((p) => !p.metadata?.deletionTimestamp) as Pod[];
      const ready = pods.filter(isReady);
      minAvailable = Math.min(minAvailable, new Set(ready.map(daemonPodNode)).size);
      for (const p of pods) if (!ready.includes(p)) await markReady(env.admin, p as never);
      return pods.length === 3 && pods.every((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] !== hash1) && ready.length === 3;
    }, 'all agents at the new revision');
    expect(minAvailable).toBeGreaterThanOrEqual(2);
    const revs = await env.admin.list(refs.controllerrevisions, { namespace: ns });
    expect(revs.items.map((r) => (r as { revision?: number }).revision).sort()).toEqual([1, 2]);
  });
});
