/**
 * A remote agent (`berth agent`, its own process, over HTTPS) serving pods/log to the API server;
 * `kill -9` of it: the node lifecycle controller (in a controller-manager, as berth runs it) marks the
 * Node Ready=Unknown, its pods not ready, taints it unreachable and evicts its pods; the restarted
 * agent kills what the dead one left running, the Node recovers. A frozen agent (SIGSTOP): its pod
 * leaves the Service's ready endpoints at once and, when the agent thaws, is posted ready again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { servePodSubresources } from '../../src/agent/connector.js';
import { UNREACHABLE_TAINT } from '../../src/controlplane/controllers/node-lifecycle.js';
import { createControllerManager, CONTROLLER_MANAGER_USER } from '../../src/controlplane/controllers/index.js';
import { endpointsController } from '../../src/controlplane/controllers/endpoints.js';
import type { Endpoints } from 'kubernetes-types/core/v1.js';
import { groupMembers } from '../../src/agent/runtime/process/process-group.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { stopChild, until } from './agent-harness.js';

let cluster: TestCluster;
const ac = new AbortController();
const children: ChildProcess[] = [];

function startRemoteAgent(): ChildProcess {
  const child = spawn(
    process.execPath,
    ['bin/berth.js', 'agent', '--server', cluster.api.url, '--token', cluster.token, '--ca', join(cluster.dir, 'pki', 'ca.crt'), '--name', 'remote-1', '--port', '0', '--address', '127.0.0.1', '--data-dir', join(cluster.dir, 'agent'), '--lease-renew-seconds', '0.3'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr!.on('data', (b: Buffer) => process.stderr.write(`agent: ${b.toString()}`));
  children.push(child);
  return child;
}

const node = () => cluster.api.client().get<Node & KubeObject>(refs.nodes, 'remote-1');
const ready = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;

beforeAll(async () => {
  cluster = await startCluster({ tls: true });
  servePodSubresources(cluster.api.handler, { client: cluster.api.client() });
  await createControllerManager({
    client: (ua) => cluster.api.client(CONTROLLER_MANAGER_USER, ua),
    redisUrl: cluster.redis.url,
    controllers: [endpointsController()],
    nodeLifecycleController: true,
    // a grace period well above the 0.3 s renewals: under a loaded CI machine a 1.5 s one flapped the
    // Node between Unknown and Ready for as long as the test waited
    nodeLifecycle: { gracePeriodMs: 4000, checkIntervalMs: 200, defaultTolerationSeconds: 1 },
  }).start(ac.signal);
});
afterAll(async () => {
  ac.abort();
  await Promise.all(children.map((c) => stopChild(c)));
  await cluster?.stop();
});

describe('remote agent and node health', () => {
  it('serves logs remotely; after kill -9 the node goes Unknown, its pods are evicted; a restart recovers and reaps leftovers', async () => {
    const client = cluster.api.client();
    let agent = startRemoteAgent();
    await until(async () => ready(await node().catch(() => ({}) as Node)) === 'True', 20_000, 'node registered');
    await client.create(refs.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'remote-1', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo hi-remote; sleep 1000'] }] } });
    const running = await until(async () => {
      const p = await client.get<Pod & KubeObject>(refs.pods, 'p', 'default');
      return p.status?.containerStatuses?.[0]?.state?.running && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
    }, 10_000, 'pod running and ready');
    const pgid = Number(running.status!.containerStatuses![0].containerID!.replace('process://', ''));
    const logs = await until(async () => {
      const r = await cluster.kubectl(['logs', 'p']);
      return r.stdout.includes('hi-remote') ? r : undefined;
    }, 5000, 'remote logs');
    expect(logs.stdout).toBe('hi-remote\n');

    agent.kill('SIGKILL');
    const n = await until(async () => {
      const m = await node();
      return ready(m) === 'Unknown' && m.spec?.taints?.length ? m : undefined;
    }, 10_000, 'node Unknown and tainted');
    expect(n.spec?.taints?.filter((t) => t.key === UNREACHABLE_TAINT).map((t) => t.effect).sort()).toEqual(['NoExecute', 'NoSchedule']);
    const evicted = await until(async () => {
      const p = await client.get<Pod & KubeObject>(refs.pods, 'p', 'default');
      return p.metadata?.deletionTimestamp ? p : undefined;
    }, 10_000, 'pod evicted');
    // MarkPodsNotReady: Ready went False (status only) when the node went Unknown, before the eviction
    const readyCond = evicted.status?.conditions?.find((c) => c.type === 'Ready');
    expect(readyCond?.status).toBe('False');
    const before = running.status!.conditions!.find((c) => c.type === 'Ready')!;
    expect([readyCond?.reason, readyCond?.message]).toEqual([before.reason, before.message]);
    expect(Date.parse(readyCond!.lastTransitionTime!)).toBeGreaterThan(Date.parse(before.lastTransitionTime!));
    const events = await cluster.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=p,reason=NodeNotReady', '-o', 'jsonpath={.items[*].message}']);
    expect(events.stdout).toContain('Node is not ready');
    expect(groupMembers(pgid).length).toBeGreaterThan(0);

    agent = startRemoteAgent();
    await until(async () => {
      const m = await node();
      return ready(m) === 'True' && !m.spec?.taints?.some((t) => t.key === UNREACHABLE_TAINT);
    }, 20_000, 'node recovered');
    await until(async () => !(await client.find(refs.pods, 'p', 'default')), 10_000, 'evicted pod finalized');
    expect(groupMembers(pgid)).toEqual([]);
  }, 60_000);

  it('a frozen agent: its pod leaves the ready endpoints at once and is posted ready again when the agent thaws', async () => {
    const client = cluster.api.client();
    const agent = children.at(-1)!;
    await until(async () => ready(await node()) === 'True', 20_000, 'node ready');
    // tolerates the unreachable taint forever: marked not ready, never evicted
    await client.create(refs.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'frozen', namespace: 'default', labels: { app: 'frozen' } }, spec: { nodeName: 'remote-1', tolerations: [{ key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute' }], containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'sleep 1000'] }] } });
    await client.create(refs.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'frozen', namespace: 'default' }, spec: { selector: { app: 'frozen' }, ports: [{ port: 80 }] } });
    const endpoints = async () => {
      const e = await client.find<Endpoints & KubeObject>(refs.endpoints, 'frozen', 'default');
      return { ready: (e?.subsets ?? []).flatMap((s) => s.addresses ?? []).map((a) => a.targetRef?.name), notReady: (e?.subsets ?? []).flatMap((s) => s.notReadyAddresses ?? []).map((a) => a.targetRef?.name) };
    };
    await until(async () => (await endpoints()).ready.includes('frozen'), 10_000, 'pod in the ready endpoints');

    agent.kill('SIGSTOP');
    try {
      const e = await until(async () => {
        const x = await endpoints();
        return x.notReady.includes('frozen') ? x : undefined;
      }, 10_000, 'pod moved to notReadyAddresses');
      expect(e.ready).toEqual([]);
      expect(ready(await node())).toBe('Unknown');
      expect((await client.get<Pod & KubeObject>(refs.pods, 'frozen', 'default')).metadata?.deletionTimestamp).toBeUndefined();
    } finally {
      agent.kill('SIGCONT');
    }
    // the agent's status manager sees readiness rewritten by someone else and posts its own again
    await until(async () => (await endpoints()).ready.includes('frozen'), 15_000, 'pod ready again after the agent thawed');
    // the node's Ready comes back with the next heartbeat, not necessarily before the endpoints
    await until(async () => ready(await node()) === 'True', 15_000, 'node ready again after the agent thawed');
  }, 60_000);
});
