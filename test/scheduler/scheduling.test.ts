/**
 * The scheduler against a real API server: seed manifests land where their selectors and
 * tolerations allow, cordon keeps pods off, replicas spread evenly, and pods that fit nowhere say why.
 */
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { boundNode, createNode, getPod, pod, scheduledCondition, seed, startSchedulerEnv, until, type SchedulerEnv } from './helpers.js';

let env: SchedulerEnv;

beforeEach(async () => {
  env = await startSchedulerEnv();
});

afterEach(async () => {
  await env.stop();
});

describe('scheduler', () => {
  it('keeps the seed pod with nodeSelector super=true Pending with the reason, then binds it once a node is labelled', async () => {
    const { admin } = env;
    for (const n of ['node-1', 'node-2', 'node-3']) await createNode(admin, n);
    await admin.create(refs.pods, seed('pod-kubia-manual.yaml') as KubeObject, { namespace: 'default' });
    const cond = await until('Unschedulable condition', async () => {
      const c = scheduledCondition(await getPod(admin, 'kubia-manual'));
      return c?.status === 'False' ? c : undefined;
    });
    expect(cond).toMatchObject({ reason: 'Unschedulable', message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector." });
    const event = await until('FailedScheduling event', async () => (await admin.list<Event>(refs.events, { namespace: 'default' })).items.find((e) => e.reason === 'FailedScheduling'));
    expect(event).toMatchObject({ type: 'Warning', message: cond.message, involvedObject: { kind: 'Pod', name: 'kubia-manual' } });
    expect((await getPod(admin, 'kubia-manual')).spec?.nodeName).toBeUndefined();

    await admin.patch(refs.nodes, 'node-2', 'merge', { metadata: { labels: { super: 'true' } } });
    expect(await boundNode(admin, 'kubia-manual')).toBe('node-2');
    const p = await getPod(admin, 'kubia-manual');
    expect(scheduledCondition(p)?.status).toBe('True');
    await until('Scheduled event', async () => (await admin.list<Event>(refs.events, { namespace: 'default' })).items.find((e) => e.reason === 'Scheduled' && e.message === 'Successfully assigned default/kubia-manual to node-2'));
  });

  it('binds the seed tolerations pod only to the node tainted key1=value1:NoSchedule', async () => {
    const { admin } = env;
    await createNode(admin, 'plain-tainted', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
    await createNode(admin, 'tolerated', { taints: [{ key: 'key1', value: 'value1', effect: 'NoSchedule' }] });
    await createNode(admin, 'other-value', { taints: [{ key: 'key1', value: 'value2', effect: 'NoSchedule' }] });
    await admin.create(refs.pods, seed('pod-tolerations.yaml') as KubeObject, { namespace: 'default' });
    expect(await boundNode(admin, 'tolerant')).toBe('tolerated');
    // a pod without tolerations fits none of them
    await admin.create(refs.pods, pod('intolerant'));
    const c = await until('Unschedulable', async () => scheduledCondition(await getPod(admin, 'intolerant'))?.message);
    expect(c).toBe('0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) had untolerated taint {key1: value1}, 1 node(s) had untolerated taint {key1: value2}.');
  });

  it('says "1 node(s) were unschedulable, 2 Insufficient cpu" and keeps new pods off a cordoned node', async () => {
    const { admin } = env;
    await createNode(admin, 'cordoned', { unschedulable: true, cpu: '8' });
    await createNode(admin, 'small-1', { cpu: '1' });
    await createNode(admin, 'small-2', { cpu: '1' });
    await admin.create(refs.pods, pod('big', { cpu: '2' }));
    const msg = await until('Unschedulable', async () => scheduledCondition(await getPod(admin, 'big'))?.message);
    expect(msg).toBe('0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.');
    for (let i = 0; i < 4; i++) await admin.create(refs.pods, pod(`small-${i}`, { cpu: '100m' }));
    for (let i = 0; i < 4; i++) expect(await boundNode(admin, `small-${i}`)).not.toBe('cordoned');
  });

  it('spreads 30 replicas over 3 equal nodes 10/10/10', async () => {
    const { admin } = env;
    for (const n of ['a', 'b', 'c']) await createNode(admin, n);
    await Promise.all(Array.from({ length: 30 }, (_, i) => admin.create(refs.pods, pod(`web-${i}`, { cpu: '100m', memory: '64Mi', labels: { app: 'web' } }))));
    const counts = await until('30 bound', async () => {
      const pods = (await admin.list<Pod>(refs.pods, { namespace: 'default' })).items;
      if (pods.some((p) => !p.spec?.nodeName)) return undefined;
      const c: Record<string, number> = {};
      for (const p of pods) c[p.spec!.nodeName!] = (c[p.spec!.nodeName!] ?? 0) + 1;
      return c;
    });
    expect(counts).toEqual({ a: 10, b: 10, c: 10 });
  });

  it('lands the ssd-monitor DaemonSet’s pods only on disk=ssd nodes', async () => {
    const { admin } = env;
    await createNode(admin, 'ssd-1', { labels: { disk: 'ssd' } });
    await createNode(admin, 'hdd-1', { labels: { disk: 'hdd' } });
    await createNode(admin, 'ssd-2', { labels: { disk: 'ssd' } });
    const ds = seed('ds-ssd-monitor.yaml') as unknown as { spec: { template: { metadata: { labels: Record<string, string> }; spec: NonNullable<Pod['spec']> } } };
    // One pod per node, pinned with matchFields as the DaemonSet controller does.
    for (const n of ['ssd-1', 'hdd-1', 'ssd-2']) {
      const t = ds.spec.template;
      await admin.create(refs.pods, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `ssd-monitor-${n}`, namespace: 'default', labels: t.metadata.labels },
        spec: { ...t.spec, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [n] }] }] } } } },
      });
    }
    expect(await boundNode(admin, 'ssd-monitor-ssd-1')).toBe('ssd-1');
    expect(await boundNode(admin, 'ssd-monitor-ssd-2')).toBe('ssd-2');
    const msg = await until('hdd pod Unschedulable', async () => scheduledCondition(await getPod(admin, 'ssd-monitor-hdd-1'))?.message);
    expect(msg).toBe("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
  });

  it('leaves pods of another scheduler alone', async () => {
    const { admin } = env;
    await createNode(admin, 'n1');
    await admin.create(refs.pods, pod('theirs', { spec: { schedulerName: 'other-scheduler' } }));
    // watch events arrive in order: once `mine` is bound, the scheduler has seen `theirs`
    await admin.create(refs.pods, pod('mine'));
    await boundNode(admin, 'mine');
    await until('mine processed', () => env.scheduler.stats.bound === 1);
    const theirs = await getPod(admin, 'theirs');
    expect(theirs.spec?.nodeName).toBeUndefined();
    expect(scheduledCondition(theirs)).toBeUndefined();
    expect(env.scheduler.stats.attempts).toBe(1);
  });
});
