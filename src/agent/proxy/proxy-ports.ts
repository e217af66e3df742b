/**
 * Where the Service proxy listens. ClusterIP Service ports get a port from a range of their own
 * (default 20000-29999): outside the kernel's ephemeral range — which container host ports and
 * outgoing connections use, so a pod could otherwise take a Service's port while the proxy is down —
 * and outside the nodePort range. NodePorts listen on the node's addresses, all by default, or those
 * inside kube-proxy-style `--nodeport-addresses` CIDRs.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { DEFAULT_NODE_PORT_RANGE } from '../../controlplane/api/service-allocation.js';

export const DEFAULT_PROXY_PORT_RANGE = '20000-29999';

export interface PortSpan {
  first: number;
  last: number;
}

/** Parses `FIRST-LAST`; `what` names the flag or option in the error. */
export function parsePortSpan(range: string, what: string): PortSpan {
  const m = /^(\d+)-(\d+)$/.exec(range.trim());
  const first = m ? Number(m[1]) : NaN;
  const last = m ? Number(m[2]) : NaN;
  if (!(first >= 1 && last <= 65535 && first <= last)) throw new Error(`${what} "${range}" must be FIRST-LAST within 1-65535 (e.g. ${DEFAULT_PROXY_PORT_RANGE})`);
  return { first, last };
}

/** Linux's ephemeral port range (net.ipv4.ip_local_port_range), or undefined where it cannot be read. */
export function ephemeralPortSpan(path = '/proc/sys/net/ipv4/ip_local_port_range'): PortSpan | undefined {
  try {
    const [first, last] = readFileSync(path, 'utf8').trim().split(/\s+/).map(Number);
    return first > 0 && last >= first ? { first, last } : undefined;
  } catch {
    return undefined;
  }
}

const overlaps = (a: PortSpan, b: PortSpan) => a.first <= b.last && b.first <= a.last;

/**
 * The proxy port range, checked: it may not overlap the ephemeral range (`ephemeral`, read from
 * /proc by default) nor the nodePort range. Throws naming both ranges and `what`.
 */
export function proxyPortSpan(range: string, what: string, ephemeral: PortSpan | undefined = ephemeralPortSpan(), nodePorts: string = DEFAULT_NODE_PORT_RANGE): PortSpan {
  const span = parsePortSpan(range, what);
  if (ephemeral && overlaps(span, ephemeral))
    throw new Error(`${what} ${range} overlaps the ephemeral port range ${ephemeral.first}-${ephemeral.last} (net.ipv4.ip_local_port_range), where host ports and outgoing connections come from; choose a range outside it`);
  const np = parsePortSpan(nodePorts, 'node port range');
  if (overlaps(span, np)) throw new Error(`${what} ${range} overlaps the nodePort range ${nodePorts}; choose a range outside it`);
  return span;
}

/**
 * The order in which a Service port tries the range: from a point derived from `seed` (the Service
 * uid and port), so Services rarely contend for one port even across proxies, then onwards, wrapping.
 */
export function* candidates(span: PortSpan, seed: string): Generator<number> {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
  const size = span.last - span.first + 1;
  for (let i = 0; i < size; i++) yield span.first + ((h + i) % size);
}

/** Parses kube-proxy's `--nodeport-addresses` (comma-separated CIDRs, IPv4 or IPv6). */
export function parseNodePortAddresses(value: string): string[] {
  const cidrs = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const c of cidrs) {
    const [ip, bits] = c.split('/');
    const family = net.isIP(ip);
    const n = Number(bits);
    if (!family || !/^\d+$/.test(bits ?? '') || n > (family === 4 ? 32 : 128)) throw new Error(`--nodeport-addresses: "${c}" is not a CIDR (e.g. 127.0.0.0/8,192.168.0.0/16)`);
  }
  return cidrs;
}

/**
 * The addresses a nodePort listens on: undefined (every address of the machine) without CIDRs,
 * else this machine's interface addresses inside any of them.
 */
export function nodePortHosts(cidrs: string[] | undefined, interfaces = networkInterfaces()): (string | undefined)[] {
  if (!cidrs?.length) return [undefined];
  const list = new net.BlockList();
  for (const c of cidrs) {
    const [ip, bits] = c.split('/');
    list.addSubnet(ip, Number(bits), net.isIP(ip) === 6 ? 'ipv6' : 'ipv4');
  }
  const out: string[] = [];
  for (const addrs of Object.values(interfaces))
    for (const a of addrs ?? []) if (!a.address.includes('%') && list.check(a.address, a.family === 'IPv6' ? 'ipv6' : 'ipv4') && !out.includes(a.address)) out.push(a.address);
  return out;
}
