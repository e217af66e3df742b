/**
 * Namespace lifecycle: `kubectl delete ns` empties the namespace and returns once it is gone; every
 * namespace gets a `default` ServiceAccount, recreated if deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import { deploymentManifest, namespace, startEnv, waitUntil, type Env } from './helpers.js';

let env: Env;
beforeAll(async () => {
  env = await startEnv({ tls: true });
});
afterAll(async () => {
  await env?.stop();
});

describe('namespace controller', () => {
  it('kubectl delete ns deletes everything inside, then the namespace', async () => {
    const ns = await namespace(env.admin, 'doomed');
    await env.admin.create(refs.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: ns }, data: { a: '1' } });
    await env.admin.create(refs.deployments, deploymentManifest('web', ns, 2));
    await waitUntil(env.admin, refs.pods, ns, async () => (await env.admin.list(refs.pods, { namespace: ns })).items.length === 2, 'pods');
    const r = await env.cluster.kubectl(['delete', 'ns', ns]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`namespace "${ns}" deleted`);
    expect(await env.admin.find(refs.namespaces, ns)).toBeUndefined();
    for (const ref of [refs.configmaps, refs.deployments, refs.replicasets, refs.pods, refs.serviceaccounts]) {
      expect((await env.admin.list(ref, { namespace: ns })).items, ref.resource).toEqual([]);
    }
  });
});

describe('serviceaccount controller', () => {
  it('gives every namespace a default ServiceAccount and recreates it', async () => {
    const ns = await namespace(env.admin, 'sa');
    await waitUntil(env.admin, refs.serviceaccounts, ns, async () => env.admin.find(refs.serviceaccounts, 'default', ns), 'default SA');
    expect(await env.admin.find(refs.serviceaccounts, 'default', 'kube-system')).toBeDefined();
    await env.admin.delete(refs.serviceaccounts, 'default', { namespace: ns });
    await waitUntil(env.admin, refs.serviceaccounts, ns, async () => env.admin.find(refs.serviceaccounts, 'default', ns), 'default SA again');
  });
});
