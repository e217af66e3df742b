/**
 * The `kubernetes` Service as kubectl sees it: ClusterIP the first IP of the service CIDR, port 443
 * to the API server's port, Endpoints and an EndpointSlice at the API server; put back when deleted;
 * a second API server adds itself and leaves on stop; the Service proxy reaches the API through it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesService } from '../../src/controlplane/kubernetes-service.js';
import { Manager, type Runnable } from '../../src/controlplane/runtime/runnable.js';
import { createServiceProxy, PROXY_PORTS_ANNOTATION } from '../../src/agent/proxy/service-proxy.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { until } from '../harness/wait.js';

let c: TestCluster;
const manager = new Manager();
const CIDR = '10.100.0.0/16';

beforeAll(async () => {
  c = await startCluster({ tls: true, services: { serviceCIDR: CIDR } });
  await manager.add(createKubernetesService({ client: c.api.client(), self: { ip: '127.0.0.1', port: c.api.http.port }, serviceCIDR: CIDR, intervalMs: 60_000 }));
  await manager.add(createServiceProxy({ client: c.api.client() }));
});
afterAll(async () => {
  await manager.stop();
  await c?.stop();
});

async function json<T>(...args: string[]): Promise<T> {
  const r = await c.kubectl([...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as T;
}

type Svc = { metadata: { uid: string; annotations?: Record<string, string> }; spec: { clusterIP: string; ports: unknown[] } };
type Eps = { subsets?: { addresses?: { ip: string }[]; ports?: { name: string; port: number }[] }[] };

describe('the kubernetes Service', () => {
  it('has the first IP of the service CIDR and points at the API server', async () => {
    const svc = await json<Svc>('get', 'svc', 'kubernetes');
    expect(svc.spec.clusterIP).toBe('10.100.0.1');
    expect(svc.spec.ports).toEqual([{ name: 'https', port: 443, protocol: 'TCP', targetPort: c.api.http.port }]);
    const eps = await json<Eps>('get', 'endpoints', 'kubernetes');
    expect(eps.subsets).toEqual([{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: c.api.http.port, protocol: 'TCP' }] }]);
    const slice = await json<{ endpoints: { addresses: string[] }[]; ports: { port: number }[]; metadata: { labels: Record<string, string> } }>('get', 'endpointslice', 'kubernetes');
    expect(slice.endpoints.map((e) => e.addresses)).toEqual([['127.0.0.1']]);
    expect(slice.ports.map((p) => p.port)).toEqual([c.api.http.port]);
    expect(slice.metadata.labels['kubernetes.io/service-name']).toBe('kubernetes');
  });

  it('is reachable through the Service proxy', async () => {
    const svc = await until('the proxy port on the Service', async () => (await json<Svc>('get', 'svc', 'kubernetes')).metadata.annotations?.[PROXY_PORTS_ANNOTATION]);
    const port = (JSON.parse(svc) as Record<string, number>)['443/TCP'];
    const r = await c.kubectl(['--server', `https://127.0.0.1:${port}`, 'get', 'ns', 'default', '-o', 'name']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('namespace/default\n');
  });

  it('is recreated when deleted, with its Endpoints', async () => {
    const before = await json<Svc>('get', 'svc', 'kubernetes');
    expect((await c.kubectl(['delete', 'svc', 'kubernetes'])).code).toBe(0);
    expect((await c.kubectl(['delete', 'endpoints', 'kubernetes'])).code).toBe(0);
    const after = await until('the Service back', async () => {
      const s = await json<Svc>('get', 'svc', 'kubernetes').catch(() => undefined);
      return s && s.metadata.uid !== before.metadata.uid ? s : undefined;
    });
    expect(after.spec.clusterIP).toBe('10.100.0.1');
    const eps = await until('the Endpoints back', () => json<Eps>('get', 'endpoints', 'kubernetes').catch(() => undefined));
    expect(eps.subsets?.[0].addresses).toEqual([{ ip: '127.0.0.1' }]);
  });

  it('lists a second API server while it runs', async () => {
    const second: Runnable = createKubernetesService({ client: c.api.client(), self: { ip: '127.0.0.2', port: 7443 }, serviceCIDR: CIDR });
    const ac = new AbortController();
    await second.start(ac.signal);
    const ips = async () => ((await json<Eps>('get', 'endpoints', 'kubernetes')).subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => `${a.ip}:${s.ports?.[0].port}`)).sort();
    expect(await ips()).toEqual([`127.0.0.1:${c.api.http.port}`, '127.0.0.2:7443']);
    expect((await c.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=kubernetes', '-o', 'name'])).stdout.split('\n').filter(Boolean).sort()).toEqual([
      'endpointslice.discovery.k8s.io/kubernetes',
      'endpointslice.discovery.k8s.io/kubernetes-7443',
    ]);
    ac.abort();
    await second.stopped();
    expect(await ips()).toEqual([`127.0.0.1:${c.api.http.port}`]);
    expect((await c.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=kubernetes', '-o', 'name'])).stdout).toBe('endpointslice.discovery.k8s.io/kubernetes\n');
  });
});
