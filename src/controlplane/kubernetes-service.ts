/**
 * The `kubernetes` Service in `default`, kept as kube-apiserver's kubernetes-service controller
 * keeps it, so in-cluster clients and tools that look for it find the API: ClusterIP = the first IP
 * of the service CIDR, port 443 `https` → the API server's port, no selector, and an Endpoints and
 * EndpointSlices (named `kubernetes`) listing the API servers' addresses. Put back when deleted or
 * edited (watched, and checked every 10 s as kube-apiserver does). Several API servers on one Redis
 * each add their own address to the list and take it out when they stop; one that crashed stays
 * listed (kube-apiserver's lease-based endpoint reconciler expires them; berth has no such lease yet).
 */
import { isIP } from 'node:net';
import type { EndpointPort, EndpointSubset, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { StatusError } from './api/errors.js';
import { cidrRange, DEFAULT_SERVICE_CIDR, intToIp } from './api/service-allocation.js';
import type { Client } from './client/client.js';
import { Informer } from './client/informer.js';
import { ref, refs } from './client/refs.js';
import type { KubeObject } from './resources/types.js';
import type { Runnable } from './runtime/runnable.js';

export const KUBERNETES_SERVICE = 'kubernetes';
const NAMESPACE = 'default';
const PORT_NAME = 'https';
const endpointSlices = ref('discovery.k8s.io/v1', 'EndpointSlice');
/** Kubernetes marks the apiserver's Endpoints so the EndpointSlice mirroring controller leaves them alone. */
const SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const MANAGED_BY = 'berth-apiserver';

/** Where one API server is reached. */
export interface ApiServerAddress {
  ip: string;
  port: number;
}

export interface KubernetesServiceOptions {
  /** the API server's own client (writes in the default namespace) */
  client: Client;
  /** this API server's address as clients reach it (an IP, not 0.0.0.0 nor a hostname) and its port */
  self: ApiServerAddress;
  /** the cluster's service CIDR (default 10.96.0.0/12): the Service gets its first IP */
  serviceCIDR?: string;
  /** how often the objects are checked besides on changes (default 10 s, kube-apiserver's interval) */
  intervalMs?: number;
  log?: (line: string) => void;
}

type ServiceObject = Service & KubeObject;
type EndpointsObject = KubeObject & { subsets?: EndpointSubset[] };
type SliceObject = EndpointSlice & KubeObject;

/** The Service as kube-apiserver creates it. */
export function kubernetesService(serviceCIDR: string, port: number): ServiceObject {
  const ip = intToIp(cidrRange(serviceCIDR).first);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: KUBERNETES_SERVICE, namespace: NAMESPACE, labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], sessionAffinity: 'None', ports: [{ name: PORT_NAME, port: 443, protocol: 'TCP', targetPort: port }] },
  };
}

/** Whether an existing Service still serves the API port (its targetPort is whichever API server wrote it). */
function servesHttps(svc: Service): boolean {
  return svc.spec?.type === 'ClusterIP' && !svc.spec.selector && (svc.spec.ports ?? []).some((p) => p.name === PORT_NAME && p.port === 443 && (p.protocol ?? 'TCP') === 'TCP');
}

/** `addrs` as Endpoints subsets: one per port, addresses sorted. */
function subsetsOf(addrs: ApiServerAddress[]): EndpointSubset[] {
  const byPort = new Map<number, Set<string>>();
  for (const a of addrs) byPort.set(a.port, (byPort.get(a.port) ?? new Set()).add(a.ip));
  return [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, ips]) => ({ addresses: [...ips].sort().map((ip) => ({ ip })), ports: [{ name: PORT_NAME, port, protocol: 'TCP' } satisfies EndpointPort] }));
}

/** The API servers an Endpoints object lists. */
export function listedAddresses(subsets: EndpointSubset[] | undefined): ApiServerAddress[] {
  const out: ApiServerAddress[] = [];
  for (const s of subsets ?? []) {
    const port = s.ports?.find((p) => p.name === PORT_NAME)?.port ?? s.ports?.[0]?.port;
    if (port !== undefined) for (const a of s.addresses ?? []) out.push({ ip: a.ip, port });
  }
  return out;
}

/** The subsets with `self` in them (`present`) or taken out; the other API servers stay. */
export function endpointSubsets(current: EndpointSubset[] | undefined, self: ApiServerAddress, present: boolean): EndpointSubset[] {
  const others = listedAddresses(current).filter((a) => a.ip !== self.ip || a.port !== self.port);
  return subsetsOf(present ? [...others, self] : others);
}

/**
 * The EndpointSlices of the subsets: `kubernetes` for the Service's targetPort (or the first port),
 * `kubernetes-<port>` for API servers on other ports. A slice holds one address family (its
 * addressType, from the addresses); IPv6 addresses of a port that also has IPv4 ones get their own
 * slice, named with `-ipv6`.
 */
export function endpointSlicesOf(subsets: EndpointSubset[], servicePort: number | undefined): SliceObject[] {
  const primary = subsets.some((s) => s.ports![0].port === servicePort) ? servicePort : subsets[0]?.ports![0].port;
  return subsets.flatMap((s) => {
    const port = s.ports![0].port;
    const name = port === primary ? KUBERNETES_SERVICE : `${KUBERNETES_SERVICE}-${port}`;
    const ips = (s.addresses ?? []).map((a) => a.ip);
    const v4 = ips.filter((ip) => isIP(ip) !== 6);
    const v6 = ips.filter((ip) => isIP(ip) === 6);
    const slice = (sliceName: string, addressType: 'IPv4' | 'IPv6', addrs: string[]): SliceObject => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: sliceName, namespace: NAMESPACE, labels: { [SERVICE_NAME_LABEL]: KUBERNETES_SERVICE, [MANAGED_BY_LABEL]: MANAGED_BY } },
      addressType,
      endpoints: addrs.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports: [{ name: PORT_NAME, port, protocol: 'TCP' }],
    });
    if (v6.length === 0) return [slice(name, 'IPv4', v4)];
    if (v4.length === 0) return [slice(name, 'IPv6', v6)];
    return [slice(name, 'IPv4', v4), slice(`${name}-ipv6`, 'IPv6', v6)];
  });
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isReason(e: unknown, ...reasons: string[]): boolean {
  return e instanceof StatusError && reasons.includes(e.reason);
}

/** The reconciler as a Runnable; stopping it takes this API server's address out of the lists. */
export function createKubernetesService(opts: KubernetesServiceOptions): Runnable {
  const { client, self } = opts;
  if (!isIP(self.ip)) throw new Error(`kubernetes service: self.ip must be an IP address (Endpoints and EndpointSlices hold IPs), got "${self.ip}"; resolve a hostname first`);
  const log = opts.log ?? (() => {});
  const desired = kubernetesService(opts.serviceCIDR ?? DEFAULT_SERVICE_CIDR, self.port);
  const byName = { namespace: NAMESPACE, fieldSelector: `metadata.name=${KUBERNETES_SERVICE}` };
  const watched = [new Informer(client, refs.services, byName), new Informer(client, refs.endpoints, byName), new Informer(client, endpointSlices, { namespace: NAMESPACE, labelSelector: `${SERVICE_NAME_LABEL}=${KUBERNETES_SERVICE}` })];
  let present = true;
  let running: Promise<void> | undefined;
  let again = false;
  let done: Promise<void> = Promise.resolve();

  /** Creates or repairs the Service while this server runs; returns its targetPort (the API port of whichever server wrote it). */
  const ensureService = async (): Promise<number | undefined> => {
    const cur = await client.find<ServiceObject>(refs.services, KUBERNETES_SERVICE, NAMESPACE);
    const targetPort = (s: Service) => Number(s.spec?.ports?.find((p) => p.name === PORT_NAME)?.targetPort) || undefined;
    if (!present) return cur && targetPort(cur);
    if (!cur) {
      await client.create(refs.services, desired).catch((e) => {
        if (!isReason(e, 'AlreadyExists')) throw e;
      });
      log(`created Service ${NAMESPACE}/${KUBERNETES_SERVICE} (${desired.spec!.clusterIP}:443 → this API server)`);
      return self.port;
    }
    if (servesHttps(cur)) return targetPort(cur);
    await client.update(refs.services, { ...cur, spec: { ...cur.spec, type: 'ClusterIP', selector: undefined, ports: desired.spec!.ports } });
    return self.port;
  };

  const ensureEndpoints = async () => {
    const cur = await client.find<EndpointsObject>(refs.endpoints, KUBERNETES_SERVICE, NAMESPACE);
    const subsets = endpointSubsets(cur?.subsets, self, present);
    const labels = { [SKIP_MIRROR]: 'true' };
    if (!cur) {
      if (present) await client.create(refs.endpoints, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: KUBERNETES_SERVICE, namespace: NAMESPACE, labels }, subsets } as EndpointsObject);
    } else if (!same(cur.subsets ?? [], subsets) || cur.metadata?.labels?.[SKIP_MIRROR] !== 'true') {
      await client.update(refs.endpoints, { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata?.labels, ...labels } }, subsets });
    }
    return subsets;
  };

  const ensureSlices = async (subsets: EndpointSubset[], servicePort: number | undefined) => {
    const want = endpointSlicesOf(subsets, servicePort);
    const have = (await client.list<SliceObject>(endpointSlices, { namespace: NAMESPACE, labelSelector: `${SERVICE_NAME_LABEL}=${KUBERNETES_SERVICE}` })).items;
    for (const w of want) {
      const cur = have.find((h) => h.metadata?.name === w.metadata?.name);
      if (!cur) await client.create(endpointSlices, w);
      else if (!same([cur.endpoints, cur.ports, cur.addressType], [w.endpoints, w.ports, w.addressType])) await client.update(endpointSlices, { ...w, metadata: { ...cur.metadata, labels: w.metadata?.labels } });
    }
    for (const h of have) {
      if (h.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY && !want.some((w) => w.metadata?.name === h.metadata?.name)) {
        await client.delete(endpointSlices, h.metadata!.name!, { namespace: NAMESPACE }).catch((e) => {
          if (!isReason(e, 'NotFound')) throw e;
        });
      }
    }
  };

  const reconcileOnce = async () => {
    const servicePort = await ensureService();
    await ensureSlices(await ensureEndpoints(), servicePort);
  };

  /** One reconcile at a time; a trigger during one runs another after it. */
  const trigger = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      // a racing writer (another API server, a user) changed something: look again, a few times
      for (let races = 0; ; ) {
        again = false;
        try {
          await reconcileOnce();
        } catch (e) {
          if (!isReason(e, 'Conflict', 'AlreadyExists', 'NotFound')) log(`kubernetes service: ${(e as Error).message}`);
          else if (++races < 5) again = true;
        }
        if (!again) break;
      }
    })().finally(() => (running = undefined));
    return running;
  };

  return {
    name: 'kubernetes service',
    async start(signal) {
      await trigger();
      for (const i of watched) {
        await i.start(signal);
        i.on({ onUpdate: () => void trigger(), onDelete: () => void trigger() });
      }
      const timer = setInterval(() => void trigger(), opts.intervalMs ?? 10_000);
      done = new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          clearInterval(timer);
          present = false;
          void (async () => {
            await Promise.all(watched.map((i) => i.stopped()));
            await trigger();
            resolve();
          })();
        }, { once: true });
      });
    },
    stopped: () => done,
  };
}
