import { describe, expect, it } from 'vitest';
import { registry } from './registry.js';

describe('registry lookups', () => {
  it.each([
    ['', 'v1', 'pods', 'Pod'],
    ['', 'v1', 'pod', 'Pod'],
    ['', 'v1', 'po', 'Pod'],
    ['', 'v1', 'svc', 'Service'],
    ['', 'v1', 'ns', 'Namespace'],
    ['', 'v1', 'no', 'Node'],
    ['', 'v1', 'cm', 'ConfigMap'],
    ['', 'v1', 'ep', 'Endpoints'],
    ['', 'v1', 'ev', 'Event'],
    ['', 'v1', 'sa', 'ServiceAccount'],
    ['', 'v1', 'rc', 'ReplicationController'],
    ['', 'v1', 'pv', 'PersistentVolume'],
    ['', 'v1', 'pvc', 'PersistentVolumeClaim'],
    ['', 'v1', 'quota', 'ResourceQuota'],
    ['', 'v1', 'limits', 'LimitRange'],
    ['apps', 'v1', 'deploy', 'Deployment'],
    ['apps', 'v1', 'rs', 'ReplicaSet'],
    ['apps', 'v1', 'ds', 'DaemonSet'],
    ['apps', 'v1', 'sts', 'StatefulSet'],
    ['batch', 'v1', 'cj', 'CronJob'],
    ['batch', 'v1', 'jobs', 'Job'],
    ['policy', 'v1', 'pdb', 'PodDisruptionBudget'],
    ['scheduling.k8s.io', 'v1', 'pc', 'PriorityClass'],
    ['storage.k8s.io', 'v1', 'sc', 'StorageClass'],
    ['admissionregistration.k8s.io', 'v1beta1', 'mutatingadmissionpolicies', 'MutatingAdmissionPolicy'],
    ['berth.dev', 'v1alpha1', 'app', 'Application'],
  ])('find(%j, %j, %j) is %s', (group, version, name, kind) => {
    expect(registry.find(group, version, name)?.kind).toBe(kind);
  });

  it('does not find a resource in the wrong group', () => {
    expect(registry.find('', 'v1', 'deployments')).toBeUndefined();
    expect(registry.find('apps', 'v2', 'deployments')).toBeUndefined();
  });

  it.each([
    ['v1', 'Pod', 'pods'],
    ['apps/v1', 'Deployment', 'deployments'],
    ['events.k8s.io/v1', 'Event', 'events'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings'],
    ['berth.dev/v1alpha1', 'PreviewSet', 'previewsets'],
  ])('findKind(%j, %j) is %s', (apiVersion, kind, resource) => {
    expect(registry.findKind(apiVersion, kind)?.resource).toBe(resource);
  });

  it.each([
    ['deploy', 'apps', 'deployments'],
    ['deployments.apps', 'apps', 'deployments'],
    ['deployment.v1.apps', 'apps', 'deployments'],
    ['ev', '', 'events'],
    ['events.events.k8s.io', 'events.k8s.io', 'events'],
    ['Pod', '', 'pods'],
  ])('resolve(%j) is %s %s', (name, group, resource) => {
    const t = registry.resolve(name);
    expect([t?.group, t?.resource]).toEqual([group, resource]);
  });

  it('puts the workloads in category all, as Kubernetes does', () => {
    expect(registry.category('all').map((t) => t.resource).sort()).toEqual(
      ['cronjobs', 'daemonsets', 'deployments', 'jobs', 'pods', 'replicasets', 'replicationcontrollers', 'services', 'statefulsets'].sort(),
    );
    expect(registry.category('app').map((t) => t.kind)).toEqual(['Application']);
  });

  it('lists groups with versions and a preferred version', () => {
    const groups = registry.groups();
    expect(groups[0]).toEqual({ name: '', versions: ['v1'], preferredVersion: 'v1' });
    expect(groups.find((g) => g.name === 'admissionregistration.k8s.io')).toEqual({
      name: 'admissionregistration.k8s.io',
      versions: ['v1', 'v1beta1'],
      preferredVersion: 'v1',
    });
  });

  it('gives every kind a schema, a Name first column and an Age column', () => {
    for (const t of registry.all()) {
      expect(t.schema().properties?.metadata, t.kind).toBeDefined();
      const names = t.printer.columns.map((c) => c.name);
      if (t.kind !== 'Event') expect(t.printer.columns[0], t.kind).toMatchObject({ name: 'Name', format: 'name' });
      expect(names.includes('Age') || names.includes('Created At') || names.includes('Last Seen'), t.kind).toBe(true);
    }
  });

  it('declares the subresources kubectl relies on', () => {
    const pods = registry.find('', 'v1', 'pods')!;
    expect(pods.subresources.find((s) => s.name === 'eviction')).toEqual({ name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
    for (const r of ['deployments', 'replicasets', 'statefulsets']) {
      expect(registry.find('apps', 'v1', r)!.subresources.find((s) => s.name === 'scale')).toMatchObject({ kind: 'Scale', group: 'autoscaling', version: 'v1' });
    }
    expect(registry.find('', 'v1', 'serviceaccounts')!.subresources[0]).toMatchObject({ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io' });
    expect(registry.find('', 'v1', 'namespaces')!.subresources.map((s) => s.name)).toEqual(['status', 'finalize']);
  });
});

describe('field selectors', () => {
  const pods = registry.find('', 'v1', 'pods')!;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { nodeName: 'n1', containers: [] }, status: { phase: 'Running', podIP: '10.0.0.1' } };
  it.each([
    ['spec.nodeName', 'n1'],
    ['status.phase', 'Running'],
    ['status.podIP', '10.0.0.1'],
    ['spec.hostNetwork', 'false'],
    ['spec.schedulerName', ''],
    ['status.nominatedNodeName', ''],
  ])('pods %s = %j', (field, value) => {
    expect(pods.fieldSelectors[field]!(pod)).toBe(value);
  });

  it('reads events, nodes, secrets, replica sets and jobs', () => {
    const ev = { involvedObject: { kind: 'Pod', name: 'p', uid: 'u' }, reason: 'Killing', type: 'Normal', source: { component: 'kubelet' } };
    const events = registry.find('', 'v1', 'events')!.fieldSelectors;
    expect([events['involvedObject.uid']!(ev), events.reason!(ev), events.source!(ev), events.type!(ev)]).toEqual(['u', 'Killing', 'kubelet', 'Normal']);
    expect(registry.find('', 'v1', 'nodes')!.fieldSelectors['spec.unschedulable']!({ spec: {} })).toBe('false');
    expect(registry.find('', 'v1', 'secrets')!.fieldSelectors.type!({ type: 'Opaque' })).toBe('Opaque');
    expect(registry.find('apps', 'v1', 'replicasets')!.fieldSelectors['status.replicas']!({ status: { replicas: 3 } })).toBe('3');
    expect(registry.find('batch', 'v1', 'jobs')!.fieldSelectors['status.successful']!({ status: { succeeded: 2 } })).toBe('2');
    expect(registry.find('', 'v1', 'namespaces')!.fieldSelectors['status.phase']!({ status: { phase: 'Active' } })).toBe('Active');
  });
});
