/**
 * The node lifecycle controller in-process against a real API server: it marks a not-ready Node's
 * pods not ready once per not-ready episode, so an agent that is alive but renewing its Lease late
 * and posts its pods' readiness back is not answered with another status write and event at every
 * check (which made Endpoints flap); pods bound to the Node during the episode are marked once too.
 */
import type { Event, Node, Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../src/controlplane/client/client.js';
import { refs } from '../../src/controlplane/client/refs.js';
import { createNodeLifecycleController } from '../../src/controlplane/controllers/node-lifecycle.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { ADMIN_USER } from '../../src/policy/authn/tokens.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { until } from '../harness/wait.js';

let cluster: TestCluster;
let admin: Client;
const ac = new AbortController();
beforeAll(async () => {
  cluster = await startCluster();
  admin = cluster.api.client(ADMIN_USER, 'test');
});
afterAll(async () => {
  ac.abort();
  await cluster?.stop();
});

const readyOf = (p: Pod | undefined) => p?.status?.conditions?.find((c) => c.type === 'Ready')?.status;

async function setReady(name: string): Promise<void> {
  await admin.patch(refs.pods, name, 'merge', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, { namespace: 'default', subresource: 'status' });
}

/** A pod that is Ready=True before it is bound to `node`, so the controller's first sight of it is ready. */
async function bindReadyPod(name: string, node: string): Promise<void> {
  await admin.create(refs.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } as Pod & KubeObject);
  await setReady(name);
  await admin.post(refs.pods, name, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace: 'default' }, target: { apiVersion: 'v1', kind: 'Node', name: node } }, 'default');
}

async function podNotReadyEvents(name: string): Promise<number> {
  const events = await admin.list<Event>(refs.events, { namespace: 'default' });
  return events.items.filter((e) => e.involvedObject.name === name && e.reason === 'NodeNotReady').length;
}

describe('node lifecycle controller: MarkPodsNotReady', () => {
  it('marks a pod not ready once per episode while the Node stays Unknown and its agent posts Ready back', async () => {
    await admin.create(refs.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'late' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } } as Node & KubeObject);
    await bindReadyPod('first', 'late');
    const controller = createNodeLifecycleController({ client: admin, gracePeriodMs: 500, checkIntervalMs: 50 });
    await controller.start(ac.signal);

    await until('the first pod marked not ready', async () => readyOf(await admin.get<Pod>(refs.pods, 'first', 'default')) === 'False', 20_000);
    const node = await admin.get<Node>(refs.nodes, 'late');
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('Unknown');

    // the agent, alive, posts its own readiness back (as src/agent/agent.ts does on seeing someone else's)
    await setReady('first');
    // Barriers: a pod bound afterwards is marked at a check that has seen the re-post (one pod watch,
    // in order); two of them so the first pod's turn in that check has certainly finished.
    await bindReadyPod('second', 'late');
    await until('the second pod marked not ready', async () => readyOf(await admin.get<Pod>(refs.pods, 'second', 'default')) === 'False', 20_000);
    await bindReadyPod('third', 'late');
    await until('the third pod marked not ready', async () => readyOf(await admin.get<Pod>(refs.pods, 'third', 'default')) === 'False', 20_000);

    expect(readyOf(await admin.get<Pod>(refs.pods, 'first', 'default'))).toBe('True');
    await until('the NodeNotReady events of the second and third pods', async () => (await podNotReadyEvents('second')) === 1 && (await podNotReadyEvents('third')) === 1, 10_000);
    expect(await podNotReadyEvents('first')).toBe(1);
  }, 60_000);
});
