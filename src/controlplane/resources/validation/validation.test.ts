import { describe, expect, it } from 'vitest';
import { registry } from '../registry.js';
import type { KubeObject } from '../types.js';
import { validateObject } from '../validation.js';

/** A minimal valid object of each kind we test, to be broken one field at a time. */
function base(kind: string): KubeObject {
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };
  const objects: Record<string, KubeObject> = {
    Pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    Deployment: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, template } },
    ReplicaSet: { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, template } },
    DaemonSet: { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, template } },
    StatefulSet: { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, template } },
    Job: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'default' }, spec: { template: { ...template, spec: { ...template.spec, restartPolicy: 'Never' } } } },
    CronJob: { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c', namespace: 'default' }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { ...template.spec, restartPolicy: 'OnFailure' } } } } } },
    Service: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    Namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
    Node: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { taints: [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }] }, status: { capacity: { cpu: '1500m', memory: '2Gi', pods: '110', 'example.com/gpu': '2' } } },
    ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' }, data: { 'app.conf': 'x' } },
    RoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'rb', namespace: 'default' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'u', apiGroup: 'rbac.authorization.k8s.io' }] },
  };
  return structuredClone(objects[kind]);
}

/**
 * Validates the base object with `edit` applied, after defaults. With `old`, it is an update: the
 * stored object is the defaulted base with `old` applied, and `edit` changes a copy of it.
 */
function check(kind: string, edit: (o: any) => void, old?: (o: any) => void) {
  const t = registry.findKind(base(kind).apiVersion!, kind)!;
  let previous: KubeObject | undefined;
  let obj = base(kind);
  if (old) {
    previous = base(kind);
    t.defaults(previous);
    old(previous);
    obj = structuredClone(previous);
  }
  edit(obj);
  t.defaults(obj);
  return validateObject(t, obj, previous);
}

type Case = [name: string, kind: string, edit: (o: any) => void, expected: Array<[field: string, message: string | RegExp]>];

const cases: Case[] = [
  ['pod: valid', 'Pod', () => {}, []],
  ['pod: replicas of wrong type', 'Deployment', (o) => (o.spec.replicas = 'abc'), [['spec.replicas', 'Invalid value: "string": spec.replicas in body must be of type integer: "string"']]],
  ['pod: containerPort of wrong type', 'Pod', (o) => (o.spec.containers[0].ports = [{ containerPort: 'http' }]), [['spec.containers[0].ports[0].containerPort', 'Invalid value: "string": spec.containers[0].ports[0].containerPort in body must be of type integer: "string"']]],
  ['pod: labels not a map of strings', 'Pod', (o) => (o.metadata.labels = { a: 1 }), [['metadata.labels[a]', 'Invalid value: "integer": metadata.labels[a] in body must be of type string: "integer"']]],
  ['pod: no containers', 'Pod', (o) => (o.spec.containers = []), [['spec.containers', 'Required value']]],
  ['pod: container without a name (schema)', 'Pod', (o) => delete o.spec.containers[0].name, [['spec.containers[0].name', 'Required value']]],
  ['pod: container name not a DNS label', 'Pod', (o) => (o.spec.containers[0].name = 'Web_1'), [['spec.containers[0].name', /^Invalid value: "Web_1": a lowercase RFC 1123 label must consist of/]]],
  ['pod: duplicate container names', 'Pod', (o) => o.spec.containers.push({ name: 'web', image: 'x' }), [['spec.containers[1].name', 'Duplicate value: "web"']]],
  ['pod: init container named like a container', 'Pod', (o) => (o.spec.initContainers = [{ name: 'web', image: 'x' }]), [['spec.initContainers[0].name', 'Duplicate value: "web"']]],
  ['pod: no image', 'Pod', (o) => delete o.spec.containers[0].image, [['spec.containers[0].image', 'Required value']]],
  ['pod: port out of range', 'Pod', (o) => (o.spec.containers[0].ports = [{ containerPort: 70000 }]), [['spec.containers[0].ports[0].containerPort', 'Invalid value: 70000: must be between 1 and 65535, inclusive']]],
  ['pod: bad restart policy', 'Pod', (o) => (o.spec.restartPolicy = 'Sometimes'), [['spec.restartPolicy', 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']]],
  ['pod: mount of an unknown volume', 'Pod', (o) => (o.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }]), [['spec.containers[0].volumeMounts[0].name', 'Not found: "data"']]],
  ['pod: toleration seconds without NoExecute', 'Pod', (o) => (o.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }]), [['spec.tolerations[0].effect', 'Invalid value: "NoSchedule": effect must be \'NoExecute\' when `tolerationSeconds` is set']]],
  ['pod: probe without handler', 'Pod', (o) => (o.spec.containers[0].livenessProbe = { periodSeconds: 5 }), [['spec.containers[0].livenessProbe', 'Required value: must specify a handler type']]],
  ['pod: quantity with a bad format', 'Pod', (o) => (o.spec.containers[0].resources = { requests: { cpu: 'lots' } }), [['spec.containers[0].resources.requests[cpu]', /^Invalid value: "lots": quantities must match the regular expression/]]],
  ['pod: numeric quantities are fine', 'Pod', (o) => (o.spec.containers[0].resources = { limits: { cpu: 1, memory: '64Mi' }, requests: { cpu: 0.5 } }), []],
  ['pod: name not a DNS subdomain', 'Pod', (o) => (o.metadata.name = 'My_Pod'), [['metadata.name', /^Invalid value: "My_Pod": a lowercase RFC 1123 subdomain must consist of/]]],
  ['pod: bad label key', 'Pod', (o) => (o.metadata.labels = { 'bad key': 'v' }), [['metadata.labels', /^Invalid value: "bad key": name part must consist of/]]],
  ['pod: bad label value', 'Pod', (o) => (o.metadata.labels = { k: 'bad value' }), [['metadata.labels', /^Invalid value: "bad value": a valid label must be an empty string/]]],
  ['pod: bad annotation key', 'Pod', (o) => (o.metadata.annotations = { 'a/b/c': 'v' }), [['metadata.annotations', /^Invalid value: "a\/b\/c": a qualified name must consist of/]]],
  ['pod: annotations too large', 'Pod', (o) => (o.metadata.annotations = { big: 'x'.repeat(256 * 1024) }), [['metadata.annotations', 'Too long: may not be more than 262144 bytes']]],
  ['deployment: valid', 'Deployment', () => {}, []],
  ['deployment: selector does not match', 'Deployment', (o) => (o.spec.selector.matchLabels.app = 'api'), [['spec.template.metadata.labels', 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`']]],
  ['deployment: negative replicas', 'Deployment', (o) => (o.spec.replicas = -1), [['spec.replicas', 'Invalid value: -1: must be greater than or equal to 0']]],
  ['deployment: missing selector', 'Deployment', (o) => delete o.spec.selector, [['spec.selector', 'Required value']]],
  ['deployment: restart policy Never', 'Deployment', (o) => (o.spec.template.spec.restartPolicy = 'Never'), [['spec.template.spec.restartPolicy', 'Unsupported value: "Never": supported values: "Always"']]],
  ['deployment: both rolling bounds zero', 'Deployment', (o) => (o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }), [['spec.strategy.rollingUpdate.maxUnavailable', 'Invalid value: 0: may not be 0 when `maxSurge` is 0']]],
  ['replicaset: selector does not match', 'ReplicaSet', (o) => (o.spec.template.metadata.labels = { app: 'other' }), [['spec.template.metadata.labels', /`selector` does not match template `labels`$/]]],
  ['daemonset: empty selector', 'DaemonSet', (o) => (o.spec.selector = {}), [['spec.selector', 'Invalid value: {}: empty selector is invalid for daemonset']]],
  ['statefulset: containers may mount volumeClaimTemplates', 'StatefulSet', (o) => {
    o.spec.template.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }];
    o.spec.volumeClaimTemplates = [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }];
  }, []],
  ['statefulset: a mount of neither a volume nor a claim template', 'StatefulSet', (o) => (o.spec.template.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }]), [['spec.template.spec.containers[0].volumeMounts[0].name', 'Not found: "data"']]],
  ['statefulset: bad pod management policy', 'StatefulSet', (o) => (o.spec.podManagementPolicy = 'Random'), [['spec.podManagementPolicy', 'Unsupported value: "Random": supported values: "OrderedReady", "Parallel"']]],
  ['job: valid without a selector (the server generates it)', 'Job', () => {}, []],
  ['job: restart policy defaults to Always and is refused', 'Job', (o) => delete o.spec.template.spec.restartPolicy, [['spec.template.spec.restartPolicy', 'Unsupported value: "Always": supported values: "OnFailure", "Never"']]],
  ['job: manual selector that does not match', 'Job', (o) => Object.assign(o.spec, { manualSelector: true, selector: { matchLabels: { app: 'x' } } }), [['spec.template.metadata.labels', /`selector` does not match template `labels`$/]]],
  ['cronjob: bad schedule', 'CronJob', (o) => (o.spec.schedule = 'every minute'), [['spec.schedule', 'Invalid value: "every minute": expected exactly 5 fields, found 2: every minute']]],
  ['cronjob: job template restart policy', 'CronJob', (o) => (o.spec.jobTemplate.spec.template.spec.restartPolicy = 'Always'), [['spec.jobTemplate.spec.template.spec.restartPolicy', 'Unsupported value: "Always": supported values: "OnFailure", "Never"']]],
  ['service: valid', 'Service', () => {}, []],
  ['service: name must be a DNS-1035 label', 'Service', (o) => (o.metadata.name = '1svc'), [['metadata.name', /^Invalid value: "1svc": a DNS-1035 label must consist of/]]],
  ['service: no ports', 'Service', (o) => (o.spec.ports = []), [['spec.ports', 'Required value']]],
  ['service: two unnamed ports', 'Service', (o) => o.spec.ports.push({ port: 81 }), [['spec.ports[0].name', 'Required value'], ['spec.ports[1].name', 'Required value']]],
  ['service: port zero', 'Service', (o) => (o.spec.ports[0] = { port: 0, targetPort: 8080 }), [['spec.ports[0].port', 'Invalid value: 0: must be between 1 and 65535, inclusive']]],
  ['service: bad protocol', 'Service', (o) => (o.spec.ports[0].protocol = 'HTTP'), [['spec.ports[0].protocol', 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"']]],
  ['service: nodePort on ClusterIP', 'Service', (o) => (o.spec.ports[0].nodePort = 30080), [['spec.ports[0].nodePort', "Forbidden: may not be used when `type` is 'ClusterIP'"]]],
  ['namespace: name must be a DNS label', 'Namespace', (o) => (o.metadata.name = 'team.a'), [['metadata.name', /^Invalid value: "team.a": a lowercase RFC 1123 label must consist of/]]],
  ['namespace: namespaced field on a cluster kind', 'Namespace', (o) => (o.metadata.namespace = 'x'), [['metadata.namespace', 'Forbidden: not allowed on this type']]],
  ['node: valid (taints, capacity)', 'Node', () => {}, []],
  ['node: taint key not a qualified name', 'Node', (o) => (o.spec.taints[0].key = 'bad key'), [['spec.taints[0].key', /^Invalid value: "bad key": name part must consist of/]]],
  ['node: taint value not a label value', 'Node', (o) => (o.spec.taints[0].value = 'no way'), [['spec.taints[0].value', /^Invalid value: "no way": a valid label must be an empty string/]]],
  ['node: taint effect', 'Node', (o) => (o.spec.taints[0].effect = 'Sometimes'), [['spec.taints[0].effect', 'Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"']]],
  ['node: taint without effect', 'Node', (o) => delete o.spec.taints[0].effect, [['spec.taints[0].effect', 'Required value']]],
  ['node: taints unique by key and effect', 'Node', (o) => o.spec.taints.push({ key: 'dedicated', value: 'other', effect: 'NoSchedule' }, { key: 'dedicated', effect: 'NoExecute' }), [['spec.taints[1]', /^Duplicate value: .*: taints must be unique by key and effect pair$/]]],
  ['node: negative capacity (and allocatable, defaulted from it)', 'Node', (o) => (o.status.capacity.cpu = '-2'), [['status.capacity[cpu]', 'Invalid value: "-2": must be greater than or equal to 0'], ['status.allocatable[cpu]', 'Invalid value: "-2": must be greater than or equal to 0']]],
  ['node: fractional pods', 'Node', (o) => (o.status.allocatable = { pods: '2.5' }), [['status.allocatable[pods]', 'Invalid value: "2.5": must be an integer']]],
  ['node: fractional extended resource', 'Node', (o) => (o.status.allocatable = { 'example.com/gpu': '500m', cpu: '500m' }), [['status.allocatable[example.com/gpu]', 'Invalid value: "500m": must be an integer']]],
  ['configmap: bad key', 'ConfigMap', (o) => (o.data = { 'a b': 'x' }), [['data[a b]', /^Invalid value: "a b": a valid config key must consist of/]]],
  ['rolebinding: roleRef kind', 'RoleBinding', (o) => (o.roleRef.kind = 'User'), [['roleRef.kind', 'Unsupported value: "User": supported values: "Role", "ClusterRole"']]],
  ['rolebinding: subject kind', 'RoleBinding', (o) => (o.subjects[0].kind = 'Robot'), [['subjects[0].kind', 'Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"']]],
];

describe('validation', () => {
  it.each(cases)('%s', (_name, kind, edit, expected) => {
    const { causes } = check(kind, edit);
    expect(causes.map((c) => c.field)).toEqual(expected.map(([f]) => f));
    expected.forEach(([, message], i) => {
      if (typeof message === 'string') expect(causes[i].message).toBe(message);
      else expect(causes[i].message).toMatch(message);
    });
  });

  it('reports unknown fields separately, with their paths', () => {
    const result = check('Deployment', (o) => {
      o.spec.foo = 1;
      o.spec.template.spec.containers[0].imagePullPolcy = 'Always';
    });
    expect(result.causes).toEqual([]);
    expect(result.unknownFields).toEqual(['spec.template.spec.containers[0].imagePullPolcy', 'spec.foo']);
  });

  it('keeps open fields open (berth.dev spec, ControllerRevision data)', () => {
    const app = { apiVersion: 'berth.dev/v1alpha1', kind: 'Application', metadata: { name: 'a', namespace: 'default' }, spec: { anything: { goes: [1] } } };
    expect(validateObject(registry.findKind('berth.dev/v1alpha1', 'Application')!, app)).toEqual({ causes: [], unknownFields: [] });
  });

  it.each<[string, string, (o: any) => void, (o: any) => void, string, string | RegExp]>([
    [
      'deployment selector is immutable',
      'Deployment',
      (o) => {
        o.spec.selector.matchLabels.v = '2';
        o.spec.template.metadata.labels.v = '2';
      },
      () => {},
      'spec.selector',
      /: field is immutable$/,
    ],
    ['pod spec is immutable except images', 'Pod', (o) => (o.spec.containers[0].command = ['sh']), () => {}, 'spec', /^Forbidden: pod updates may not change fields other than/],
    ['rolebinding roleRef cannot change', 'RoleBinding', (o) => (o.roleRef.name = 'other'), () => {}, 'roleRef', /: cannot change roleRef$/],
  ])('update: %s', (_name, kind, edit, old, field, message) => {
    const { causes } = check(kind, edit, old);
    expect(causes.map((c) => c.field)).toEqual([field]);
    expect(causes[0].message).toMatch(message);
  });

  it('lets a pod update change images and the scheduler bind it', () => {
    expect(check('Pod', (o) => (o.spec.containers[0].image = 'nginx:2'), () => {}).causes).toEqual([]);
    expect(check('Pod', (o) => (o.spec.nodeName = 'node-1'), () => {}).causes).toEqual([]);
    expect(check('Pod', (o) => (o.spec.nodeName = 'node-2'), (o) => (o.spec.nodeName = 'node-1')).causes.map((c) => c.field)).toEqual(['spec']);
  });
});
