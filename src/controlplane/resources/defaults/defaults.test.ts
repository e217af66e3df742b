import { describe, expect, it } from 'vitest';
import { registry } from '../registry.js';
import type { KubeObject } from '../types.js';
import { imageTag } from './pod.js';

/** Defaults an object of its kind, checks idempotency, and returns it. */
function defaulted(obj: KubeObject): KubeObject {
  const t = registry.findKind(obj.apiVersion!, obj.kind!)!;
  const copy = structuredClone(obj);
  t.defaults(copy);
  const again = structuredClone(copy);
  t.defaults(again);
  expect(again).toEqual(copy);
  return copy;
}

const podTemplate = (containers: unknown[] = [{ name: 'c', image: 'nginx' }]): Record<string, unknown> => ({ metadata: { labels: { app: 'a' } }, spec: { containers } });

describe('image pull policy tag parsing', () => {
  it.each([
    ['nginx', 'latest'],
    ['nginx:latest', 'latest'],
    ['nginx:1.25', '1.25'],
    ['localhost:5000/app', 'latest'],
    ['localhost:5000/app:v2', 'v2'],
    ['nginx@sha256:abc', ''],
  ])('%s has tag %j', (image, tag) => expect(imageTag(image)).toBe(tag));
});

describe('defaults', () => {
  it('defaults a pod as SetDefaults_Pod and its admission plugins do', () => {
    const pod = defaulted({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'a',
            image: 'nginx',
            ports: [{ containerPort: 80 }],
            livenessProbe: { httpGet: { port: 80 } },
            resources: { limits: { cpu: '1' } },
            env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          },
          { name: 'b', image: 'nginx:1.25' },
        ],
        volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'c' } }],
      },
    });
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      enableServiceLinks: true,
      serviceAccountName: 'default',
      serviceAccount: 'default',
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
      volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } }],
    });
    const [a, b] = (pod.spec as { containers: Record<string, unknown>[] }).containers;
    expect(a).toMatchObject({
      imagePullPolicy: 'Always',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      livenessProbe: { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
      resources: { limits: { cpu: '1' }, requests: { cpu: '1' } },
      env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } } }],
    });
    expect(b.imagePullPolicy).toBe('IfNotPresent');
  });

  it('keeps what the user set', () => {
    const pod = defaulted({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'x', imagePullPolicy: 'Never' }] } });
    expect(pod.spec).toMatchObject({ restartPolicy: 'Never', containers: [{ imagePullPolicy: 'Never' }] });
  });

  it('gives pod templates the pod-spec defaults only', () => {
    const d = defaulted({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'a' } }, template: podTemplate() } });
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: { spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', containers: [{ imagePullPolicy: 'Always' }] } },
    });
    const spec = (d.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(spec.serviceAccountName).toBeUndefined();
    expect(spec.enableServiceLinks).toBeUndefined();
  });

  it('leaves rollingUpdate out of a Recreate deployment', () => {
    const d = defaulted({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { strategy: { type: 'Recreate' }, template: podTemplate() } });
    expect(d.spec).toMatchObject({ strategy: { type: 'Recreate' } });
    expect((d.spec as { strategy: Record<string, unknown> }).strategy.rollingUpdate).toBeUndefined();
  });

  it.each([
    [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', spec: { template: podTemplate() } }, { spec: { replicas: 1 } }],
    [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', spec: { template: podTemplate() } },
      { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 } },
    ],
    [
      { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { template: podTemplate(), volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] } },
      {
        spec: {
          replicas: 1,
          podManagementPolicy: 'OrderedReady',
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
          revisionHistoryLimit: 10,
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
          volumeClaimTemplates: [{ spec: { volumeMode: 'Filesystem' } }],
        },
      },
    ],
    [
      { apiVersion: 'batch/v1', kind: 'Job', spec: { template: podTemplate() } },
      { metadata: { labels: { app: 'a' } }, spec: { completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, podReplacementPolicy: 'TerminatingOrFailed' } },
    ],
    [{ apiVersion: 'batch/v1', kind: 'Job', spec: { parallelism: 3, template: podTemplate() } }, { spec: { parallelism: 3, backoffLimit: 6 } }],
    [
      { apiVersion: 'batch/v1', kind: 'CronJob', spec: { schedule: '* * * * *', jobTemplate: { spec: { template: podTemplate() } } } },
      { spec: { concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, jobTemplate: { spec: { template: { spec: { restartPolicy: 'Always' } } } } } },
    ],
    [
      { apiVersion: 'v1', kind: 'ReplicationController', spec: { template: podTemplate() } },
      { metadata: { labels: { app: 'a' } }, spec: { replicas: 1, selector: { app: 'a' } } },
    ],
    [
      { apiVersion: 'v1', kind: 'Service', spec: { ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] } },
      { spec: { type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] } },
    ],
    [
      { apiVersion: 'v1', kind: 'Service', spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } },
      { spec: { externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true } },
    ],
    [{ apiVersion: 'v1', kind: 'Namespace' }, { metadata: { labels: { 'kubernetes.io/metadata.name': 'x' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }],
    [{ apiVersion: 'v1', kind: 'Secret' }, { type: 'Opaque' }],
    [{ apiVersion: 'v1', kind: 'Secret', data: { a: 'MQ==', b: 'Mg==' }, stringData: { b: 'två', c: '' } }, { data: { a: 'MQ==', b: 'dHbDpQ==', c: '' } }],
    [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: {} }, { spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } }],
    [{ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', value: 10 }, { preemptionPolicy: 'PreemptLowerPriority' }],
    [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'u' }, { kind: 'ServiceAccount', name: 's' }] },
      { roleRef: { apiGroup: 'rbac.authorization.k8s.io' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io' }, { apiGroup: '' }] },
    ],
  ])('%j', (input, expected) => {
    expect(defaulted({ ...input, metadata: { name: 'x' } } as KubeObject)).toMatchObject(expected);
  });

  it('drops a Secret\'s stringData once folded into data', () => {
    expect(defaulted({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, stringData: { k: 'v' } } as KubeObject)).not.toHaveProperty('stringData');
  });

  it('does not bring back the namespace finalizer while the namespace is being deleted', () => {
    const ns = defaulted({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', deletionTimestamp: '2024-01-01T00:00:00Z' }, status: { phase: 'Terminating' } });
    expect(ns.spec).toBeUndefined();
    expect(ns.status).toEqual({ phase: 'Terminating' });
  });
});
