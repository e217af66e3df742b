/**
 * ClusterIP and nodePort allocation through the API, with two API servers on one Redis: kubectl
 * shows the CLUSTER-IP and the nodePort; parallel creates through both servers never get the same
 * IP, until the range is full; a requested IP that is taken is a 422; deleting a Service gives its
 * IP and nodePorts back.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type RunningApiServer } from '../../src/controlplane/apiserver.js';
import { StatusError } from '../../src/controlplane/api/errors.js';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { ADMIN_USER, TokenAuthenticator } from '../../src/policy/authn/tokens.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';

// 10.100.0.0/26: 62 usable addresses, 16 of them in the static band
const services = { serviceCIDR: '10.100.0.0/26', nodePortRange: '30000-30099' };
let cluster: TestCluster;
let second: RunningApiServer;

beforeAll(async () => {
  cluster = await startCluster({ tls: true, services });
  second = await startApiServer({ redisUrl: cluster.redis.url, authenticator: new TokenAuthenticator({ [cluster.token]: ADMIN_USER }), port: 0, services });
});

afterAll(async () => {
  await second?.close();
  await cluster?.stop();
});

const svc = (name: string, spec: Service['spec'] = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } }) as KubeObject;

async function apply(yaml: string) {
  return cluster.kubectl(['apply', '-f', '-'], yaml);
}

describe('ClusterIP allocation', () => {
  it('kubectl shows the allocated CLUSTER-IP and nodePort; headless stays None', async () => {
    expect((await apply(`
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: edge}
spec:
  type: NodePort
  selector: {app: edge}
  ports: [{port: 80}]
`)).code).toBe(0);
    const out = (await cluster.kubectl(['get', 'svc'])).stdout;
    expect(out).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n/);
    expect(out).toMatch(/\nweb\s+ClusterIP\s+10\.100\.0\.\d+\s+<none>\s+80\/TCP\s+\d+s\n/);
    expect(out).toMatch(/\ndb\s+ClusterIP\s+None\s+<none>\s+5432\/TCP\s+\d+s\n/);
    expect(out).toMatch(/\nedge\s+NodePort\s+10\.100\.0\.\d+\s+<none>\s+80:300\d\d\/TCP\s+\d+s\n/);
    const web = (await cluster.kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP} {.spec.clusterIPs[0]} {.spec.ipFamilies[0]} {.spec.ipFamilyPolicy}'])).stdout.split(' ');
    expect(web[0]).toBe(web[1]);
    expect(web.slice(2)).toEqual(['IPv4', 'SingleStack']);
    // a re-apply (3-way merge without clusterIP) keeps the IP
    expect((await apply(`
apiVersion: v1
kind: Service
metadata: {name: web, labels: {tier: front}}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`)).code).toBe(0);
    expect((await cluster.kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).stdout).toBe(web[0]);
    for (const n of ['web', 'db', 'edge']) await cluster.api.client().delete(refs.services, n, { namespace: 'default' });
  });

  it('a requested IP is honoured when free and refused with 422 when taken; delete releases it', async () => {
    expect((await apply(`
apiVersion: v1
kind: Service
metadata: {name: dns}
spec:
  clusterIP: 10.100.0.10
  ports: [{port: 53, protocol: UDP}]
`)).code).toBe(0);
    const taken = await apply(`
apiVersion: v1
kind: Service
metadata: {name: dns2}
spec:
  clusterIP: 10.100.0.10
  ports: [{port: 53, protocol: UDP}]
`);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain('The Service "dns2" is invalid: spec.clusterIPs: Invalid value: []string{"10.100.0.10"}: failed to allocate IP 10.100.0.10: provided IP is already allocated');
    const outOfRange = await cluster.kubectl(['create', 'service', 'clusterip', 'far', '--tcp=80', '--clusterip=10.200.0.1']);
    expect(outOfRange.stderr).toContain('provided IP is not in the valid range. The range of valid IPs is 10.100.0.0/26');
    expect((await cluster.kubectl(['delete', 'svc', 'dns'])).code).toBe(0);
    // the second API server hands the released IP out again
    const again = await second.client().create(refs.services, svc('dns2', { clusterIP: '10.100.0.10' }));
    expect((again.spec as Service['spec'])?.clusterIP).toBe('10.100.0.10');
    await second.client().delete(refs.services, 'dns2', { namespace: 'default' });
  });

  it('parallel creates through two API servers get distinct IPs until the range is full', async () => {
    const servers = [cluster.api, second];
    const results = await Promise.allSettled(Array.from({ length: 64 }, (_, i) => servers[i % 2].client().create(refs.services, svc(`s${i}`))));
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [(r.value.spec as Service['spec'])!.clusterIP!] : []));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    expect(failed.map((e) => e.message).filter((m) => !/range is full/.test(m))).toEqual([]);
    expect(ok).toHaveLength(62);
    expect(new Set(ok).size).toBe(62);
    expect(failed).toHaveLength(2);
    for (const e of failed) expect(e.message).toMatch(/range is full \(10.100.0.0\/26\)/);
    // the list agrees: every stored Service has its own IP
    const listed = (await cluster.api.client().list<Service & KubeObject>(refs.services, { namespace: 'default' })).items.map((s) => s.spec?.clusterIP);
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toHaveLength(62);

    // delete frees: one more Service fits again, and gets the freed IP
    const gone = ok[5];
    const victim = results.findIndex((r) => r.status === 'fulfilled' && (r.value.spec as Service['spec'])!.clusterIP === gone);
    await cluster.api.client().delete(refs.services, `s${victim}`, { namespace: 'default' });
    const next = await second.client().create(refs.services, svc('after'));
    expect((next.spec as Service['spec'])?.clusterIP).toBe(gone);
    const full = await cluster.api.client().create(refs.services, svc('one-too-many')).catch((e: StatusError) => e);
    expect(full).toBeInstanceOf(StatusError);
  }, 120_000);

  it('nodePorts: a requested one that is taken is a 422; switching to ClusterIP releases them', async () => {
    // the test before left the range full of ClusterIPs: free two
    const left = (await cluster.api.client().list(refs.services, { namespace: 'default' })).items.slice(0, 2);
    for (const s of left) await cluster.api.client().delete(refs.services, s.metadata!.name!, { namespace: 'default' });
    await cluster.api.client().create(refs.services, svc('np-a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30042 }] }));
    const clash = await cluster.kubectl(['create', 'service', 'nodeport', 'np-b', '--tcp=80', '--node-port=30042']);
    expect(clash.stderr).toContain('spec.ports[0].nodePort: Invalid value: 30042: provided port is already allocated');
    expect((await cluster.kubectl(['patch', 'svc', 'np-a', '-p', '{"spec":{"type":"ClusterIP"}}'])).code).toBe(0);
    expect((await cluster.kubectl(['get', 'svc', 'np-a', '-o', 'jsonpath={.spec.type} {.spec.ports[0].nodePort}'])).stdout).toBe('ClusterIP ');
    const ok = await cluster.kubectl(['create', 'service', 'nodeport', 'np-b', '--tcp=80', '--node-port=30042']);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
