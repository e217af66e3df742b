import { describe, expect, it } from 'vitest';
import { endpointSubsets, type Service } from './endpoints.js';
import type { PodObject as Pod } from '../resources/pod-state.js';

const svc = (ports: Service['spec'] extends infer S ? (S extends { ports?: infer P } ? P : never) : never, extra: object = {}): Service => ({ metadata: { name: 's', namespace: 'n' }, spec: { selector: { app: 'a' }, ports, ...extra } });
function pod(name: string, ip: string | undefined, opts: { ready?: boolean; labels?: Record<string, string>; ports?: { name: string; containerPort: number }[]; phase?: string; deleting?: boolean } = {}): Pod {
  return {
    metadata: { name, namespace: 'n', uid: `u-${name}`, labels: opts.labels ?? { app: 'a' }, deletionTimestamp: opts.deleting ? 'x' : undefined },
    spec: { containers: [{ name: 'c', ports: opts.ports ?? [{ name: 'http', containerPort: 8080 }] }] },
    status: { podIP: ip, phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}
const ips = (s: ReturnType<typeof endpointSubsets>) => s.map((x) => ({ ready: x.addresses?.map((a) => a.ip), notReady: x.notReadyAddresses?.map((a) => a.ip), ports: x.ports?.map((p) => p.port) }));

describe('endpointSubsets', () => {
  const cases: { name: string; svc: Service; pods: Pod[]; want: object[] }[] = [
    { name: 'ready and unready split, sorted by IP', svc: svc([{ port: 80, targetPort: 8080 }]), pods: [pod('b', '10.0.0.2'), pod('a', '10.0.0.1'), pod('c', '10.0.0.3', { ready: false })], want: [{ ready: ['10.0.0.1', '10.0.0.2'], notReady: ['10.0.0.3'], ports: [8080] }] },
    { name: 'targetPort defaults to port', svc: svc([{ port: 80 }]), pods: [pod('a', '10.0.0.1')], want: [{ ready: ['10.0.0.1'], notReady: undefined, ports: [80] }] },
    { name: 'named targetPort resolves per pod; pods grouped by ports', svc: svc([{ port: 80, targetPort: 'http' }]), pods: [pod('a', '10.0.0.1'), pod('b', '10.0.0.2', { ports: [{ name: 'http', containerPort: 9090 }] })], want: [{ ready: ['10.0.0.1'], notReady: undefined, ports: [8080] }, { ready: ['10.0.0.2'], notReady: undefined, ports: [9090] }] },
    { name: 'a pod without the named port is left out', svc: svc([{ port: 80, targetPort: 'grpc' }]), pods: [pod('a', '10.0.0.1')], want: [] },
    { name: 'no IP, other labels, finished or terminating pods are left out', svc: svc([{ port: 80 }]), pods: [pod('a', undefined), pod('b', '10.0.0.2', { labels: { app: 'z' } }), pod('c', '10.0.0.3', { phase: 'Succeeded' }), pod('d', '10.0.0.4', { deleting: true })], want: [] },
    { name: 'publishNotReadyAddresses lists unready pods as ready', svc: svc([{ port: 80 }], { publishNotReadyAddresses: true }), pods: [pod('a', '10.0.0.1', { ready: false })], want: [{ ready: ['10.0.0.1'], notReady: undefined, ports: [80] }] },
  ];
  for (const c of cases) it(c.name, () => expect(ips(endpointSubsets(c.svc, c.pods))).toEqual(c.want));
});
