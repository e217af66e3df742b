import { describe, expect, it } from 'vitest';
import { openapiDocument, openapiRoot } from './openapi.js';

function doc(path: string): any {
  return JSON.parse(openapiDocument(path)!.json);
}

describe('OpenAPI v3', () => {
  it('lists every group-version in the root with a content hash', () => {
    const root = openapiRoot();
    expect(Object.keys(root.paths)).toEqual(expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/berth.dev/v1alpha1', 'apis/admissionregistration.k8s.io/v1beta1']));
    const apps = openapiDocument('apis/apps/v1')!;
    expect(root.paths['apis/apps/v1'].serverRelativeURL).toBe(`/openapi/v3/apis/apps/v1?hash=${apps.hash}`);
    expect(apps.hash).toMatch(/^[0-9A-F]{128}$/);
    expect(openapiDocument('apis/apps/v9')).toBeUndefined();
    expect(openapiDocument('apis/apps/v1')).toBe(apps);
  });

  it('gives apps/v1 deployments a patch with the GVK and fieldValidation (what kubectl checks)', () => {
    const d = doc('apis/apps/v1');
    const patch = d.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch.parameters).toContainEqual(expect.objectContaining({ name: 'fieldValidation', in: 'query' }));
    expect(Object.keys(patch.requestBody.content)).toContain('application/strategic-merge-patch+json');
    const scale = d.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch;
    expect(scale['x-kubernetes-group-version-kind']).toEqual({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
  });

  it('carries the full schemas with GVK and patch extensions', () => {
    const d = doc('apis/apps/v1');
    expect(d.components.schemas.V1Deployment['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    expect(d.components.schemas.V1PodSpec.properties.containers['x-kubernetes-patch-merge-key']).toBe('name');
    expect(d.components.schemas.V1Scale).toBeDefined();
    const refs = JSON.stringify(d).match(/#\/components\/schemas\/[A-Za-z0-9]+/g)!;
    for (const r of new Set(refs)) expect(d.components.schemas[r.split('/').pop()!], r).toBeDefined();
  });

  it('serves core paths for namespaced and cluster-scoped kinds', () => {
    const d = doc('api/v1');
    expect(d.paths['/api/v1/nodes/{name}'].patch['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Node' });
    expect(d.paths['/api/v1/pods'].get['x-kubernetes-action']).toBe('list');
    expect(d.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post['x-kubernetes-group-version-kind']).toEqual({ group: 'policy', version: 'v1', kind: 'Eviction' });
  });

  it('offers no strategic merge patch for our custom kinds', () => {
    const d = doc('apis/berth.dev/v1alpha1');
    const patch = d.paths['/apis/berth.dev/v1alpha1/namespaces/{namespace}/applications/{name}'].patch;
    expect(Object.keys(patch.requestBody.content)).not.toContain('application/strategic-merge-patch+json');
    expect(d.components.schemas.BerthV1alpha1Application['x-kubernetes-group-version-kind']).toEqual([{ group: 'berth.dev', kind: 'Application', version: 'v1alpha1' }]);
  });
});
