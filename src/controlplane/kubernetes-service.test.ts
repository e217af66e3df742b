/** The `kubernetes` Service's objects: the Service for a CIDR, each API server's place in the Endpoints and slices. */
import { describe, expect, it } from 'vitest';
import { createKubernetesService, endpointSlicesOf, endpointSubsets, kubernetesService, listedAddresses } from './kubernetes-service.js';

describe('kubernetes service objects', () => {
  it.each([
    ['10.96.0.0/12', '10.96.0.1'],
    ['10.100.7.0/24', '10.100.7.1'],
    ['172.20.0.5/16', '172.20.0.1'],
  ])('the Service of %s has ClusterIP %s and port 443 → the API port', (cidr, ip) => {
    const svc = kubernetesService(cidr, 6443);
    expect(svc.spec?.clusterIP).toBe(ip);
    expect(svc.spec?.ports).toEqual([{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
    expect(svc.spec?.selector).toBeUndefined();
  });

  it('adds an API server, keeps the others, groups by port, and takes one out', () => {
    const a = { ip: '10.0.0.2', port: 6443 };
    const b = { ip: '10.0.0.1', port: 6443 };
    const c = { ip: '10.0.0.1', port: 7443 };
    let subsets = endpointSubsets(undefined, a, true);
    subsets = endpointSubsets(subsets, b, true);
    subsets = endpointSubsets(subsets, c, true);
    expect(endpointSubsets(subsets, a, true)).toEqual(subsets);
    expect(subsets).toEqual([
      { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
      { addresses: [{ ip: '10.0.0.1' }], ports: [{ name: 'https', port: 7443, protocol: 'TCP' }] },
    ]);
    expect(listedAddresses(endpointSubsets(subsets, b, false))).toEqual([{ ip: '10.0.0.2', port: 6443 }, { ip: '10.0.0.1', port: 7443 }]);
    expect(endpointSubsets(endpointSubsets(undefined, a, true), a, false)).toEqual([]);
    const slices = (servicePort: number | undefined) => endpointSlicesOf(subsets, servicePort).map((s) => [s.metadata?.name, s.endpoints.map((e) => e.addresses[0]), s.ports?.[0].port]);
    expect(slices(6443)).toEqual([
      ['kubernetes', ['10.0.0.1', '10.0.0.2'], 6443],
      ['kubernetes-7443', ['10.0.0.1'], 7443],
    ]);
    expect(slices(7443).map((s) => s[0])).toEqual(['kubernetes-6443', 'kubernetes']);
    expect(slices(undefined).map((s) => s[0])).toEqual(['kubernetes', 'kubernetes-7443']);
  });

  it('gives each slice the address family of its addresses', () => {
    const kinds = (subsets: ReturnType<typeof endpointSubsets>) => endpointSlicesOf(subsets, 6443).map((s) => [s.metadata?.name, s.addressType, s.endpoints.map((e) => e.addresses[0])]);
    const v6 = endpointSubsets(undefined, { ip: '::1', port: 6443 }, true);
    expect(kinds(v6)).toEqual([['kubernetes', 'IPv6', ['::1']]]);
    expect(kinds(endpointSubsets(v6, { ip: '127.0.0.1', port: 6443 }, true))).toEqual([
      ['kubernetes', 'IPv4', ['127.0.0.1']],
      ['kubernetes-ipv6', 'IPv6', ['::1']],
    ]);
  });

  it('refuses a hostname as the API server address, naming it', () => {
    expect(() => createKubernetesService({ client: undefined as never, self: { ip: 'localhost', port: 6443 } })).toThrow(/self.ip must be an IP address .*got "localhost"/);
  });
});
