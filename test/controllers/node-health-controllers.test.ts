/**
 * `berth controller-manager` (a child process over HTTP, as a separate control plane runs it) runs the
 * node lifecycle controller and podgc with the node-health flags: a Node whose Lease is never renewed
 * goes Ready=Unknown, gets the unreachable taints and its pod is marked not ready; after the Node is
 * deleted the pod bound to it is deleted once the quarantine has passed.
 */
import type { ChildProcess } from 'node:child_process';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { ADMIN_USER } from '../../src/policy/authn/tokens.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { until } from '../harness/wait.js';
import { newPrefix, spawnControllerManager } from './helpers.js';

let cluster: TestCluster;
let child: ChildProcess | undefined;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await cluster?.stop();
});

const startChild = (args: string[]) => spawnControllerManager(cluster, ['--prefix', newPrefix(), ...args]);

describe('berth controller-manager: node health', () => {
  it('rejects a malformed duration, naming the flag', async () => {
    await expect(startChild(['--node-monitor-grace-period', '50'])).rejects.toThrow(/--node-monitor-grace-period must be a duration like 50s/);
  });

  it('marks a silent Node Unknown and its pod not ready; podgc deletes the pod once the Node is deleted', async () => {
    const admin = cluster.api.client(ADMIN_USER);
    const started = await startChild(['--controllers', 'node-lifecycle-controller,pod-garbage-collector-controller', '--node-monitor-grace-period', '1s', '--node-monitor-period', '200ms', '--pod-gc-quarantine', '500ms']);
    child = started.child;
    expect(started.out()).toMatch(/pod-garbage-collector-controller, node-lifecycle-controller running/);
    await admin.create(refs.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'silent' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } } as Node & KubeObject);
    await admin.create(refs.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'silent', containers: [{ name: 'c', image: 'busybox' }] } } as Pod & KubeObject);
    const readyAt = '2025-01-01T00:00:00Z';
    await admin.patch(refs.pods, 'p', 'merge', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: readyAt }] } }, { namespace: 'default', subresource: 'status' });

    const node = await until('the node Unknown and tainted', async () => {
      const n = await admin.get<Node & KubeObject>(refs.nodes, 'silent');
      return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' && n.spec?.taints?.length ? n : undefined;
    }, 20_000);
    expect(node.spec?.taints?.map((t) => `${t.key}:${t.effect}`).sort()).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    const pod = await until('the pod not ready', async () => {
      const p = await admin.get<Pod & KubeObject>(refs.pods, 'p', 'default');
      return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False' ? p : undefined;
    }, 10_000);
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).not.toBe(readyAt);

    await admin.delete(refs.nodes, 'silent');
    await until('podgc to delete the pod', async () => !(await admin.find(refs.pods, 'p', 'default')), 20_000);
  }, 60_000);
});
