/**
 * The conformance suite every runtime passes (STYLE: one interface, several implementations, one
 * suite): node registration and Lease, pod phases and conditions, Job-style completion and failure
 * with exit codes, restarts and CrashLoopBackOff, readiness that flips, init containers, graceful
 * deletion with its grace period, logs through pods/log, and usage for the Metrics API.
 *
 * A pod here carries both what the process runtime runs (commands, probes) and what drives the sim
 * runtime (stage annotations), so each check is one pod and one set of expectations; the hooks
 * below hold the few places where the runtimes legitimately differ.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Event, Node, Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { ANNOTATIONS } from '../../src/agent/runtime/sim/stages.js';
import { condition, containerStatus, startAgentCluster, until, type AgentCluster } from './agent-harness.js';

/** Where the runtimes differ, as the suite sees it. */
interface RuntimeHooks {
  /**
   * Whether containers print: the process runtime's logs hold what the command wrote; the sim runtime
   * runs nothing, so its logs are empty (and the check is that kubectl logs answers, clearly).
   */
  printsLogs: boolean;
}

const HOOKS: Record<'process' | 'sim', RuntimeHooks> = {
  process: { printsLogs: true },
  sim: { printsLogs: false },
};

/** Watches one pod and keeps every version the API server sent, in order. */
function recordPod(c: AgentCluster, name: string) {
  const seen: Pod[] = [];
  const ac = new AbortController();
  const done = (async () => {
    try {
      for await (const ev of c.client.watch<Pod & KubeObject>(refs.pods, { namespace: 'default', fieldSelector: `metadata.name=${name}`, signal: ac.signal })) seen.push(ev.object);
    } catch (e) {
      if (!ac.signal.aborted) throw e;
    }
  })();
  return {
    seen,
    async stop() {
      ac.abort();
      await done;
    },
  };
}

/** `xs` without runs of equal neighbours. */
function runs<T>(xs: T[]): T[] {
  return xs.filter((x, i) => i === 0 || x !== xs[i - 1]);
}

export function runtimeConformance(runtime: 'process' | 'sim'): void {
  const hooks = HOOKS[runtime];
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

    it('reports the running pod\'s usage to the Metrics API: measured (process) or its requests, none here (sim)', async () => {
      const r = await c.cluster.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/long']);
      expect(r.code, r.stderr).toBe(0);
      const pm = JSON.parse(r.stdout) as { containers: { name: string; usage: { cpu: string; memory: string } }[] };
      expect(pm.containers.map((x) => x.name)).toEqual(['main']);
      const { cpu, memory } = pm.containers[0].usage;
      expect(cpu).toMatch(/^\d+n$/);
      if (runtime === 'sim') expect(memory).toBe('0Ki');
      else expect(Number(/^(\d+)Ki$/.exec(memory)?.[1])).toBeGreaterThan(0);
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

    it('runs Job-style pods to Succeeded or Failed with their exit codes, without restarts', async () => {
      const job = (name: string, restartPolicy: string, code: number) =>
        c.createPod({
          metadata: { name, annotations: { [ANNOTATIONS.completeAfter]: '100ms', ...(code ? { [ANNOTATIONS.result]: 'Failed', [ANNOTATIONS.exitCode]: String(code) } : {}) } },
          spec: { restartPolicy, containers: [{ name: 'work', image: 'busybox', command: ['sh', '-c', `exit ${code}`] }] },
        });
      await job('job-done', 'OnFailure', 0);
      await job('job-failed', 'Never', 3);
      const done = await c.waitPod('job-done', (p) => p.status?.phase === 'Succeeded');
      expect(containerStatus(done)).toMatchObject({ restartCount: 0, ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
      const failed = await c.waitPod('job-failed', (p) => p.status?.phase === 'Failed');
      expect(containerStatus(failed)).toMatchObject({ restartCount: 0, ready: false, state: { terminated: { exitCode: 3, reason: 'Error' } } });
      const shown = await c.cluster.kubectl(['get', 'pod', 'job-failed', '-o', 'jsonpath={.status.phase} {.status.containerStatuses[0].state.terminated.exitCode}']);
      expect(shown.stdout).toBe('Failed 3');
    });

    it('restarts a failing container under restartPolicy Always: restartCount grows, lastState holds the run, CrashLoopBackOff in between', async () => {
      const rec = recordPod(c, 'crash');
      await c.createPod({
        metadata: { name: 'crash', annotations: { [ANNOTATIONS.completeAfter]: '100ms', [ANNOTATIONS.result]: 'Failed' } },
        spec: { containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo crashing; exit 1'] }] },
      });
      const backedOff = () => {
        const counts = rec.seen.map((x) => containerStatus(x)?.restartCount ?? 0);
        const at = rec.seen.findIndex((x) => containerStatus(x)?.state?.waiting?.reason === 'CrashLoopBackOff');
        return at >= 0 && counts.at(-1)! >= 3 && counts.at(-1)! > counts[at]!;
      };
      await until(backedOff, 20_000, 'three restarts, one after a CrashLoopBackOff');
      await rec.stop();
      const p = rec.seen.at(-1)!;
      expect(p.status?.phase).toBe('Running');
      expect(containerStatus(p)?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
      expect(containerStatus(p)?.lastState?.terminated?.finishedAt).toBeTruthy();
      const counts = rec.seen.map((x) => containerStatus(x)?.restartCount ?? 0);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      // the back-off shows between restarts: waiting in CrashLoopBackOff, not ready, then the count grows again
      const waitingAt = rec.seen.findIndex((x) => containerStatus(x)?.state?.waiting?.reason === 'CrashLoopBackOff');
      expect(waitingAt, 'a CrashLoopBackOff status').toBeGreaterThanOrEqual(0);
      const waiting = containerStatus(rec.seen[waitingAt]!)!;
      expect(waiting.ready).toBe(false);
      expect(waiting.state?.waiting?.message).toMatch(/^back-off \S+ restarting failed container=app pod=crash_default/);
      expect(counts.findIndex((n) => n > waiting.restartCount), 'a restart after the back-off').toBeGreaterThan(waitingAt);
      const events = await c.client.list<Event & KubeObject>(refs.events, { namespace: 'default' });
      expect(events.items.filter((e) => e.involvedObject?.name === 'crash').map((e) => e.reason)).toContain('BackOff');
      const previous = await c.cluster.kubectl(['logs', 'crash', '--previous']);
      expect(previous.code, previous.stderr).toBe(0);
      if (hooks.printsLogs) expect(previous.stdout).toContain('crashing');
      else expect(previous.stdout).toBe('');
    });

    it("flips the Ready condition with the containers' readiness while the pod keeps running", async () => {
      const rec = recordPod(c, 'flaky-ready');
      await c.createPod({
        metadata: { name: 'flaky-ready', annotations: { [ANNOTATIONS.readyAfter]: '300ms', [ANNOTATIONS.unreadyAfter]: '1s' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'busybox',
              command: ['sh', '-c', 'while :; do sleep 0.3; touch ready; sleep 2; rm ready; sleep 2; done'],
              readinessProbe: { exec: { command: ['test', '-f', 'ready'] }, periodSeconds: 1, failureThreshold: 1 },
            },
          ],
        },
      });
      await until(() => runs(rec.seen.filter((x) => x.status?.phase === 'Running').map((x) => condition(x, 'Ready'))).join(' ').includes('True False'), 20_000, 'Ready True then False');
      await rec.stop();
      const running = rec.seen.filter((x) => x.status?.phase === 'Running');
      const flips = running.map((x) => `${condition(x, 'Ready')}/${condition(x, 'ContainersReady')}/${containerStatus(x)?.ready}`);
      expect(runs(flips).join(' ')).toContain('True/True/true False/False/false');
      const last = running.at(-1)!;
      expect(containerStatus(last)).toMatchObject({ restartCount: 0, started: true });
      expect(containerStatus(last)?.state?.running).toBeTruthy();
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

    it('keeps a container that ignores SIGTERM until the grace period ends, then the pod goes', async () => {
      await c.createPod({
        metadata: { name: 'stubborn', annotations: { [ANNOTATIONS.stopAfter]: '1h' } },
        spec: { terminationGracePeriodSeconds: 3, containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'trap "echo got TERM" TERM; echo up; while :; do sleep 0.1; done'] }] },
      });
      await c.waitPod('stubborn', (p) => p.status?.phase === 'Running' && condition(p, 'Ready') === 'True');
      if (hooks.printsLogs) await until(async () => (await c.cluster.kubectl(['logs', 'stubborn'])).stdout.includes('up'), 10_000, 'the trap set');
      const following = hooks.printsLogs ? c.cluster.kubectl(['logs', '-f', 'stubborn']) : undefined;
      const del = await c.client.delete<Pod>(refs.pods, 'stubborn', { namespace: 'default' });
      const deadline = Date.parse(del.metadata!.deletionTimestamp!);
      expect(del.metadata?.deletionGracePeriodSeconds).toBe(3);
      await until(async () => !(await c.getPod('stubborn')), 20_000, 'pod deleted by the agent');
      // gone only once the grace period ran out (deletionTimestamp is the deadline, to the second below)
      expect(Date.now()).toBeGreaterThanOrEqual(deadline);
      if (following) expect((await following).stdout).toContain('got TERM');
    });

    it('serves pods/log through the API server, and says clearly what it cannot serve', async () => {
      await c.createPod({ metadata: { name: 'talker' }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo hello from talker; sleep 1000'] }] } });
      await c.waitPod('talker', (p) => p.status?.phase === 'Running');
      const r = await until(async () => {
        const r = await c.cluster.kubectl(['logs', 'talker']);
        return r.code !== 0 || !hooks.printsLogs || r.stdout.includes('hello') ? r : undefined;
      }, 10_000, 'the log line');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(hooks.printsLogs ? 'hello from talker\n' : '');
      const bad = await c.cluster.kubectl(['logs', 'talker', '-c', 'nope']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('container nope is not valid for pod talker');
      const previous = await c.cluster.kubectl(['logs', 'talker', '--previous']);
      expect(previous.code).not.toBe(0);
      expect(previous.stderr).toContain('previous terminated container "main" in pod "talker" not found');
    });
  });
}
