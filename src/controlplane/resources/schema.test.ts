import { describe, expect, it } from 'vitest';
import { kindSchema, schemaDefinitions } from './schema.js';

const podSpec = kindSchema('', 'v1', 'Pod')!.properties!.spec!;
const container = podSpec.properties!.containers!.items!;

describe('schemas', () => {
  it.each([
    ['containers', 'name', 'merge', ['name']],
    ['initContainers', 'name', 'merge', ['name']],
    ['ephemeralContainers', 'name', 'merge', ['name']],
    ['volumes', 'name', 'merge,retainKeys', ['name']],
    ['imagePullSecrets', 'name', 'merge', ['name']],
    ['hostAliases', 'ip', 'merge', ['ip']],
    ['topologySpreadConstraints', 'topologyKey', 'merge', ['topologyKey', 'whenUnsatisfiable']],
    ['resourceClaims', 'name', 'merge,retainKeys', ['name']],
    ['schedulingGates', 'name', 'merge', ['name']],
  ])('PodSpec.%s merges by %s', (field, key, strategy, mapKeys) => {
    expect(podSpec.properties![field]).toMatchObject({ patchMergeKey: key, patchStrategy: strategy, listType: 'map', listMapKeys: mapKeys });
  });

  it('carries container list metadata', () => {
    expect(container.required).toEqual(['name']);
    expect(container.properties!.ports).toMatchObject({ patchMergeKey: 'containerPort', listMapKeys: ['containerPort', 'protocol'] });
    expect(container.properties!.env).toMatchObject({ patchMergeKey: 'name', patchStrategy: 'merge' });
    expect(container.properties!.envFrom!.listType).toBe('atomic');
    expect(container.properties!.volumeMounts!.patchMergeKey).toBe('mountPath');
    expect(podSpec.properties!.tolerations!.listType).toBe('atomic');
    expect(podSpec.properties!.readinessGates!.listType).toBe('atomic');
  });

  it('carries metadata, service, endpoints, service account, RBAC and status metadata', () => {
    const meta = kindSchema('', 'v1', 'Pod')!.properties!.metadata!;
    expect(meta.required).toBeUndefined();
    expect(meta.properties!.ownerReferences).toMatchObject({ patchMergeKey: 'uid', listType: 'map' });
    expect(meta.properties!.finalizers).toMatchObject({ patchStrategy: 'merge', listType: 'set' });
    const svc = kindSchema('', 'v1', 'Service')!.properties!.spec!;
    expect(svc.properties!.ports).toMatchObject({ patchMergeKey: 'port', listMapKeys: ['port', 'protocol'] });
    expect(kindSchema('', 'v1', 'Endpoints')!.properties!.subsets!.listType).toBe('atomic');
    expect(kindSchema('', 'v1', 'ServiceAccount')!.properties!.secrets!.patchMergeKey).toBe('name');
    expect(kindSchema('rbac.authorization.k8s.io', 'v1', 'ClusterRole')!.properties!.rules!.listType).toBe('atomic');
    expect(kindSchema('apps', 'v1', 'Deployment')!.properties!.status!.properties!.conditions).toMatchObject({ patchMergeKey: 'type', listMapKeys: ['type'] });
    expect(kindSchema('batch', 'v1', 'Job')!.properties!.status!.properties!.conditions).toMatchObject({ patchMergeKey: 'type', listType: 'atomic' });
    expect(kindSchema('apps', 'v1', 'Deployment')!.properties!.spec!.properties!.strategy!.patchStrategy).toBe('retainKeys');
    expect(kindSchema('apps', 'v1', 'Deployment')!.properties!.spec!.properties!.selector!.mapType).toBe('atomic');
  });

  it('resolves int-or-string, quantities, dates and open fields', () => {
    const port = kindSchema('', 'v1', 'Service')!.properties!.spec!.properties!.ports!.items!.properties!.targetPort!;
    expect(port.intOrString).toBe(true);
    expect(port.type).toBeUndefined();
    expect(container.properties!.resources!.properties!.limits!.additionalProperties!.format).toBe('quantity');
    expect(kindSchema('', 'v1', 'Pod')!.properties!.metadata!.properties!.creationTimestamp).toMatchObject({ type: 'string', format: 'date-time' });
    expect(kindSchema('apps', 'v1', 'ControllerRevision')!.properties!.data!.preserveUnknownFields).toBe(true);
    expect(kindSchema('berth.dev', 'v1alpha1', 'Application')!.properties!.spec).toMatchObject({ type: 'object', preserveUnknownFields: true });
  });

  it('marks kinds with their GVK and shares one node per definition', () => {
    const defs = schemaDefinitions();
    expect(defs.V1Deployment!['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    expect(defs.V1beta1MutatingAdmissionPolicy!['x-kubernetes-group-version-kind']).toEqual([
      { group: 'admissionregistration.k8s.io', kind: 'MutatingAdmissionPolicy', version: 'v1beta1' },
    ]);
    const label = kindSchema('apps', 'v1', 'Deployment')!.properties!.spec!.properties!.selector!;
    expect(kindSchema('apps', 'v1', 'ReplicaSet')!.properties!.spec!.properties!.selector!.properties).toBe(label.properties);
  });
});
