/**
 * Two controller-managers on one Redis: `berth controller-manager` as a child process (over HTTP) and
 * one in this process. The child is killed with SIGKILL in the middle of a rollout; the other one
 * takes over its keys (BullMQ's lock expires) and finishes the rollout.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { Deployment, ReplicaSet } from '../../src/controlplane/controllers/deployment-rollout.js';
import { ADMIN_USER } from '../../src/policy/authn/tokens.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { autoReady, deploymentManifest, listPods, markReady, namespace, newPrefix, spawnControllerManager, startManager, waitUntil } from './helpers.js';

let cluster: TestCluster;
let child: ChildProcess | undefined;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await cluster?.stop();
});


describe('two controller-managers', () => {
  it('a rollout finishes after one of them is killed with SIGKILL mid-rollout', async () => {
    const admin = cluster.api.client(ADMIN_USER);
    const ns = await namespace(admin, 'multi');
    const prefix = newPrefix();
    child = (await spawnControllerManager(cluster, ['--prefix', prefix, '--lock-duration', '1000'])).child;

    // the child alone deploys version 1
    const stopReady = autoReady(admin, ns);
    await admin.create(refs.deployments, deploymentManifest('web', ns, 6, 'nginx:1', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }));
    await waitUntil(admin, refs.deployments, ns, async () => (await admin.get<Deployment>(refs.deployments, 'web', ns)).status?.availableReplicas === 6, 'version 1 available');
    stopReady();

    const inProcess = await startManager(cluster, prefix, undefined, 1000);
    try {
      await admin.patch(refs.deployments, 'web', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } }, { namespace: ns });
      // let the rollout take two steps, then kill the child wherever it is
      for (let step = 0; step < 2; step++) {
        const pod = await waitUntil(admin, refs.pods, ns, async () => (await listPods(admin, ns)).find((p) => !p.status?.conditions?.some((c) => c.status === 'True')), `new pod ${step}`);
        await markReady(admin, pod);
      }
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));

      const stop = autoReady(admin, ns);
      const d = await waitUntil(admin, refs.deployments, ns, async () => {
        const d = await admin.get<Deployment>(refs.deployments, 'web', ns);
        const s = d.status ?? {};
        return (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && s.updatedReplicas === 6 && s.replicas === 6 && s.availableReplicas === 6 ? d : undefined;
      }, 'rollout complete after the kill');
      stop();
      expect(d.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
      const rss = (await admin.list<ReplicaSet>(refs.replicasets, { namespace: ns })).items;
      expect(rss.map((rs) => rs.spec.replicas).sort()).toEqual([0, 6]);
      const pods = await listPods(admin, ns);
      expect(pods.map((p) => (p.spec as { containers: { image: string }[] }).containers[0].image)).toEqual(Array(6).fill('nginx:2'));
    } finally {
      await inProcess.stop();
    }
  });
});
