/**
 * ClusterIPs and nodePorts for Services, as kube-apiserver's service REST storage allocates them:
 * on create a Service gets a free IP from the service CIDR (10.96.0.0/12 unless configured; a
 * requested IP is honoured when it is in range and free, headless `None` and ExternalName get
 * none), and NodePort/LoadBalancer ports get free nodePorts (30000-32767). Each value is a claim
 * (`clusterip/10.96.0.10`, `nodeport/TCP/30080`) that the store takes in the same Lua script as the
 * write (store/scripts.ts), so two API servers never hand out one value; delete releases them. An
 * update keeps the allocated values (a PUT that leaves them out gets them back), may not change
 * the clusterIP, and claims or releases nodePorts as the type and ports change.
 */
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { errors, StatusError, type StatusCause } from './errors.js';
import { invalid } from '../resources/validation/field.js';

export interface ServiceAllocationOptions {
  /** IPv4 CIDR ClusterIPs come from (default 10.96.0.0/12, kube-apiserver's --service-cluster-ip-range) */
  serviceCIDR?: string;
  /** nodePorts come from this range, `first-last` (default 30000-32767) */
  nodePortRange?: string;
}

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';

/** A range of integers (IPs as 32-bit numbers, or ports), `first` to `last` inclusive. */
interface Range {
  first: number;
  last: number;
  /** values below this are handed out only on request, unless nothing above is free (Kubernetes' static band) */
  dynamicFrom: number;
}

export function ipToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255) || m.slice(1).some((p) => p.length > 1 && p.startsWith('0'))) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * The IPs of an IPv4 CIDR that can be handed out: without the network and broadcast addresses; the
 * lowest min(max(16, size/16), 256) form the static band. Throws with what is wrong.
 */
export function cidrRange(cidr: string): Range {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
  const base = m ? ipToInt(m[1]) : undefined;
  const bits = m ? Number(m[2]) : NaN;
  if (base === undefined || !(bits >= 8 && bits <= 30)) throw new Error(`service CIDR "${cidr}" must be an IPv4 CIDR with a prefix length from 8 to 30 (e.g. ${DEFAULT_SERVICE_CIDR})`);
  const size = 2 ** (32 - bits);
  const network = base - (base % size);
  const band = Math.min(Math.max(16, Math.floor(size / 16)), 256);
  return { first: network + 1, last: network + size - 2, dynamicFrom: Math.min(network + band, network + size - 2) };
}

export function portRange(range: string): Range {
  const m = /^(\d+)-(\d+)$/.exec(range.trim());
  const first = m ? Number(m[1]) : NaN;
  const last = m ? Number(m[2]) : NaN;
  if (!(first >= 1 && last <= 65535 && first <= last)) throw new Error(`node port range "${range}" must be FIRST-LAST within 1-65535 (e.g. ${DEFAULT_NODE_PORT_RANGE})`);
  const size = last - first + 1;
  return { first, last, dynamicFrom: first + Math.min(Math.max(16, Math.floor(size / 16)), 128) };
}

const ipClaim = (ip: string) => `clusterip/${ip}`;
const portClaim = (p: ServicePort, port: number) => `nodeport/${p.protocol ?? 'TCP'}/${port}`;

function wantsClusterIP(svc: Service): boolean {
  return (svc.spec?.type ?? 'ClusterIP') !== 'ExternalName';
}

function wantsNodePorts(svc: Service): boolean {
  const type = svc.spec?.type;
  return type === 'NodePort' || (type === 'LoadBalancer' && svc.spec?.allocateLoadBalancerNodePorts !== false);
}

function isIP(v: string | undefined): v is string {
  return !!v && v !== 'None';
}

/** The claims a stored Service holds: its clusterIP and its nodePorts. */
export function serviceClaims(svc: Service): string[] {
  const out: string[] = [];
  const ip = svc.spec?.clusterIP;
  if (isIP(ip)) out.push(ipClaim(ip));
  for (const p of svc.spec?.ports ?? []) if (p.nodePort) out.push(portClaim(p, p.nodePort));
  return out;
}

/** What allocation did: the claims the Service holds now, and the ones the user asked for by value. */
export interface Allocation {
  claims: string[];
  requested: Map<string, { field: string; value: string | number }>;
}

export type ClaimHolders = (claims: string[]) => Promise<(string | null)[]>;

export class ServiceAllocator {
  readonly cidr: string;
  readonly ports: string;
  private readonly ips: Range;
  private readonly nodePorts: Range;

  constructor(
    opts: ServiceAllocationOptions,
    private readonly holders: ClaimHolders,
    private readonly random: () => number = Math.random,
  ) {
    this.cidr = opts.serviceCIDR ?? DEFAULT_SERVICE_CIDR;
    this.ports = opts.nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
    this.ips = cidrRange(this.cidr);
    this.nodePorts = portRange(this.ports);
  }

  /**
   * Fills in the Service's clusterIP(s), IP family fields and nodePorts (`old`: the stored Service
   * on update). Values it picks are free now; the store's claim makes them ours or fails the write
   * (then allocate again). Throws 422 for a requested value out of range or a changed clusterIP.
   */
  async allocate(svc: Service, old: Service | undefined): Promise<Allocation> {
    const spec = (svc.spec ??= {});
    const name = svc.metadata?.name ?? '';
    const causes: StatusCause[] = [];
    const requested = new Map<string, { field: string; value: string | number }>();
    const picked = new Set<string>();
    if (!wantsClusterIP(svc)) {
      if (old && isIP(old.spec?.clusterIP) && spec.clusterIP === old.spec?.clusterIP) {
        delete spec.clusterIP;
        delete spec.clusterIPs;
      }
    } else {
      const prev = old && wantsClusterIP(old) ? old.spec?.clusterIP : undefined;
      let ip = spec.clusterIP || spec.clusterIPs?.[0] || prev || '';
      if (prev && ip !== prev) {
        causes.push(invalid('spec.clusterIPs[0]', ip, 'may not change once set'));
      } else if (ip && ip !== 'None' && ip !== prev) {
        const n = ipToInt(ip);
        if (n === undefined || n < this.ips.first || n > this.ips.last) {
          causes.push(invalid('spec.clusterIPs[0]', ip, `provided IP is not in the valid range. The range of valid IPs is ${this.cidr}`));
        } else requested.set(ipClaim(ip), { field: 'spec.clusterIPs', value: ip });
      } else if (!ip) {
        ip = intToIp(await this.pick(this.ips, (n) => ipClaim(intToIp(n)), picked));
      }
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
    }
    const oldPorts = old && wantsNodePorts(old) ? (old.spec?.ports ?? []) : [];
    for (const [i, p] of (spec.ports ?? []).entries()) {
      const before = oldPorts.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'))?.nodePort;
      if (!wantsNodePorts(svc)) {
        // ClusterIP again: the nodePorts the Service had go with the type (dropTypeDependentFields)
        if (old && p.nodePort && (old.spec?.ports ?? []).some((o) => o.nodePort === p.nodePort)) delete p.nodePort;
        continue;
      }
      if (!p.nodePort && before) p.nodePort = before;
      if (p.nodePort) {
        if (p.nodePort === before) continue;
        if (p.nodePort < this.nodePorts.first || p.nodePort > this.nodePorts.last) {
          causes.push(invalid(`spec.ports[${i}].nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${this.ports}`));
        } else requested.set(portClaim(p, p.nodePort), { field: `spec.ports[${i}].nodePort`, value: p.nodePort });
        continue;
      }
      p.nodePort = await this.pick(this.nodePorts, (n) => portClaim(p, n), picked);
    }
    if (causes.length) throw errors.invalid('Service', '', name, causes);
    return { claims: serviceClaims(svc), requested };
  }

  /**
   * After the store refused a claim: the 422 for a requested value someone else holds (`owner` is
   * the writer), or undefined when only picked values were taken (allocate again).
   */
  async takenError(svc: Service, a: Allocation, owner: string): Promise<StatusError | undefined> {
    const asked = [...a.requested.keys()];
    const holders = await this.holders(asked);
    const causes: StatusCause[] = [];
    asked.forEach((claim, i) => {
      if (!holders[i] || holders[i] === owner) return;
      const r = a.requested.get(claim)!;
      causes.push(
        typeof r.value === 'string'
          ? { field: r.field, reason: 'FieldValueInvalid', message: `Invalid value: []string{"${r.value}"}: failed to allocate IP ${r.value}: provided IP is already allocated` }
          : invalid(r.field, r.value, 'provided port is already allocated'),
      );
    });
    return causes.length ? errors.invalid('Service', '', svc.metadata?.name ?? '', causes) : undefined;
  }

  /**
   * A value of `range` whose claim is free and not in `taken`: random ones from the dynamic band
   * first, then the whole range from a random start (so racing API servers spread out instead of
   * all taking the lowest free value). InternalError when the range is full.
   */
  private async pick(range: Range, claim: (n: number) => string, taken: Set<string>): Promise<number> {
    const size = range.last - range.dynamicFrom + 1;
    for (let round = 0; round < 4 && size > 0; round++) {
      const candidates = Array.from({ length: Math.min(16, size) }, () => range.dynamicFrom + Math.floor(this.random() * size));
      const free = await this.someFree(candidates, claim, taken);
      if (free !== undefined) return free;
    }
    const all = range.last - range.first + 1;
    const start = Math.floor(this.random() * all);
    for (let done = 0; done < all; done += 1000) {
      const candidates = Array.from({ length: Math.min(1000, all - done) }, (_, i) => range.first + ((start + done + i) % all));
      const free = await this.someFree(candidates, claim, taken);
      if (free !== undefined) return free;
    }
    throw new StatusError('InternalError', range === this.ips ? `failed to allocate a serviceIP: range is full (${this.cidr})` : `failed to allocate a nodePort: range is full (${this.ports})`);
  }

  /** A random one of the candidates that are free, or undefined. */
  private async someFree(candidates: number[], claim: (n: number) => string, taken: Set<string>): Promise<number | undefined> {
    const claims = candidates.map(claim);
    const holders = await this.holders(claims);
    const free = candidates.filter((_, j) => holders[j] === null && !taken.has(claims[j]));
    if (free.length === 0) return undefined;
    const n = free[Math.floor(this.random() * free.length)];
    taken.add(claim(n));
    return n;
  }
}
