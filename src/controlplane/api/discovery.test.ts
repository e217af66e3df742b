import { describe, expect, it } from 'vitest';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, legacyApiVersions, versionInfo } from './discovery.js';

type Resource = Record<string, unknown> & { name?: string; resource?: string };

describe('legacy discovery', () => {
  it('serves /api and /apis', () => {
    expect(legacyApiVersions('127.0.0.1:6443')).toEqual({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] });
    const groups = apiGroupList().groups as Array<{ name: string; preferredVersion: { groupVersion: string } }>;
    expect(groups.map((g) => g.name)).toContain('apps');
    expect(groups.map((g) => g.name)).not.toContain('');
    expect(groups.find((g) => g.name === 'apps')!.preferredVersion).toEqual({ groupVersion: 'apps/v1', version: 'v1' });
    expect(apiGroup('batch')).toMatchObject({ kind: 'APIGroup', name: 'batch', versions: [{ groupVersion: 'batch/v1', version: 'v1' }] });
    expect(apiGroup('nope')).toBeUndefined();
  });

  it('lists pods/eviction with the group, version and kind drain checks for', () => {
    const list = apiResourceList('', 'v1')!;
    expect(list).toMatchObject({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'v1' });
    const resources = list.resources as Resource[];
    expect(resources.find((r) => r.name === 'pods/eviction')).toEqual({ name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
    expect(resources.find((r) => r.name === 'pods/status')).toEqual({ name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
    expect(resources.find((r) => r.name === 'pods')).toMatchObject({ singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po'], categories: ['all'] });
    expect(resources.find((r) => r.name === 'namespaces')).toMatchObject({ namespaced: false, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] });
  });

  it('lists scale subresources as autoscaling/v1 Scale', () => {
    const resources = apiResourceList('apps', 'v1')!.resources as Resource[];
    expect(resources.find((r) => r.name === 'deployments/scale')).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    expect(apiResourceList('apps', 'v2')).toBeUndefined();
  });
});

describe('aggregated discovery', () => {
  it('serves the core group for /api', () => {
    const doc = aggregatedDiscovery('api');
    expect(doc).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2' });
    const items = doc.items as Array<{ metadata: { name: string }; versions: Array<{ version: string; freshness: string; resources: Resource[] }> }>;
    expect(items).toHaveLength(1);
    expect(items[0].metadata.name).toBe('');
    const pods = items[0].versions[0].resources.find((r) => r.resource === 'pods')!;
    expect(pods).toMatchObject({ responseKind: { group: '', version: 'v1', kind: 'Pod' }, scope: 'Namespaced', singularResource: 'pod', shortNames: ['po'], categories: ['all'] });
    expect(pods.subresources).toContainEqual({ subresource: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] });
  });

  it('has the deploy short name and all category for /apis', () => {
    const items = aggregatedDiscovery('apis').items as Array<{ metadata: { name: string }; versions: Array<{ version: string; freshness: string; resources: Resource[] }> }>;
    expect(items.map((i) => i.metadata.name)).not.toContain('');
    const apps = items.find((i) => i.metadata.name === 'apps')!;
    expect(apps.versions[0]).toMatchObject({ version: 'v1', freshness: 'Current' });
    const deploy = apps.versions[0].resources.find((r) => r.resource === 'deployments')!;
    expect(deploy).toMatchObject({ shortNames: ['deploy'], categories: ['all'], scope: 'Namespaced', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] });
    expect(deploy.subresources).toContainEqual({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
    const admission = items.find((i) => i.metadata.name === 'admissionregistration.k8s.io')!;
    expect(admission.versions.map((v) => v.version)).toEqual(['v1', 'v1beta1']);
  });

  it('lists the Metrics API beside the registry\'s groups, as an aggregated metrics-server is listed', () => {
    const items = aggregatedDiscovery('apis').items as Array<{ metadata: { name: string }; versions: Array<{ version: string; resources: Resource[] }> }>;
    const metrics = items.find((i) => i.metadata.name === 'metrics.k8s.io')!;
    expect(metrics.versions.map((v) => v.version)).toEqual(['v1beta1']);
    expect(metrics.versions[0].resources.map((r) => [r.resource, r.scope, (r.responseKind as { kind: string }).kind, r.verbs])).toEqual([
      ['nodes', 'Cluster', 'NodeMetrics', ['get', 'list']],
      ['pods', 'Namespaced', 'PodMetrics', ['get', 'list']],
    ]);
    expect((apiGroupList().groups as Array<{ name: string }>).map((g) => g.name)).toContain('metrics.k8s.io');
    expect(apiGroup('metrics.k8s.io')).toMatchObject({ preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' } });
    expect(apiResourceList('metrics.k8s.io', 'v1beta1')!.resources).toEqual([
      { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
      { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
    ]);
  });

  it('reports Kubernetes 1.32', () => {
    expect(versionInfo()).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.0-berth' });
    expect(versionInfo().platform).toMatch(/^[a-z0-9]+\/[a-z0-9]+$/);
  });
});
