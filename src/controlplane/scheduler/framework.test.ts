import { describe, expect, it } from 'vitest';
import { profilesFrom } from './config.js';
import { FitError, Framework, numFeasibleNodesToFind, type Placement } from './framework.js';
import { addPod } from './node-info.js';
import { podInfo } from './pod-info.js';
import { makeNode, makePod, makeSnapshot } from './testing.js';

const framework = () => new Framework(profilesFrom()[0]);

function place(f: Framework, pod: ReturnType<typeof makePod>, snap: ReturnType<typeof makeSnapshot>): string {
  const r = f.schedule(podInfo(pod), snap);
  if (r instanceof FitError) return r.message;
  addPod(r.node, podInfo(pod));
  return r.node.name;
}

describe('numFeasibleNodesToFind', () => {
  it.each([
    [0, 50, 50],
    [0, 100, 100],
    [0, 1000, 420],
    [0, 5000, 500],
    [0, 20000, 1000],
    [0, 150, 100],
    [30, 1000, 300],
    [100, 5000, 5000],
  ])('%d%% of %d nodes → %d', (pct, n, want) => {
    expect(numFeasibleNodesToFind(pct, n)).toBe(want);
  });
});

describe('Framework', () => {
  it('says why no node fits, as kubectl users know it', () => {
    const snap = makeSnapshot([makeNode({ name: 'a', unschedulable: true }), makeNode({ name: 'b', cpu: '1' }), makeNode({ name: 'c', cpu: '1' })]);
    const r = framework().schedule(podInfo(makePod({ cpu: '2' })), snap);
    expect(r).toBeInstanceOf(FitError);
    expect((r as FitError).message).toBe('0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.');
  });

  it('counts every reason of a node and sorts the parts', () => {
    const snap = makeSnapshot([makeNode({ name: 'a', cpu: '1', memory: '1Gi' }), makeNode({ name: 'b', cpu: '1', taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] })]);
    const r = framework().schedule(podInfo(makePod({ cpu: '2', memory: '2Gi' })), snap) as FitError;
    expect(r.message).toBe('0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) had untolerated taint {k: v}.');
  });

  it('with no nodes at all says so', () => {
    expect((framework().schedule(podInfo(makePod()), makeSnapshot([])) as FitError).message).toBe('no nodes available to schedule pods');
  });

  it('30 replicas over 3 equal nodes end 10/10/10, with and without requests', () => {
    for (const cpu of [undefined, '100m']) {
      const snap = makeSnapshot(['a', 'b', 'c'].map((name) => makeNode({ name })));
      const f = framework();
      const counts: Record<string, number> = {};
      for (let i = 0; i < 30; i++) {
        const n = place(f, makePod({ cpu, labels: { app: 'web' } }), snap);
        counts[n] = (counts[n] ?? 0) + 1;
      }
      expect(counts).toEqual({ a: 10, b: 10, c: 10 });
    }
  });

  it('fills the emptier node first', () => {
    const snap = makeSnapshot([makeNode({ name: 'busy' }), makeNode({ name: 'idle' })], { busy: [makePod({ cpu: '3' })] });
    expect(place(framework(), makePod({ cpu: '500m' }), snap)).toBe('idle');
  });

  it('weights decide between plugins: TaintToleration (3) beats NodeResourcesFit (1)', () => {
    const snap = makeSnapshot([makeNode({ name: 'soft', taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }), makeNode({ name: 'busy' })], { busy: [makePod({ cpu: '2' })] });
    expect(place(framework(), makePod({ cpu: '100m' }), snap)).toBe('busy');
  });

  it('a nominated node that fits is taken at once', () => {
    const snap = makeSnapshot([makeNode({ name: 'a' }), makeNode({ name: 'b' })], { b: [makePod({ cpu: '2' })] });
    const pod = { ...makePod({ cpu: '1' }), status: { nominatedNodeName: 'b' } };
    expect((framework().schedule(podInfo(pod), snap) as Placement).node.name).toBe('b');
  });

  it('lower-priority pods do not take room nominated for a higher-priority pod', () => {
    const nodes = [makeNode({ name: 'a', cpu: '1' })];
    const nominee = podInfo(makePod({ cpu: '800m', priority: 100 }));
    const snap = { ...makeSnapshot(nodes), nominated: (n: string) => (n === 'a' ? [nominee] : []) };
    expect((framework().schedule(podInfo(makePod({ cpu: '500m', priority: 1 })), snap) as FitError).message).toBe('0/1 nodes are available: 1 Insufficient cpu.');
    expect((framework().schedule(podInfo(makePod({ cpu: '500m', priority: 100 })), snap) as FitError).message).toBe('0/1 nodes are available: 1 Insufficient cpu.');
    expect((framework().schedule(podInfo(makePod({ cpu: '500m', priority: 1000 })), snap) as Placement).node.name).toBe('a');
  });

  it('over 100 nodes stops after the feasible share and rotates where it starts', () => {
    const snap = makeSnapshot(Array.from({ length: 1000 }, (_, i) => makeNode({ name: `n${i}` })));
    const f = framework();
    const first = f.schedule(podInfo(makePod()), snap) as Placement;
    expect(first.evaluated).toBe(420);
    expect(first.feasible).toBe(420);
    const second = f.schedule(podInfo(makePod()), snap) as Placement;
    // the second cycle starts where the first stopped
    expect(Number(second.node.name.slice(1))).toBeGreaterThanOrEqual(420);
  });
});
