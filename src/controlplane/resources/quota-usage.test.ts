import { describe, expect, it } from 'vitest';
import { formatAmounts, parseAmounts } from './quantities.js';
import { calculateUsed, checkRequest, countedResource, countedResources, podTotals, QuotaDenied, quotaState, type QuotaRequest, type QuotaState } from './quota-usage.js';
import type { KubeObject } from './types.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const pods = { group: '', resource: 'pods' };

function quota(name: string, hard: Record<string, string>, used: Record<string, string>, scopes: string[] = []): QuotaState {
  return quotaState({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard, scopes }, status: { hard, used } } as KubeObject);
}

function pod(containers: { name: string; requests?: Record<string, string>; limits?: Record<string, string> }[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: containers.map((c) => ({ name: c.name, image: 'x', resources: { requests: c.requests, limits: c.limits } })), ...extra },
  } as KubeObject;
}

const create = (object: KubeObject, gr = pods): QuotaRequest => ({ operation: 'CREATE', gr, object, now: NOW });

function deny(quotas: QuotaState[], req: QuotaRequest): string {
  try {
    checkRequest(quotas, req);
  } catch (e) {
    if (e instanceof QuotaDenied) return e.message;
    throw e;
  }
  throw new Error('expected a denial');
}

describe('checkRequest', () => {
  it.each([
    ['pod count at its limit', [quota('q', { pods: '2' }, { pods: '2' })], pod([{ name: 'a' }]), 'exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2'],
    [
      'cpu requests over',
      [quota('compute', { 'requests.cpu': '1', pods: '10' }, { 'requests.cpu': '800m', pods: '1' })],
      pod([{ name: 'a', requests: { cpu: '300m' } }]),
      'exceeded quota: compute, requested: requests.cpu=300m, used: requests.cpu=800m, limited: requests.cpu=1',
    ],
    [
      'bare memory means requests',
      [quota('m', { memory: '1Gi' }, { memory: '768Mi' })],
      pod([{ name: 'a', requests: { memory: '512Mi' } }]),
      'exceeded quota: m, requested: memory=512Mi, used: memory=768Mi, limited: memory=1Gi',
    ],
    [
      'limits missing on a container',
      [quota('lim', { 'limits.cpu': '2', 'limits.memory': '1Gi' }, { 'limits.cpu': '0', 'limits.memory': '0' })],
      pod([{ name: 'web', limits: { cpu: '1' } }, { name: 'log' }]),
      'failed quota: lim: must specify limits.cpu for: log; limits.memory for: log,web',
    ],
    ['count/ form', [quota('c', { 'count/configmaps': '1' }, { 'count/configmaps': '1' })], { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } as KubeObject, 'exceeded quota: c, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1'],
  ])('refuses: %s', (_what, quotas, object, message) => {
    const gr = object.kind === 'ConfigMap' ? { group: '', resource: 'configmaps' } : pods;
    expect(deny(quotas, create(object, gr))).toBe(message);
  });

  it('charges every matching quota and leaves others alone', () => {
    const quotas = [quota('a', { pods: '5', 'requests.cpu': '2' }, { pods: '1', 'requests.cpu': '500m' }), quota('b', { services: '3' }, { services: '0' })];
    const changes = checkRequest(quotas, create(pod([{ name: 'c', requests: { cpu: '250m' } }, { name: 'd', requests: { cpu: '250m' } }])));
    expect(changes.map((c) => ({ name: c.name, used: formatAmounts(c.used) }))).toEqual([{ name: 'a', used: { pods: '2', 'requests.cpu': '1' } }]);
  });

  it('counts count/deployments.apps but not updates of existing objects', () => {
    const q = [quota('d', { 'count/deployments.apps': '1' }, { 'count/deployments.apps': '0' })];
    const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } } as KubeObject;
    expect(checkRequest(q, create(deploy, { group: 'apps', resource: 'deployments' })).map((c) => formatAmounts(c.used))).toEqual([{ 'count/deployments.apps': '1' }]);
    expect(checkRequest(q, { ...create(deploy, { group: 'apps', resource: 'deployments' }), operation: 'UPDATE', oldObject: deploy })).toEqual([]);
  });

  it('charges a service update only for what it adds', () => {
    const q = [quota('s', { 'services.loadbalancers': '1', services: '5' }, { 'services.loadbalancers': '1', services: '2' })];
    const svc = (type: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type, ports: [{ port: 80 }] } }) as KubeObject;
    const gr = { group: '', resource: 'services' };
    expect(deny(q, { operation: 'UPDATE', gr, object: svc('LoadBalancer'), oldObject: svc('ClusterIP'), now: NOW })).toBe(
      'exceeded quota: s, requested: services.loadbalancers=1, used: services.loadbalancers=1, limited: services.loadbalancers=1',
    );
    expect(checkRequest(q, { operation: 'UPDATE', gr, object: svc('ClusterIP'), oldObject: svc('ClusterIP'), now: NOW })).toEqual([]);
  });

  it('applies scoped quotas only to pods in scope', () => {
    const q = [quota('be', { pods: '1' }, { pods: '1' }, ['BestEffort'])];
    expect(deny(q, create(pod([{ name: 'a' }])))).toContain('exceeded quota: be');
    expect(checkRequest(q, create(pod([{ name: 'a', requests: { cpu: '1' } }])))).toEqual([]);
    const t = [quota('t', { pods: '1' }, { pods: '1' }, ['Terminating'])];
    expect(checkRequest(t, create(pod([{ name: 'a' }])))).toEqual([]);
    expect(deny(t, create(pod([{ name: 'a' }], { activeDeadlineSeconds: 60 })))).toContain('exceeded quota: t');
  });
});

describe('usage', () => {
  it('takes the larger of the app containers and an init container, plus sidecars and overhead', () => {
    const p = pod([{ name: 'app', requests: { cpu: '200m' } }], {
      initContainers: [
        { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } },
        { name: 'init', resources: { requests: { cpu: '1', memory: '64Mi' } } },
      ],
      overhead: { cpu: '10m' },
    });
    expect(formatAmounts(podTotals(p as never, 'requests'))).toEqual({ cpu: '1110m', memory: '64Mi' });
  });

  it('recounts a namespace: finished pods use no compute, object counts include them', () => {
    const q = quota('q', { pods: '10', 'count/pods': '10', 'requests.memory': '1Gi', secrets: '5' }, {});
    const running = pod([{ name: 'a', requests: { memory: '128Mi' } }]);
    const done = { ...pod([{ name: 'b', requests: { memory: '256Mi' } }]), status: { phase: 'Succeeded' } } as KubeObject;
    const used = calculateUsed(q, [{ gr: pods, items: [running, done, running] }], NOW);
    expect(formatAmounts(used)).toEqual({ 'count/pods': '3', pods: '2', 'requests.memory': '256Mi', secrets: '0' });
  });

  it('knows which resources a quota counts', () => {
    expect(countedResource('count/deployments.apps')).toEqual({ group: 'apps', resource: 'deployments' });
    expect(countedResource('count/pods')).toEqual({ group: '', resource: 'pods' });
    expect(countedResources(['requests.cpu', 'configmaps', 'count/jobs.batch']).map((g) => `${g.resource}.${g.group}`).sort()).toEqual(['configmaps.', 'jobs.batch', 'pods.']);
    expect(() => quotaState({ apiVersion: 'v1', kind: 'ResourceQuota', spec: { hard: { pods: 'x' } } } as KubeObject)).toThrow(/pods: quantities/);
    expect(parseAmounts({}).pods).toBeUndefined();
  });
});
