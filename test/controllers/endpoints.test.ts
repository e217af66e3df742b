/**
 * Endpoints follow the pods behind a Service: ready pods in `addresses`, unready in
 * `notReadyAddresses`, named target ports resolved per pod.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { EndpointSubset } from '../../src/controlplane/controllers/endpoints.js';
import type { PodObject } from '../../src/controlplane/resources/pod-state.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { markReady, namespace, startEnv, waitUntil, type Env } from './helpers.js';

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await env?.stop();
});

type Endpoints = KubeObject & { subsets?: EndpointSubset[] };

function pod(name: string, ns: string): PodObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { app: 'api' } }, spec: { containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }] } };
}

async function endpointsWhere(ns: string, check: (e: Endpoints) => boolean, what: string): Promise<Endpoints> {
  return waitUntil(env.admin, refs.endpoints, ns, async () => {
    const e = await env.admin.find<Endpoints>(refs.endpoints, 'api', ns);
    return e && check(e) ? e : undefined;
  }, what);
}

describe('endpoints controller', () => {
  it('lists ready and unready pod IPs with the named target port resolved', async () => {
    const ns = await namespace(env.admin, 'ep');
    await env.admin.create(refs.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: ns }, spec: { selector: { app: 'api' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] } });
    const a = await env.admin.create<PodObject>(refs.pods, pod('a', ns));
    const b = await env.admin.create<PodObject>(refs.pods, pod('b', ns));
    await markReady(env.admin, { ...a, status: { podIP: '10.1.0.1' } });
    await markReady(env.admin, { ...b, status: { podIP: '10.1.0.2' } }, false);
    const e = await endpointsWhere(ns, (e) => (e.subsets?.[0]?.addresses?.length ?? 0) === 1 && (e.subsets?.[0]?.notReadyAddresses?.length ?? 0) === 1, 'one ready, one not');
    expect(e.subsets).toEqual([
      {
        addresses: [{ ip: '10.1.0.1', targetRef: { kind: 'Pod', namespace: ns, name: 'a', uid: a.metadata?.uid } }],
        notReadyAddresses: [{ ip: '10.1.0.2', targetRef: { kind: 'Pod', namespace: ns, name: 'b', uid: b.metadata?.uid } }],
        ports: [{ name: 'web', port: 8080, protocol: 'TCP' }],
      },
    ]);
    await markReady(env.admin, { ...b, status: { podIP: '10.1.0.2' } });
    await endpointsWhere(ns, (e) => e.subsets?.[0]?.addresses?.length === 2 && !e.subsets[0].notReadyAddresses, 'both ready');
    await env.admin.delete(refs.pods, 'a', { namespace: ns });
    await endpointsWhere(ns, (e) => e.subsets?.[0]?.addresses?.map((x) => x.ip).join() === '10.1.0.2', 'a removed');
    await env.admin.delete(refs.services, 'api', { namespace: ns });
    await waitUntil(env.admin, refs.endpoints, ns, async () => !(await env.admin.find(refs.endpoints, 'api', ns)), 'endpoints deleted with the service');
  });
});
