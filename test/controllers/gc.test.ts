/**
 * Garbage collection through the real kubectl: `kubectl delete --cascade=background|foreground|orphan`
 * on a Deployment, and dependents of an owner that is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { ReplicaSet } from '../../src/controlplane/controllers/deployment-rollout.js';
import { autoReady, deploymentManifest, listPods, namespace, startEnv, waitUntil, type Env } from './helpers.js';

let env: Env;
beforeAll(async () => {
  env = await startEnv({ tls: true });
});
afterAll(async () => {
  await env?.stop();
});

async function deployed(ns: string): Promise<void> {
  const stop = autoReady(env.admin, ns);
  await env.admin.create(refs.deployments, deploymentManifest('web', ns, 2));
  await waitUntil(env.admin, refs.pods, ns, async () => (await listPods(env.admin, ns)).length === 2, 'two pods');
  stop();
}

const count = async (ns: string) => ({
  rs: (await env.admin.list(refs.replicasets, { namespace: ns })).items.length,
  pods: (await listPods(env.admin, ns)).length,
});

describe('garbage collector', () => {
  it('kubectl delete --cascade=background removes the ReplicaSet and pods after the Deployment', async () => {
    const ns = await namespace(env.admin, 'gc-bg');
    await deployed(ns);
    const r = await env.cluster.kubectl(['delete', 'deployment', 'web', '-n', ns, '--cascade=background']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('deployment.apps "web" deleted');
    await waitUntil(env.admin, refs.pods, ns, async () => {
      const c = await count(ns);
      return c.rs === 0 && c.pods === 0;
    }, 'dependents gone');
  });

  it('kubectl delete --cascade=foreground returns once dependents are gone, then the owner', async () => {
    const ns = await namespace(env.admin, 'gc-fg');
    await deployed(ns);
    const r = await env.cluster.kubectl(['delete', 'deployment', 'web', '-n', ns, '--cascade=foreground']);
    expect(r.code, r.stderr).toBe(0);
    expect(await count(ns)).toEqual({ rs: 0, pods: 0 });
    expect(await env.admin.find(refs.deployments, 'web', ns)).toBeUndefined();
  });

  it('kubectl delete --cascade=orphan leaves the ReplicaSet without its ownerReference', async () => {
    const ns = await namespace(env.admin, 'gc-orphan');
    await deployed(ns);
    const r = await env.cluster.kubectl(['delete', 'deployment', 'web', '-n', ns, '--cascade=orphan']);
    expect(r.code, r.stderr).toBe(0);
    const rss = await waitUntil(env.admin, refs.replicasets, ns, async () => {
      const items = (await env.admin.list<ReplicaSet>(refs.replicasets, { namespace: ns })).items;
      return items.length === 1 && !items[0].metadata?.ownerReferences?.length ? items : undefined;
    }, 'orphaned ReplicaSet');
    expect(rss[0].spec.replicas).toBe(2);
    expect((await count(ns)).pods).toBe(2);
  });

  it('deletes a dependent whose owner never existed', async () => {
    const ns = await namespace(env.admin, 'gc-dangling');
    await env.admin.create(refs.configmaps, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'dep', namespace: ns, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-0000-0000-0000-000000000000' }] },
    });
    await waitUntil(env.admin, refs.configmaps, ns, async () => !(await env.admin.find(refs.configmaps, 'dep', ns)), 'dangling dependent deleted');
  });
});
