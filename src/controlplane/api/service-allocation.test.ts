import type { Service } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { StatusError } from './errors.js';
import { cidrRange, intToIp, ipToInt, portRange, serviceClaims, ServiceAllocator } from './service-allocation.js';

describe('ranges', () => {
  it.each([
    ['10.96.0.0/12', '10.96.0.1', '10.111.255.254', '10.96.1.0'],
    ['10.0.0.0/24', '10.0.0.1', '10.0.0.254', '10.0.0.16'],
    ['10.0.0.5/29', '10.0.0.1', '10.0.0.6', '10.0.0.6'],
  ])('%s: %s to %s, dynamic from %s', (cidr, first, last, dyn) => {
    const r = cidrRange(cidr);
    expect([intToIp(r.first), intToIp(r.last), intToIp(r.dynamicFrom)]).toEqual([first, last, dyn]);
  });
  it.each(['10.96.0.0', '10.96.0.0/33', '300.1.1.1/12', 'fd00::/108', '10.0.0.0/31'])('refuses %s', (cidr) => {
    expect(() => cidrRange(cidr)).toThrow(/must be an IPv4 CIDR/);
  });
  it('ports', () => {
    expect(portRange('30000-32767')).toEqual({ first: 30000, last: 32767, dynamicFrom: 30128 });
    expect(() => portRange('32767-30000')).toThrow(/FIRST-LAST/);
  });
  it.each([['10.96.0.1', 174063617], ['255.255.255.255', 4294967295], ['1.2.3', undefined], ['01.2.3.4', undefined], ['1.2.3.256', undefined]])('ipToInt(%s)', (ip, n) => {
    expect(ipToInt(ip)).toBe(n);
  });
});

/** An allocator over an in-memory set of held claims (the store keeps them in Redis). */
function allocator(held: Record<string, string> = {}, cidr = '10.0.0.0/24') {
  let seed = 0;
  return new ServiceAllocator({ serviceCIDR: cidr, nodePortRange: '30000-30099' }, async (claims) => claims.map((c) => held[c] ?? null), () => (seed = (seed * 7 + 0.31) % 1));
}

const svc = (spec: Service['spec'], name = 'web'): Service => ({ metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80, protocol: 'TCP' }], ...spec } });

async function invalid(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    return (e as StatusError).message;
  }
  throw new Error('expected a 422');
}

describe('ServiceAllocator.allocate', () => {
  it('gives a ClusterIP Service a free IP from the dynamic band, and the IP family fields', async () => {
    const s = svc({});
    const a = await allocator().allocate(s, undefined);
    const n = ipToInt(s.spec!.clusterIP!)!;
    expect(n).toBeGreaterThanOrEqual(ipToInt('10.0.0.16')!);
    expect(n).toBeLessThanOrEqual(ipToInt('10.0.0.254')!);
    expect(s.spec).toMatchObject({ clusterIPs: [s.spec!.clusterIP], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
    expect(a.claims).toEqual([`clusterip/${s.spec!.clusterIP}`]);
    expect(a.requested.size).toBe(0);
  });

  it('skips held IPs, falls back to the static band when the dynamic one is full, finds the last free one', async () => {
    const held: Record<string, string> = {};
    for (let i = 16; i <= 254; i++) held[`clusterip/10.0.0.${i}`] = 'x';
    held['clusterip/10.0.0.1'] = 'x';
    const s = svc({});
    await allocator(held).allocate(s, undefined);
    const n = Number(s.spec!.clusterIP!.split('.')[3]);
    expect(n >= 2 && n < 16, s.spec!.clusterIP).toBe(true);
    for (let i = 2; i < 16; i++) held[`clusterip/10.0.0.${i}`] = 'x';
    delete held['clusterip/10.0.0.9'];
    const last = svc({});
    await allocator(held).allocate(last, undefined);
    expect(last.spec!.clusterIP).toBe('10.0.0.9');
    held['clusterip/10.0.0.9'] = 'x';
    expect(await invalid(allocator(held).allocate(svc({}), undefined))).toMatch(/range is full \(10.0.0.0\/24\)/);
  });

  it.each([
    ['headless', { clusterIP: 'None' }, 'None', []],
    ['ExternalName', { type: 'ExternalName' as const, externalName: 'example.com' }, undefined, []],
    ['a requested IP in range', { clusterIP: '10.0.0.10' }, '10.0.0.10', ['clusterip/10.0.0.10']],
  ])('%s', async (_name, spec, ip, claims) => {
    const s = svc(spec);
    const a = await allocator().allocate(s, undefined);
    expect(s.spec!.clusterIP).toBe(ip);
    expect(a.claims).toEqual(claims);
    expect([...a.requested.keys()]).toEqual(claims);
  });

  it('refuses a requested IP out of range', async () => {
    expect(await invalid(allocator().allocate(svc({ clusterIP: '10.1.0.10' }), undefined))).toBe(
      'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: "10.1.0.10": provided IP is not in the valid range. The range of valid IPs is 10.0.0.0/24',
    );
  });

  it('NodePort: each port gets a free nodePort; requested ones are checked against the range', async () => {
    const s = svc({ type: 'NodePort', ports: [{ name: 'a', port: 80, protocol: 'TCP' }, { name: 'b', port: 81, protocol: 'TCP', nodePort: 30050 }] });
    const a = await allocator({ 'nodeport/TCP/30050': 'other' }).allocate(s, undefined);
    const auto = s.spec!.ports![0].nodePort!;
    expect(auto).toBeGreaterThanOrEqual(30016);
    expect(auto).toBeLessThanOrEqual(30099);
    expect(a.claims).toEqual([`clusterip/${s.spec!.clusterIP}`, `nodeport/TCP/${auto}`, 'nodeport/TCP/30050']);
    expect([...a.requested.keys()]).toEqual(['nodeport/TCP/30050']);
    expect(await invalid(allocator().allocate(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }), undefined))).toMatch(/spec.ports\[0\].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-30099/);
  });

  it('takenError names the requested values another object holds', async () => {
    const al = allocator({ 'clusterip/10.0.0.10': 'other', 'nodeport/TCP/30050': 'other' });
    const s = svc({ clusterIP: '10.0.0.10', type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30050 }] });
    const a = await al.allocate(s, undefined);
    expect((await al.takenError(s, a, 'me'))?.message).toBe(
      'Service "web" is invalid: [spec.clusterIPs: Invalid value: []string{"10.0.0.10"}: failed to allocate IP 10.0.0.10: provided IP is already allocated, spec.ports[0].nodePort: Invalid value: 30050: provided port is already allocated]',
    );
    expect(await al.takenError(s, a, 'other')).toBeUndefined();
  });

  describe('on update', () => {
    const old = svc({ type: 'NodePort', clusterIP: '10.0.0.20', clusterIPs: ['10.0.0.20'], ports: [{ port: 80, protocol: 'TCP', nodePort: 30070 }] });
    it('a PUT without the allocated values gets them back, claiming nothing new', async () => {
      const next = svc({ type: 'NodePort' });
      const a = await allocator().allocate(next, old);
      expect(next.spec).toMatchObject({ clusterIP: '10.0.0.20', clusterIPs: ['10.0.0.20'], ports: [{ port: 80, nodePort: 30070 }] });
      expect(a.claims).toEqual(serviceClaims(old));
      expect(a.requested.size).toBe(0);
    });
    it('the clusterIP may not change', async () => {
      expect(await invalid(allocator().allocate(svc({ clusterIP: '10.0.0.21' }), old))).toMatch(/spec.clusterIPs\[0\]: Invalid value: "10.0.0.21": may not change once set/);
    });
    it('back to ClusterIP drops the nodePorts; to ExternalName drops the clusterIP', async () => {
      const toClusterIP = svc({ type: 'ClusterIP', clusterIP: '10.0.0.20', ports: [{ port: 80, protocol: 'TCP', nodePort: 30070 }] });
      expect((await allocator().allocate(toClusterIP, old)).claims).toEqual(['clusterip/10.0.0.20']);
      expect(toClusterIP.spec!.ports![0].nodePort).toBeUndefined();
      const toExternal = svc({ type: 'ExternalName', externalName: 'example.com', clusterIP: '10.0.0.20', clusterIPs: ['10.0.0.20'] });
      expect((await allocator().allocate(toExternal, old)).claims).toEqual([]);
      expect(toExternal.spec!.clusterIP).toBeUndefined();
    });
  });
});
