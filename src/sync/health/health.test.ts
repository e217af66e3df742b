/** Table tests for per-kind health and the Application roll-up, case by case as Argo CD decides them. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { assess, rollUp, type HealthStatus } from './health.js';

const meta = (generation = 2, extra: Record<string, unknown> = {}) => ({ name: 'x', namespace: 'default', generation, ...extra });
const dep = (spec: Record<string, unknown>, status: Record<string, unknown>, generation = 2): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: meta(generation),
  spec: { replicas: 3, ...spec },
  status: { observedGeneration: 2, ...status },
});
const full = { replicas: 3, updatedReplicas: 3, availableReplicas: 3, readyReplicas: 3 };
const sts = (spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: meta(),
  spec: { replicas: 3, ...spec },
  status: { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 3, currentRevision: 'r1', updateRevision: 'r1', ...status },
});
const job = (conditions: Array<Record<string, string>>, spec: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: meta(), spec, status: { conditions } });
const pod = (status: Record<string, unknown>, spec: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta(), spec, status });
const ready = { type: 'Ready', status: 'True' };

const cases: Array<[string, KubeObject | undefined, HealthStatus]> = [
  ['missing object', undefined, 'Missing'],
  ['being deleted', { ...dep({}, full), metadata: meta(2, { deletionTimestamp: '2026-01-01T00:00:00Z' }) }, 'Progressing'],
  ['Deployment rolled out', dep({}, full), 'Healthy'],
  ['Deployment paused', dep({ paused: true }, full), 'Suspended'],
  ['Deployment generation not observed', dep({}, full, 3), 'Progressing'],
  ['Deployment updating', dep({}, { ...full, updatedReplicas: 1 }), 'Progressing'],
  ['Deployment old replicas terminating', dep({}, { ...full, replicas: 4 }), 'Progressing'],
  ['Deployment not yet available', dep({}, { ...full, availableReplicas: 2 }), 'Progressing'],
  ['Deployment progress deadline exceeded', dep({}, { ...full, updatedReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }), 'Degraded'],
  ['Deployment replicas defaulted to 1', { ...dep({}, { replicas: 1, updatedReplicas: 1, availableReplicas: 1 }), spec: {} }, 'Healthy'],
  ['ReplicaSet available', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta(), spec: { replicas: 2 }, status: { observedGeneration: 2, availableReplicas: 2 } }, 'Healthy'],
  ['ReplicaSet short', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta(), spec: { replicas: 2 }, status: { observedGeneration: 2, availableReplicas: 1 } }, 'Progressing'],
  [
    'ReplicaSet replica failure',
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta(), spec: { replicas: 2 }, status: { observedGeneration: 2, conditions: [{ type: 'ReplicaFailure', status: 'True', message: 'quota' }] } },
    'Degraded',
  ],
  ['ReplicationController available', { apiVersion: 'v1', kind: 'ReplicationController', metadata: meta(), spec: { replicas: 1 }, status: { observedGeneration: 2, availableReplicas: 1 } }, 'Healthy'],
  ['StatefulSet rolled out', sts({}, {}), 'Healthy'],
  ['StatefulSet pods not ready', sts({}, { readyReplicas: 2 }), 'Progressing'],
  ['StatefulSet revision rolling', sts({}, { updateRevision: 'r2' }), 'Progressing'],
  ['StatefulSet partition reached', sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }, { updatedReplicas: 1, updateRevision: 'r2' }), 'Healthy'],
  ['StatefulSet partition not reached', sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }, { updatedReplicas: 1, updateRevision: 'r2' }), 'Progressing'],
  ['StatefulSet OnDelete', sts({ updateStrategy: { type: 'OnDelete' } }, { updateRevision: 'r2' }), 'Healthy'],
  [
    'DaemonSet rolled out',
    { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta(), spec: {}, status: { observedGeneration: 2, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2 } },
    'Healthy',
  ],
  [
    'DaemonSet updating',
    { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta(), spec: {}, status: { observedGeneration: 2, desiredNumberScheduled: 2, updatedNumberScheduled: 1, numberAvailable: 2 } },
    'Progressing',
  ],
  [
    'DaemonSet unavailable',
    { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta(), spec: {}, status: { observedGeneration: 2, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 1 } },
    'Progressing',
  ],
  ['Job running', job([]), 'Progressing'],
  ['Job complete', job([{ type: 'Complete', status: 'True' }]), 'Healthy'],
  ['Job failed', job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }]), 'Degraded'],
  ['Job suspended', job([{ type: 'Suspended', status: 'True' }], { suspend: true }), 'Suspended'],
  ['CronJob active', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta(), spec: { schedule: '* * * * *' } }, 'Healthy'],
  ['CronJob suspended', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta(), spec: { suspend: true } }, 'Suspended'],
  ['Pod pending', pod({ phase: 'Pending' }), 'Progressing'],
  ['Pod running and ready', pod({ phase: 'Running', conditions: [ready], containerStatuses: [{ name: 'c', ready: true, restartCount: 0 }] }), 'Healthy'],
  ['Pod running not ready', pod({ phase: 'Running', containerStatuses: [{ name: 'c', ready: false, restartCount: 0 }] }), 'Progressing'],
  ['Pod CrashLoopBackOff', pod({ phase: 'Running', containerStatuses: [{ name: 'c', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }), 'Degraded'],
  ['Pod image pull error while pending', pod({ phase: 'Pending', containerStatuses: [{ name: 'c', state: { waiting: { reason: 'ErrImagePull' } } }] }), 'Degraded'],
  ['Pod restart loop', pod({ phase: 'Running', containerStatuses: [{ name: 'c', ready: false, restartCount: 5, state: { running: {} } }] }), 'Degraded'],
  ['Pod restarted but ready again', pod({ phase: 'Running', conditions: [ready], containerStatuses: [{ name: 'c', ready: true, restartCount: 5 }] }), 'Healthy'],
  ['Pod succeeded', pod({ phase: 'Succeeded' }, { restartPolicy: 'Never' }), 'Healthy'],
  ['Pod failed', pod({ phase: 'Failed', reason: 'Error' }, { restartPolicy: 'Never' }), 'Degraded'],
  ['Pod of a job still running', pod({ phase: 'Running', conditions: [ready] }, { restartPolicy: 'OnFailure' }), 'Progressing'],
  ['ClusterIP Service', { apiVersion: 'v1', kind: 'Service', metadata: meta(), spec: { type: 'ClusterIP' } }, 'Healthy'],
  ['LoadBalancer without ingress', { apiVersion: 'v1', kind: 'Service', metadata: meta(), spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } }, 'Progressing'],
  ['LoadBalancer with ingress', { apiVersion: 'v1', kind: 'Service', metadata: meta(), spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } } }, 'Healthy'],
  ['PVC bound', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta(), status: { phase: 'Bound' } }, 'Healthy'],
  ['PVC pending', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta(), status: { phase: 'Pending' } }, 'Progressing'],
  ['PVC lost', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta(), status: { phase: 'Lost' } }, 'Degraded'],
  ['ConfigMap present', { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta() }, 'Healthy'],
  ['a kind berth does not know', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: meta() }, 'Healthy'],
];

describe('assess', () => {
  it.each(cases)('%s → %s', (_name, obj, status) => {
    const health = assess(obj);
    expect(health.status).toBe(status);
    if (status !== 'Healthy') expect(health.message).not.toBe('');
  });
});

describe('rollUp', () => {
  const rollUps: Array<[HealthStatus[], HealthStatus]> = [
    [[], 'Healthy'],
    [['Healthy', 'Healthy'], 'Healthy'],
    [['Healthy', 'Suspended'], 'Suspended'],
    [['Suspended', 'Progressing'], 'Progressing'],
    [['Progressing', 'Missing'], 'Missing'],
    [['Missing', 'Degraded', 'Healthy'], 'Degraded'],
    [['Degraded', 'Unknown'], 'Unknown'],
  ];
  it.each(rollUps)('%j → %s', (statuses, want) => expect(rollUp(statuses)).toBe(want));
});
