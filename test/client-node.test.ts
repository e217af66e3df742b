/**
 * `@kubernetes/client-node` as users run it: a list-watch informer over HTTP sees create, update
 * and delete.
 */
import { CoreV1Api, KubeConfig, makeInformer, PatchStrategy, setHeaderOptions, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './harness/cluster.js';
import { until } from './harness/wait.js';

let c: TestCluster;
beforeAll(async () => {
  c = await startCluster({ tls: true });
});
afterAll(async () => {
  await c?.stop();
});

describe('@kubernetes/client-node', () => {
  it('an informer sees create, update and delete', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(c.kubeconfig);
    const api = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/default/configmaps', () => api.listNamespacedConfigMap({ namespace: 'default' }));
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name} ${o.data?.k}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${o.data?.k}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      await api.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'inf' }, data: { k: '1' } } });
      await until('add', () => seen.includes('add inf 1'));
      await api.patchNamespacedConfigMap({ namespace: 'default', name: 'inf', body: { data: { k: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await until('update', () => seen.includes('update inf 2'));
      await api.deleteNamespacedConfigMap({ namespace: 'default', name: 'inf' });
      await until('delete', () => seen.includes('delete inf'));
      expect(seen).toEqual(['add inf 1', 'update inf 2', 'delete inf']);
      expect(informer.list('default').map((o) => o.metadata?.name)).not.toContain('inf');
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });
});
