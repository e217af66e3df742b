import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { SchedulerCache } from './cache.js';
import { podInfo } from './pod-info.js';
import { interPodAffinity } from './plugins/inter-pod-affinity.js';
import { podTopologySpread } from './plugins/pod-topology-spread.js';
import { makeNode, makePod, makeSnapshot, runFilter, runScore } from './testing.js';

const bound = (name: string, node: string, cpu = '1', extra: Partial<Pod> = {}): Pod => {
  const base = makePod({ name, cpu });
  return { ...base, ...extra, spec: { ...base.spec!, ...extra.spec, containers: base.spec!.containers, nodeName: node } };
};

describe('SchedulerCache', () => {
  it('counts bound pods on their node, and pods that arrive before their node', () => {
    const c = new SchedulerCache();
    c.upsertPod(bound('early', 'n1'));
    expect(c.nodes).toEqual([]);
    c.upsertNode(makeNode({ name: 'n1' }));
    expect(c.get('n1')!.requested.milliCPU).toBe(1000);
    c.upsertNode(makeNode({ name: 'n0' }));
    expect(c.nodes.map((n) => n.name)).toEqual(['n0', 'n1']);
  });

  it('keeps an assumed pod until the watch shows it bound, and forgets it on a failed bind', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode({ name: 'n1' }));
    const pending = makePod({ name: 'p', cpu: '1' });
    c.upsertPod(pending);
    c.assume(podInfo(pending), 'n1');
    c.upsertPod(pending); // a status write before the binding shows
    expect(c.get('n1')!.pods.map((p) => p.key)).toEqual(['default/p']);
    c.upsertPod(bound('p', 'n1'));
    expect(c.isAssumed('default/p')).toBe(false);
    expect(c.get('n1')!.requested.milliCPU).toBe(1000);

    const other = makePod({ name: 'q', cpu: '1' });
    c.assume(podInfo(other), 'n1');
    c.forget('default/q');
    expect(c.get('n1')!.requested.milliCPU).toBe(1000);
  });

  it('drops finished and deleted pods', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode({ name: 'n1' }));
    c.upsertPod(bound('a', 'n1'));
    c.upsertPod(bound('b', 'n1'));
    c.upsertPod(bound('a', 'n1', '1', { status: { phase: 'Succeeded' } }));
    c.removePod(bound('b', 'n1'));
    expect(c.get('n1')!.pods).toEqual([]);
    expect(c.get('n1')!.requested.milliCPU).toBe(0);
  });

  it('tracks nominated pods by node', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode({ name: 'n1' }));
    c.upsertPod({ ...makePod({ name: 'hi' }), status: { nominatedNodeName: 'n1' } });
    expect(c.nominated('n1').map((p) => p.key)).toEqual(['default/hi']);
    c.upsertPod(bound('hi', 'n1'));
    expect(c.nominated('n1')).toEqual([]);
  });

  it('counts foreign reservations until the pod shows up or they expire', () => {
    const c = new SchedulerCache(1000);
    c.upsertNode(makeNode({ name: 'n1' }));
    c.addForeign('n1', [{ uid: 'uid-x', requests: { milliCPU: 500, memory: 0, ephemeralStorage: 0, pods: 1 } }]);
    expect(c.get('n1')!.requested.milliCPU).toBe(500);
    c.upsertPod(bound('x', 'n1', '500m'));
    expect(c.get('n1')!.requested.milliCPU).toBe(500);
    c.addForeign('n1', [{ uid: 'uid-y', requests: { milliCPU: 300, memory: 0, ephemeralStorage: 0, pods: 1 } }]);
    c.expireForeign(Date.now() + 1000);
    expect(c.get('n1')!.requested.milliCPU).toBe(500);
  });

  it('indexes required anti-affinity terms of placed pods', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode({ name: 'n1' }));
    const anti = (name: string) => bound(name, 'n1', '1', { spec: { containers: [], affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'x' } } }] } } } });
    c.upsertPod(anti('a'));
    c.upsertPod(anti('b'));
    const x = podInfo(makePod({ labels: { app: 'x' } }));
    const terms = [...c.antiAffinityTerms(x)];
    expect(terms).toHaveLength(1); // one shared compiled term
    expect(terms[0][1].map((n) => n.name)).toEqual(['n1', 'n1']);
    // a pod without app=x cannot be selected by it
    expect(c.antiAffinityTerms(podInfo(makePod({ labels: { app: 'y' } }))).size).toBe(0);
    c.removePod(anti('a'));
    c.removePod(anti('b'));
    expect(c.antiAffinityTerms(x).size).toBe(0);
  });
});

describe('SchedulerCache spreading index', () => {
  it.each([true, false])('gives the same results as scanning the nodes, as pods come, go (and terminate: %s)', (terminate) => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const nodes = Array.from({ length: 12 }, (_, i) => makeNode({ name: `n${i}`, labels: { zone: `z${i % 3}`, ...(i % 5 === 0 ? {} : { rack: `r${i % 4}` }) } }));
    const cache = new SchedulerCache();
    for (const n of nodes) cache.upsertNode(n);
    const placed = new Map<string, Pod>();
    const spread = (name: string, key: string, when: 'DoNotSchedule' | 'ScheduleAnyway', app: string) =>
      makePod({ name, labels: { app }, spec: { containers: [], topologySpreadConstraints: [{ maxSkew: 1, topologyKey: key, whenUnsatisfiable: when, labelSelector: { matchLabels: { app } } }] } });
    const plugin = podTopologySpread();
    const affinityPlugin = interPodAffinity();
    for (let step = 0; step < 200; step++) {
      const r = rand();
      const app = `a${Math.floor(rand() * 3)}`;
      if (r < 0.6 || placed.size === 0) {
        const p = bound(`p${step}`, `n${Math.floor(rand() * 12)}`, '100m', { metadata: { name: `p${step}`, namespace: 'default', uid: `u${step}`, labels: { app } } });
        placed.set(`p${step}`, p);
        cache.upsertPod(p);
      } else if (r < 0.8 || !terminate) {
        const victim = [...placed.keys()][Math.floor(rand() * placed.size)];
        cache.removePod(placed.get(victim)!);
        placed.delete(victim);
      } else {
        const victim = [...placed.keys()][Math.floor(rand() * placed.size)];
        const p = placed.get(victim)!;
        const terminating = { ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
        placed.set(victim, terminating);
        cache.upsertPod(terminating);
      }
      const scan = makeSnapshot(nodes, Object.fromEntries(nodes.map((n) => [n.metadata!.name!, [...placed.values()].filter((p) => p.spec?.nodeName === n.metadata!.name)])));
      for (const key of ['zone', 'rack', 'kubernetes.io/hostname']) {
        const filterPod = spread('f', key, 'DoNotSchedule', app);
        expect(runFilter(plugin, filterPod, cache)).toEqual(runFilter(plugin, filterPod, scan));
        const scorePod = spread('s', key, 'ScheduleAnyway', app);
        expect(runScore(plugin, scorePod, cache)).toEqual(runScore(plugin, scorePod, scan));
        const term = { topologyKey: key, labelSelector: { matchLabels: { app } } };
        for (const affinity of [{ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } }, { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } }]) {
          const p = makePod({ name: 'a', labels: { app: 'other' }, spec: { containers: [], affinity } });
          expect(runFilter(affinityPlugin, p, cache)).toEqual(runFilter(affinityPlugin, p, scan));
        }
      }
    }
  });
});
