/** The Service proxy's port range (outside the ephemeral and nodePort ranges), the order ports are tried in, and where nodePorts listen: table tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { candidates, ephemeralPortSpan, nodePortHosts, parseNodePortAddresses, proxyPortSpan } from './proxy-ports.js';

describe('proxy port range', () => {
  it('accepts a range outside the ephemeral and nodePort ranges', () => {
    expect(proxyPortSpan('20000-29999', '--proxy-port-range', { first: 32768, last: 60999 })).toEqual({ first: 20000, last: 29999 });
  });

  it('refuses one overlapping the ephemeral range, naming both', () => {
    expect(() => proxyPortSpan('20000-29999', '--proxy-port-range', { first: 15000, last: 25000 })).toThrow(
      /--proxy-port-range 20000-29999 overlaps the ephemeral port range 15000-25000 \(net.ipv4.ip_local_port_range\)/,
    );
  });

  it('refuses one overlapping the nodePort range, and a malformed one', () => {
    expect(() => proxyPortSpan('29000-30500', '--proxy-port-range', undefined)).toThrow(/overlaps the nodePort range 30000-32767/);
    expect(() => proxyPortSpan('3-2', '--proxy-port-range', undefined)).toThrow(/"3-2" must be FIRST-LAST within 1-65535/);
  });

  it('reads the ephemeral range from the kernel file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-ports-'));
    try {
      writeFileSync(join(dir, 'range'), '32768\t60999\n');
      expect(ephemeralPortSpan(join(dir, 'range'))).toEqual({ first: 32768, last: 60999 });
      expect(ephemeralPortSpan(join(dir, 'missing'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('tries every port of the range once, from a point the seed fixes', () => {
    const span = { first: 100, last: 109 };
    const a = [...candidates(span, 'uid-1/80/TCP')];
    expect([...a].sort((x, y) => x - y)).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    expect([...candidates(span, 'uid-1/80/TCP')]).toEqual(a);
    expect(new Set(['uid-1/80/TCP', 'uid-2/80/TCP', 'uid-3/80/TCP', 'uid-4/80/TCP'].map((s) => candidates(span, s).next().value)).size).toBeGreaterThan(1);
  });
});

describe('nodePort addresses', () => {
  const interfaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }, { address: '::1', family: 'IPv6', internal: true }],
    eth0: [{ address: '192.168.1.5', family: 'IPv4', internal: false }, { address: 'fe80::1%eth0', family: 'IPv6', internal: false }],
  } as unknown as NodeJS.Dict<import('node:os').NetworkInterfaceInfo[]>;

  it('listens on every address without CIDRs', () => {
    expect(nodePortHosts(undefined, interfaces)).toEqual([undefined]);
  });

  it("listens on this machine's addresses inside the CIDRs, as kube-proxy's --nodeport-addresses", () => {
    expect(nodePortHosts(parseNodePortAddresses('192.168.0.0/16'), interfaces)).toEqual(['192.168.1.5']);
    expect(nodePortHosts(parseNodePortAddresses('127.0.0.0/8, ::1/128'), interfaces)).toEqual(['127.0.0.1', '::1']);
    expect(nodePortHosts(parseNodePortAddresses('10.0.0.0/8'), interfaces)).toEqual([]);
  });

  it('refuses what is not a CIDR', () => {
    expect(() => parseNodePortAddresses('192.168.1.5')).toThrow(/--nodeport-addresses: "192.168.1.5" is not a CIDR/);
    expect(() => parseNodePortAddresses('10.0.0.0/33')).toThrow(/is not a CIDR/);
  });
});
