/**
 * ResourceQuota through the real API with the real kubectl: `kubectl create quota`, the
 * resource-quota controller keeping `kubectl get/describe quota` current, Kubernetes' "exceeded
 * quota" and "must specify" refusals, usage returned when pods go, and parallel creates — through
 * one API server and through two sharing one Redis — never passing a nearly full quota together;
 * and a charge that starts from a stale quota cache neither passes nor refuses on stale data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type RunningApiServer } from '../../src/controlplane/apiserver.js';
import { StatusError } from '../../src/controlplane/api/errors.js';
import type { Client } from '../../src/controlplane/client/client.js';
import { refs } from '../../src/controlplane/client/refs.js';
import { resourceQuotaController } from '../../src/controlplane/controllers/resourcequota.js';
import { ADMIN_USER } from '../../src/policy/authn/tokens.js';
import { createPolicy, POLICY_USER } from '../../src/policy/policy.js';
import { newPrefix, startManager } from '../controllers/helpers.js';
import { startPolicyCluster, type PolicyCluster } from './harness.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { registry } from '../../src/controlplane/resources/registry.js';
import { resourceQuotaPlugin } from '../../src/policy/admission/resource-quota.js';

let c: PolicyCluster;
let stopManager: () => Promise<void>;
let admin: Client;

beforeAll(async () => {
  c = await startPolicyCluster({});
  admin = c.api.client(ADMIN_USER, 'test');
  const manager = await startManager({ api: c.api, redis: { url: c.redisUrl } } as never, newPrefix(), [resourceQuotaController()]);
  stopManager = () => manager.stop();
}, 60_000);
afterAll(async () => {
  await stopManager?.();
  await c?.stop();
});

const ok = (args: string[], input?: string) => c.kubectlOk(args, { input });

const pod = (name: string, resources: Record<string, unknown> = {}) =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', resources }] } }) as KubeObject;

async function usedOf(ns: string, name: string): Promise<Record<string, string> | undefined> {
  const q = await admin.find<{ status?: { used?: Record<string, string> } }>(refs.resourcequotas, name, ns);
  return q?.status?.used;
}

describe('ResourceQuota', () => {
  it('counts pods, refuses the one over the limit with Kubernetes message, and shows used/hard', async () => {
    await ok(['create', 'namespace', 'quota-a']);
    await ok(['create', 'quota', 'pod-count', '--hard=pods=2,configmaps=5', '-n', 'quota-a']);
    // the controller fills status: kubectl get quota shows used/hard
    await expect.poll(async () => (await ok(['get', 'quota', '-n', 'quota-a'])), { timeout: 30_000 }).toMatch(/pod-count\s+configmaps: \d+\/5, pods: 0\/2/);
    await ok(['run', 'p1', '--image=busybox:1.36', '-n', 'quota-a']);
    await ok(['run', 'p2', '--image=busybox:1.36', '-n', 'quota-a']);
    const r = await c.kubectl(['run', 'p3', '--image=busybox:1.36', '-n', 'quota-a']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe('Error from server (Forbidden): pods "p3" is forbidden: exceeded quota: pod-count, requested: pods=1, used: pods=2, limited: pods=2');
    const described = await ok(['describe', 'quota', 'pod-count', '-n', 'quota-a']);
    expect(described).toMatch(/pods\s+2\s+2/);
    // a deleted pod gives its unit back (the controller recounts)
    await ok(['delete', 'pod', 'p1', '-n', 'quota-a', '--grace-period=0', '--force']);
    await expect.poll(() => usedOf('quota-a', 'pod-count'), { timeout: 30_000 }).toMatchObject({ pods: '1' });
    await ok(['run', 'p3', '--image=busybox:1.36', '-n', 'quota-a']);
  });

  it('sums requests and limits, and requires what a quota tracks on every container', async () => {
    await ok(['create', 'namespace', 'quota-b']);
    await ok(['create', 'quota', 'compute', '--hard=requests.cpu=1,requests.memory=1Gi,limits.cpu=2,limits.memory=2Gi', '-n', 'quota-b']);
    const bare = await c.kubectl(['run', 'bare', '--image=busybox:1.36', '-n', 'quota-b']);
    expect(bare.stderr.trim()).toBe(
      'Error from server (Forbidden): pods "bare" is forbidden: failed quota: compute: must specify limits.cpu for: bare; limits.memory for: bare; requests.cpu for: bare; requests.memory for: bare',
    );
    const res = { requests: { cpu: '600m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } };
    await admin.create(refs.pods, pod('a', res), { namespace: 'quota-b' });
    await expect(admin.create(refs.pods, pod('b', res), { namespace: 'quota-b' })).rejects.toThrow(
      'pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1',
    );
    expect(await usedOf('quota-b', 'compute')).toEqual({ 'limits.cpu': '1', 'limits.memory': '1Gi', 'requests.cpu': '600m', 'requests.memory': '512Mi' });
    // a dry run is checked but not charged
    await admin.create(refs.pods, pod('dry', { requests: { cpu: '100m', memory: '1Mi' }, limits: { cpu: '100m', memory: '1Mi' } }), { namespace: 'quota-b', dryRun: true });
    expect((await usedOf('quota-b', 'compute'))?.['requests.cpu']).toBe('600m');
  });

  it('never lets parallel creates through one API server past a nearly full quota', async () => {
    await ok(['create', 'namespace', 'quota-c']);
    await ok(['create', 'quota', 'three', '--hard=pods=3', '-n', 'quota-c']);
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => admin.create(refs.pods, pod(`p${i}`), { namespace: 'quota-c' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as StatusError).message).toMatch(/exceeded quota: three, requested: pods=1, used: pods=3, limited: pods=3/);
    expect((await admin.list(refs.pods, { namespace: 'quota-c' })).items).toHaveLength(3);
    expect(await usedOf('quota-c', 'three')).toEqual({ pods: '3' });
  });

  describe('charging from the quota cache', () => {
    const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'quota-e' }, data: {} }) as KubeObject;
    /** The plugin's check of a ConfigMap create in quota-e, with `cached` as the quota cache. */
    const admitWith = (cached: KubeObject, name: string) =>
      resourceQuotaPlugin({ client: () => admin, cachedQuotas: () => [cached] }).validate!({
        operation: 'CREATE',
        type: registry.findKind('v1', 'ConfigMap')!,
        namespace: 'quota-e',
        name,
        object: configMap(name),
        user: ADMIN_USER,
        dryRun: false,
        warnings: [],
      });

    beforeAll(async () => {
      await ok(['create', 'namespace', 'quota-e']);
    });

    it('refuses what a stale cached quota has room for (its compare-and-swap fails, the live quota is full)', async () => {
      await ok(['create', 'quota', 'stale-room', '--hard=count/configmaps=1', '-n', 'quota-e']);
      const stale = (await admin.find(refs.resourcequotas, 'stale-room', 'quota-e'))!;
      await admin.create(refs.configmaps, configMap('first'), { namespace: 'quota-e' });
      expect((await usedOf('quota-e', 'stale-room'))?.['count/configmaps']).toBe('1');
      await expect(admitWith(stale, 'second')).rejects.toThrow(/exceeded quota: stale-room, requested: count\/configmaps=1, used: count\/configmaps=1, limited: count\/configmaps=1/);
      await admin.delete(refs.resourcequotas, 'stale-room', { namespace: 'quota-e' });
    });

    it('charges what a stale cached quota shows as full when the live quota has room', async () => {
      await ok(['create', 'quota', 'stale-full', '--hard=count/secrets=1', '-n', 'quota-e']);
      const live = (await admin.find(refs.resourcequotas, 'stale-full', 'quota-e'))!;
      const stale = { ...live, status: { hard: { 'count/secrets': '1' }, used: { 'count/secrets': '1' } } } as KubeObject;
      const secret = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'quota-e' } }) as KubeObject;
      await resourceQuotaPlugin({ client: () => admin, cachedQuotas: () => [stale] }).validate!({
        operation: 'CREATE',
        type: registry.findKind('v1', 'Secret')!,
        namespace: 'quota-e',
        name: 's1',
        object: secret('s1'),
        user: ADMIN_USER,
        dryRun: false,
        warnings: [],
      });
      expect((await usedOf('quota-e', 'stale-full'))?.['count/secrets']).toBe('1');
    });
  });

  it('never lets parallel creates through two API servers on one Redis past the quota (compare-and-swap on status.used)', async () => {
    let second: RunningApiServer | undefined;
    const policy = await createPolicy({ client: (user) => second!.client(user) });
    second = await startApiServer({ ...policy.apiServerOptions(), redisUrl: c.redisUrl, port: 0 });
    const ac = new AbortController();
    await policy.runnable.start(ac.signal);
    try {
      await ok(['create', 'namespace', 'quota-d']);
      await ok(['create', 'quota', 'four', '--hard=count/configmaps=4', '-n', 'quota-d']);
      const clients = [admin, second.client(POLICY_USER, 'test-second')];
      const cm = (i: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm${i}` }, data: { i: String(i) } }) as KubeObject;
      const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => clients[i % 2].create(refs.configmaps, cm(i), { namespace: 'quota-d' })));
      const created = results.filter((r) => r.status === 'fulfilled').length;
      const refused = results.filter((r) => r.status === 'rejected' && (r.reason as StatusError).reason === 'Forbidden').length;
      expect(created).toBe(4);
      expect(refused).toBe(12);
      expect((await admin.list(refs.configmaps, { namespace: 'quota-d' })).items.filter((o) => o.metadata?.name?.startsWith('cm'))).toHaveLength(4);
      expect((await usedOf('quota-d', 'four'))?.['count/configmaps']).toBe('4');
    } finally {
      ac.abort();
      await policy.runnable.stopped();
      await second.close();
    }
  });
});
