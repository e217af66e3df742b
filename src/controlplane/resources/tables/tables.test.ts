import { describe, expect, it } from 'vitest';
import { registry } from '../registry.js';
import type { KubeObject } from '../types.js';

const now = Date.parse('2024-05-01T12:00:00Z');
const created = '2024-05-01T11:55:00Z';

function cells(resource: string, obj: Record<string, unknown>, group = '', version = 'v1'): unknown[] {
  const t = registry.find(group, version, resource)!;
  const row = t.printer.cells({ metadata: { name: 'x', creationTimestamp: created }, ...obj } as KubeObject, now);
  expect(row).toHaveLength(t.printer.columns.length);
  return row;
}

const running = { running: { startedAt: created } };

describe('pod table', () => {
  it('has kubectl columns', () => {
    const cols = registry.find('', 'v1', 'pods')!.printer.columns;
    expect(cols.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0], ['Ready', 0], ['Status', 0], ['Restarts', 0], ['Age', 0], ['IP', 1], ['Node', 1], ['Nominated Node', 1], ['Readiness Gates', 1],
    ]);
    expect(cols[0].format).toBe('name');
  });

  it.each<[string, Record<string, unknown>, unknown[]]>([
    [
      'running and ready',
      {
        spec: { containers: [{ name: 'a' }], nodeName: 'n1' },
        status: { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }], containerStatuses: [{ name: 'a', ready: true, restartCount: 0, state: running }] },
      },
      ['x', '1/1', 'Running', '0', '5m', '10.0.0.5', 'n1', '<none>', '<none>'],
    ],
    [
      'crash looping',
      {
        spec: { containers: [{ name: 'a' }, { name: 'b' }] },
        status: {
          phase: 'Running',
          containerStatuses: [
            { name: 'a', ready: true, restartCount: 0, state: running },
            {
              name: 'b',
              ready: false,
              restartCount: 4,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2024-05-01T11:59:30Z' } },
            },
          ],
        },
      },
      ['x', '1/2', 'CrashLoopBackOff', '4 (30s ago)', '5m', '<none>', '<none>', '<none>', '<none>'],
    ],
    [
      'terminating',
      {
        metadata: { name: 'x', creationTimestamp: created, deletionTimestamp: '2024-05-01T12:00:00Z' },
        spec: { containers: [{ name: 'a' }] },
        status: { phase: 'Running', containerStatuses: [{ name: 'a', ready: true, restartCount: 0, state: running }] },
      },
      ['x', '1/1', 'Terminating', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
    ],
    [
      'completed',
      {
        spec: { containers: [{ name: 'a' }] },
        status: { phase: 'Succeeded', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] },
      },
      ['x', '0/1', 'Completed', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
    ],
    [
      'failed without a reason',
      {
        spec: { containers: [{ name: 'a' }] },
        status: { phase: 'Failed', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }] },
      },
      ['x', '0/1', 'ExitCode:2', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
    ],
    [
      'pending, image pulling',
      {
        spec: { containers: [{ name: 'a' }] },
        status: { phase: 'Pending', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] },
      },
      ['x', '0/1', 'ContainerCreating', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
    ],
    [
      'initializing',
      {
        spec: { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'a' }] },
        status: {
          phase: 'Pending',
          initContainerStatuses: [
            { name: 'i1', ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
            { name: 'i2', ready: false, restartCount: 0, state: running },
          ],
        },
      },
      ['x', '0/1', 'Init:1/2', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
    ],
    [
      'init container crash looping',
      {
        spec: { initContainers: [{ name: 'i1' }], containers: [{ name: 'a' }] },
        status: { phase: 'Pending', initContainerStatuses: [{ name: 'i1', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
      },
      ['x', '0/1', 'Init:CrashLoopBackOff', '2', '5m', '<none>', '<none>', '<none>', '<none>'],
    ],
    [
      'scheduling gated, readiness gates',
      {
        spec: { containers: [{ name: 'a' }], readinessGates: [{ conditionType: 'example.com/lb' }] },
        status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] },
      },
      ['x', '0/1', 'SchedulingGated', '0', '5m', '<none>', '<none>', '<none>', '0/1'],
    ],
  ])('%s', (_name, pod, expected) => {
    expect(cells('pods', pod)).toEqual(expected);
  });
});

describe('other tables', () => {
  const template = { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }, { name: 'side', image: 'busybox' }] } };

  it('deployments: READY UP-TO-DATE AVAILABLE AGE + CONTAINERS IMAGES SELECTOR', () => {
    const row = cells('deployments', {
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] }, template },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    }, 'apps');
    expect(row).toEqual(['x', '2/3', 3, 2, '5m', 'web,side', 'nginx:1.25,busybox', 'app=web,tier in (a,b)']);
  });

  it('replica sets, daemon sets, stateful sets', () => {
    expect(cells('replicasets', { spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template }, status: { replicas: 3, readyReplicas: 1 } }, 'apps').slice(0, 5)).toEqual(['x', 3, 3, 1, '5m']);
    expect(cells('daemonsets', { spec: { template: { spec: { ...template.spec, nodeSelector: { disk: 'ssd' } } } }, status: { desiredNumberScheduled: 2, numberReady: 1 } }, 'apps').slice(0, 8)).toEqual(['x', 2, 0, 1, 0, 0, 'disk=ssd', '5m']);
    expect(cells('statefulsets', { spec: { replicas: 2, template }, status: { readyReplicas: 2 } }, 'apps').slice(0, 3)).toEqual(['x', '2/2', '5m']);
  });

  it('jobs: STATUS COMPLETIONS DURATION', () => {
    const status = { succeeded: 1, startTime: '2024-05-01T11:55:00Z', completionTime: '2024-05-01T11:55:42Z', conditions: [{ type: 'Complete', status: 'True' }] };
    expect(cells('jobs', { spec: { completions: 1, template }, status }, 'batch').slice(0, 5)).toEqual(['x', 'Complete', '1/1', '42s', '5m']);
    expect(cells('jobs', { spec: { parallelism: 3, template }, status: { startTime: '2024-05-01T11:58:00Z' } }, 'batch').slice(0, 5)).toEqual(['x', 'Running', '0/1 of 3', '2m', '5m']);
  });

  it('cron jobs', () => {
    expect(cells('cronjobs', { spec: { schedule: '*/1 * * * *', suspend: false, jobTemplate: { spec: { template } } }, status: { lastScheduleTime: '2024-05-01T11:59:00Z' } }, 'batch').slice(0, 7)).toEqual([
      'x', '*/1 * * * *', '<none>', 'False', 0, '60s', '5m',
    ]);
  });

  it('services: TYPE CLUSTER-IP EXTERNAL-IP PORT(S)', () => {
    expect(cells('services', { spec: { type: 'ClusterIP', clusterIPs: ['10.96.0.10'], ports: [{ port: 53, protocol: 'UDP' }, { port: 80, protocol: 'TCP' }], selector: { app: 'dns' } } })).toEqual([
      'x', 'ClusterIP', '10.96.0.10', '<none>', '53/UDP,80/TCP', '5m', 'app=dns',
    ]);
    expect(cells('services', { spec: { type: 'NodePort', clusterIP: '10.96.0.11', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] } }).slice(1, 5)).toEqual(['NodePort', '10.96.0.11', '<none>', '80:30080/TCP']);
    expect(cells('services', { spec: { type: 'LoadBalancer', ports: [{ port: 443, protocol: 'TCP' }] } }).slice(3, 4)).toEqual(['<pending>']);
  });

  it('nodes: STATUS ROLES AGE VERSION', () => {
    const node = {
      metadata: { name: 'x', creationTimestamp: created, labels: { 'node-role.kubernetes.io/control-plane': '' } },
      spec: { unschedulable: true },
      status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.32.0-berth' }, addresses: [{ type: 'InternalIP', address: '192.168.1.2' }] },
    };
    expect(cells('nodes', node)).toEqual(['x', 'Ready,SchedulingDisabled', 'control-plane', '5m', 'v1.32.0-berth', '192.168.1.2', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  });

  it('namespaces, config maps, secrets, service accounts, endpoints', () => {
    expect(cells('namespaces', { status: { phase: 'Active' } })).toEqual(['x', 'Active', '5m']);
    expect(cells('configmaps', { data: { a: '1', b: '2' }, binaryData: { c: '' } })).toEqual(['x', 3, '5m']);
    expect(cells('secrets', { type: 'Opaque', data: { a: 'MQ==' } })).toEqual(['x', 'Opaque', 1, '5m']);
    expect(cells('serviceaccounts', {})).toEqual(['x', 0, '5m']);
    const subsets = [{ addresses: [1, 2, 3, 4].map((i) => ({ ip: `10.0.0.${i}` })), ports: [{ port: 80 }] }];
    expect(cells('endpoints', { subsets })).toEqual(['x', '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...', '5m']);
    expect(cells('endpoints', {})).toEqual(['x', '<none>', '5m']);
  });

  it('events lead with LAST SEEN, as kubectl prints them', () => {
    const event = {
      involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{web}' },
      reason: 'Pulled',
      type: 'Normal',
      message: 'Pulled image ',
      source: { component: 'kubelet', host: 'n1' },
      firstTimestamp: '2024-05-01T11:56:00Z',
      lastTimestamp: '2024-05-01T11:59:00Z',
      count: 2,
    };
    expect(cells('events', event)).toEqual(['60s', 'Normal', 'Pulled', 'pod/web-1', 'spec.containers{web}', 'kubelet, n1', 'Pulled image', '4m', 2, 'x']);
    const modern = { apiVersion: 'events.k8s.io/v1', regarding: { kind: 'Node', name: 'n1' }, reason: 'Ready', type: 'Normal', note: 'ok', eventTime: '2024-05-01T11:59:30Z', reportingController: 'berth' };
    expect(cells('events', modern, 'events.k8s.io')).toEqual(['30s', 'Normal', 'Ready', 'node/n1', '', 'berth', 'ok', '30s', 1, 'x']);
  });

  it('berth.dev applications: SYNC STATUS, HEALTH STATUS, REVISION', () => {
    const app = { status: { sync: { status: 'Synced', revision: '0123456789abcdef' }, health: { status: 'Healthy' } } };
    expect(cells('applications', app, 'berth.dev', 'v1alpha1')).toEqual(['x', 'Synced', 'Healthy', '0123456789ab', '5m', '']);
  });

  it('every kind prints one cell per column for a bare object', () => {
    for (const t of registry.all()) {
      expect(t.printer.cells({ metadata: { name: 'x' } }, now), t.kind).toHaveLength(t.printer.columns.length);
    }
  });
});
