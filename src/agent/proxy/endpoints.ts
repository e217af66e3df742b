/**
 * Which backends a Service port balances over: ready pods its selector matches, each as the
 * address and port a connection reaches. Process pods listen on host ports berth assigned (listed in
 * their berth.dev/HostPorts condition); other pods are reached on the target port itself. A Service
 * without a selector balances over the addresses of its Endpoints (written by whoever owns them, as
 * the API server does for `kubernetes`). Pure.
 */
import net from 'node:net';
import type { EndpointSubset, Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';

export interface Backend {
  pod: string;
  host: string;
  port: number;
}

/** `container/name: containerPort→hostPort` entries of the HostPorts condition. */
export function hostPorts(pod: Pod): { name: string; containerPort: number; hostPort: number }[] {
  const msg = pod.status?.conditions?.find((c) => c.type === 'berth.dev/HostPorts')?.message ?? '';
  const out: { name: string; containerPort: number; hostPort: number }[] = [];
  for (const m of msg.matchAll(/[^/\s,]+\/([^:\s,]+): (\d+)→(\d+)/g)) out.push({ name: m[1], containerPort: Number(m[2]), hostPort: Number(m[3]) });
  return out;
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export function podReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** The port a connection to `pod` for service port `sp` goes to, or undefined when a named port is missing. */
export function targetPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  const mapped = hostPorts(pod);
  if (typeof target === 'number' || /^\d+$/.test(String(target))) {
    const n = Number(target);
    return mapped.find((m) => m.containerPort === n)?.hostPort ?? n;
  }
  const byName = mapped.find((m) => m.name === target);
  if (byName) return byName.hostPort;
  for (const c of pod.spec?.containers ?? []) {
    const p = c.ports?.find((x) => x.name === target);
    if (p) return p.hostPort ?? p.containerPort;
  }
  return undefined;
}

/** Ready backends of one Service port among `pods` (any namespace; filtered here). */
export function backends(svc: Service, sp: ServicePort, pods: Iterable<Pod>): Backend[] {
  const selector = svc.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  const ns = svc.metadata?.namespace;
  const out: Backend[] = [];
  for (const p of pods) {
    if (p.metadata?.namespace !== ns || !matches(selector, p.metadata?.labels) || !podReady(p) || !p.status?.podIP) continue;
    const port = targetPort(p, sp);
    if (port !== undefined) out.push({ pod: p.metadata?.name ?? '', host: p.status.podIP, port });
  }
  return out.sort((a, b) => a.pod.localeCompare(b.pod));
}

/**
 * Addresses Kubernetes refuses in Endpoints (loopback, link-local, unspecified): a selector-less
 * Service must not let whoever writes Endpoints aim the proxy at this machine's own services (the
 * Redis behind the API, the agent) — CVE-2020-8554, CVE-2021-25740.
 */
export function forbiddenEndpointIP(ip: string): boolean {
  const v4 = net.isIPv4(ip) ? ip : /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (v4) return /^(127\.|169\.254\.|0\.)/.test(v4) || v4 === '255.255.255.255';
  const v6 = ip.toLowerCase();
  return v6 === '::1' || v6 === '::' || /^fe[89ab]/.test(v6) || !net.isIP(ip);
}

/**
 * Ready addresses of a selector-less Service's Endpoints for service port `sp`: the subset port of
 * the same name (an unnamed service port takes a subset's only port), as kube-proxy matches them.
 * Loopback and link-local addresses are skipped unless `trusted` (the API server's own `kubernetes`
 * Endpoints, which berth writes with the address the API listens on).
 */
export function endpointsBackends(subsets: EndpointSubset[] | undefined, sp: ServicePort, trusted = false): Backend[] {
  const out: Backend[] = [];
  for (const s of subsets ?? []) {
    const port = sp.name ? s.ports?.find((p) => p.name === sp.name) : s.ports?.length === 1 ? s.ports[0] : undefined;
    if (!port || (port.protocol ?? 'TCP') !== (sp.protocol ?? 'TCP')) continue;
    for (const a of s.addresses ?? []) if (trusted || !forbiddenEndpointIP(a.ip)) out.push({ pod: a.targetRef?.name ?? a.ip, host: a.ip, port: port.port });
  }
  return out.sort((a, b) => a.host.localeCompare(b.host) || a.port - b.port);
}
