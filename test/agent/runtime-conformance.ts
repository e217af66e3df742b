/**
 * The conformance suite every runtime passes (STYLE: one interface, several implementations, one
 * suite): node registration and Lease, pod phases and conditions, completion and failure, init
 * containers, graceful deletion finished by the agent, and logs through pods/log.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import { ANNOTATIONS } from '../../src/agent/runtime/sim/stages.js';
import { condition, containerStatus, startAgentCluster, until, type AgentCluster } from './agent-harness.js';

export function runtimeConformance(runtime: 'process' | 'sim'): void {
  describe(`runtime conformance: ${runtime}`, () => {
    let c: AgentCluster;
    const node = `conf-${runtime}`;

    beforeAll(async () => {
      c = await startAgentCluster({ name: node, runtime, labels: { tier: 'test' } });
    });
    afterAll(async () => {
      await c?.stop();
    });

    it('registers a Ready Node with labels, capacity, addresses and nodeInfo, and renews its Lease', async () => {
      const n = await c.client.get<Node & { metadata: object }>(refs.nodes, node);
      expect(n.metadata?.labels).toMatchObject({ 'kubernetes.io/hostname': node, 'kubernetes.io/os': process.platform, tier: 'test' });
      expect(n.metadata?.labels?.['kubernetes.io/arch']).toMatch(/^(amd64|arm64|[a-z0-9]+)$/);
      expect(n.status?.conditions?.find((x) => x.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
      expect(Number(n.status?.capacity?.pods)).toBe(110);
      expect(Number(n.status?.allocatable?.cpu)).toBeGreaterThan(0);
      expect(n.status?.addresses?.map((a) => a.type)).toEqual(['InternalIP', 'Hostname']);
      expect(n.status?.nodeInfo?.kubeletVersion).toMatch(/^v1\.32/);
      const first = await c.client.get<Lease & { metadata: object }>(refs.leases, node, 'kube-node-lease');
      expect(first.spec).toMatchObject({ holderIdentity: node, leaseDurationSeconds: 40 });
      expect(first.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Node', name: node });
      await until(async () => (await c.client.get<Lease & { metadata: object }>(refs.leases, node, 'kube-node-lease')).spec?.renewTime !== first.spec?.renewTime, 5000, 'lease renewal');
    });

    it('runs a pod to Running with every condition True', async () => {
      await c.createPod({ metadata: { name: 'long' }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1000'] }] } });
      const p = await c.waitPod('long', (p) => p.status?.phase === 'Running' && condition(p, 'Ready') === 'True');
      for (const t of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) expect(condition(p, t), t).toBe('True');
      expect(containerStatus(p)).toMatchObject({ name: 'main', ready: true, started: true, restartCount: 0, image: 'busybox' });
      expect(containerStatus(p)?.state?.running?.startedAt).toBeTruthy();
      expect(p.status?.podIP).toBeTruthy();
      expect(p.status?.hostIP).toBe(p.status?.podIP);
      expect(p.status?.startTime).toBeTruthy();
    });

    it('finishes a completing pod as Succeeded and a failing one as Failed', async () => {
      await c.createPod({ metadata: { name: 'ok', annotations: { [ANNOTATIONS.completeAfter]: '100ms' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['true'] }] } });
      await c.createPod({
        metadata: { name: 'bad', annotations: { [ANNOTATIONS.completeAfter]: '100ms', [ANNOTATIONS.result]: 'Failed' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'exit 1'] }] },
      });
      const ok = await c.waitPod('ok', (p) => p.status?.phase === 'Succeeded');
      expect(containerStatus(ok)?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
      expect(condition(ok, 'Ready')).toBe('False');
      const bad = await c.waitPod('bad', (p) => p.status?.phase === 'Failed');
      expect(containerStatus(bad)?.state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    });

    it('runs init containers before the app containers', async () => {
      await c.createPod({
        metadata: { name: 'with-init' },
        spec: { initContainers: [{ name: 'setup', image: 'busybox', command: ['true'] }], containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1000'] }] },
      });
      const p = await c.waitPod('with-init', (p) => p.status?.phase === 'Running' && condition(p, 'Ready') === 'True');
      expect(condition(p, 'Initialized')).toBe('True');
      expect(p.status?.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    });

    it('finishes a graceful deletion: the pod goes once its containers stopped', async () => {
      await c.createPod({ metadata: { name: 'doomed' }, spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1000'] }] } });
      await c.waitPod('doomed', (p) => p.status?.phase === 'Running');
      const del = await c.client.delete<Pod>(refs.pods, 'doomed', { namespace: 'default' });
      expect(del.metadata?.deletionTimestamp).toBeTruthy();
      await until(async () => !(await c.getPod('doomed')), 10_000, 'pod deleted by the agent');
    });

    it('serves pods/log through the API server', async () => {
      const r = await c.cluster.kubectl(['logs', 'long']);
      expect(r.code, r.stderr).toBe(0);
      const bad = await c.cluster.kubectl(['logs', 'long', '-c', 'nope']);
      expect(bad.code).not.toBe(0);
    });
  });
}
