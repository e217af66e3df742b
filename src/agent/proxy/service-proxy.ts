/**
 * The Service proxy: every TCP port of every Service is reachable on this machine — a ClusterIP
 * Service port on a stable port from a range of its own (proxy-ports.ts), recorded on the Service
 * (annotation `proxy.berth.dev/ports`, e.g. `{"80/TCP":20412}`) and kept across restarts, a
 * NodePort Service also on its nodePort on the node's addresses — and each connection goes to the
 * next ready backend (round robin). A recorded port something else holds is reported (Warning Event
 * ProxyPortUnavailable on the Service) and tried again, never silently moved. Backends are computed at
 * connection time from the pod cache, so a pod that fails readiness gets no new connection from then
 * on; a Service without a selector (e.g. `kubernetes`) goes to the addresses of its Endpoints.
 */
import net from 'node:net';
import type { EndpointSubset, Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../../controlplane/api/errors.js';
import type { Client } from '../../controlplane/client/client.js';
import { Informer, objectKey } from '../../controlplane/client/informer.js';
import { refs } from '../../controlplane/client/refs.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import type { Runnable } from '../../controlplane/runtime/runnable.js';
import { EventRecorder } from '../../controlplane/client/events.js';
import { LeanClient } from '../../controlplane/client/lean-client.js';
import { backends, endpointsBackends, type Backend } from './endpoints.js';
import { candidates, DEFAULT_PROXY_PORT_RANGE, nodePortHosts, proxyPortSpan } from './proxy-ports.js';

export const PROXY_PORTS_ANNOTATION = 'proxy.berth.dev/ports';

export interface ServiceProxyOptions {
  client: Client;
  /** the address ClusterIP Service ports listen on (default 127.0.0.1) */
  host?: string;
  /** CIDRs whose addresses of this machine nodePorts listen on (kube-proxy's --nodeport-addresses); default every address */
  nodePortAddresses?: string[];
  /**
   * Pick a port for a Service port without one (or with one outside `portRange`) and record it on
   * the Service, which needs `patch` on services (default true). A proxy that does not allocate
   * serves the ports an allocating proxy recorded, and nothing for a Service without one yet.
   */
  allocate?: boolean;
  /** `FIRST-LAST` the allocated ports come from (default 20000-29999); checked against the ephemeral and nodePort ranges */
  portRange?: string;
  /** how often a port that could not be listened on is tried again (default 5000 ms) */
  retryMs?: number;
  /** the node this proxy runs for, as the source host of its Events */
  nodeName?: string;
  log?: (line: string) => void;
}

type ServiceObject = Service & KubeObject;
type PodObject = Pod & KubeObject;
type EndpointsObject = KubeObject & { subsets?: EndpointSubset[] };

/** One Service port served on one port, on one or more addresses. */
interface Listener {
  /** `<service key>|<port key>|cluster` or `|node` */
  id: string;
  /** service key and port key, to find backends */
  key: string;
  portKey: string;
  port: number;
  /** the addresses to listen on (undefined: every address) */
  hosts: (string | undefined)[];
  /** servers listening, by address */
  servers: Map<string, net.Server>;
  next: number;
  /** the failure last reported, so one failure is reported once */
  reported?: string;
  retry?: NodeJS.Timeout;
}

function portKey(sp: ServicePort): string {
  return `${sp.port}/${sp.protocol ?? 'TCP'}`;
}

function recorded(svc: Service): Record<string, number> {
  try {
    return JSON.parse(svc.metadata?.annotations?.[PROXY_PORTS_ANNOTATION] ?? '{}') as Record<string, number>;
  } catch {
    return {};
  }
}

const label = (host: string | undefined) => host ?? '*';

export function createServiceProxy(opts: ServiceProxyOptions): Runnable {
  const host = opts.host ?? '127.0.0.1';
  const allocate = opts.allocate ?? true;
  // checked only where ports are picked: a proxy that serves recorded ports does not need a range
  const span = allocate ? proxyPortSpan(opts.portRange ?? DEFAULT_PROXY_PORT_RANGE, 'service proxy port range') : { first: 0, last: -1 };
  const retryMs = opts.retryMs ?? 5000;
  const log = opts.log ?? (() => {});
  const lean = new LeanClient(opts.client);
  const events = new EventRecorder(opts.client, 'berth-proxy', opts.nodeName);
  const services = new Informer<ServiceObject>(lean, refs.services, { log });
  const pods = new Informer<PodObject>(lean, refs.pods, { fieldSelector: 'spec.nodeName!=', log });
  const endpoints = new Informer<EndpointsObject>(lean, refs.endpoints, { log });
  const listeners = new Map<string, Listener>();
  let stopping = false;
  let done: Promise<void> = Promise.resolve();

  const pick = (l: Listener): Backend[] => {
    const svc = services.get(l.key);
    const sp = svc?.spec?.ports?.find((p) => portKey(p) === l.portKey);
    if (!svc || !sp) return [];
    return Object.keys(svc.spec?.selector ?? {}).length ? backends(svc, sp, pods.list()) : endpointsBackends(endpoints.get(l.key)?.subsets, sp, l.key === 'default/kubernetes');
  };

  const handle = (l: Listener, client: net.Socket) => {
    const list = pick(l);
    let upstream: net.Socket | undefined;
    client.on('error', () => upstream?.destroy());
    client.on('close', () => upstream?.destroy());
    const tryAt = (i: number) => {
      if (i >= list.length || client.destroyed) return client.destroy();
      const b = list[(l.next + i) % list.length];
      const u = net.connect({ host: b.host, port: b.port });
      upstream = u;
      let connected = false;
      u.once('connect', () => {
        connected = true;
        l.next = (l.next + i + 1) % list.length;
        client.pipe(u).pipe(client);
      });
      // a backend that refuses is skipped; one that fails mid-connection ends it
      u.once('error', () => (connected ? client.destroy() : tryAt(i + 1)));
    };
    tryAt(0);
  };

  const listener = (id: string, key: string, pk: string, port: number, hosts: (string | undefined)[]): Listener => ({ id, key, portKey: pk, port, hosts, servers: new Map(), next: 0 });

  /** Listens on every address of `l` not yet listened on; the errors of those that failed. */
  const bind = async (l: Listener): Promise<string[]> => {
    const errs: string[] = [];
    for (const h of l.hosts) {
      if (l.servers.has(label(h))) continue;
      const err = await new Promise<Error | undefined>((resolve) => {
        const server = net.createServer({ pauseOnConnect: true }, (s) => handle(l, s));
        server.once('error', resolve);
        server.listen(l.port, h, () => {
          server.removeAllListeners('error');
          server.on('error', (e) => log(`service-proxy: ${l.key} ${l.portKey} on ${label(h)}:${l.port}: ${e.message}`));
          l.servers.set(label(h), server);
          resolve(undefined);
        });
      });
      if (err) errs.push(`${label(h)}:${l.port} (${(err as NodeJS.ErrnoException).code ?? err.message})`);
    }
    return errs;
  };

  const close = (l: Listener) => {
    clearTimeout(l.retry);
    for (const s of l.servers.values()) s.close();
    l.servers.clear();
    if (listeners.get(l.id) === l) listeners.delete(l.id);
  };

  const asEventObject = (svc: ServiceObject): KubeObject => ({ ...svc, apiVersion: 'v1', kind: 'Service' });

  /**
   * Listens on `l`'s addresses; one that cannot is reported (log and a Warning Event on the Service,
   * once per failure) and tried again every retryMs, never moved to another port.
   */
  const ensureBound = async (svc: ServiceObject, l: Listener, what: string, fix: string) => {
    const errs = await bind(l);
    if (!errs.length) {
      if (l.reported) log(`service-proxy: ${l.key}: listening for ${what} again`);
      l.reported = undefined;
      return;
    }
    const msg = `cannot listen for ${what} on ${errs.join(', ')}: berth keeps this port and tries again every ${retryMs / 1000} s; free the port, or ${fix}`;
    if (l.reported !== msg) {
      l.reported = msg;
      log(`service-proxy: ${l.key}: ${msg}`);
      void events.record(asEventObject(svc), 'Warning', 'ProxyPortUnavailable', msg);
    }
    if (!l.retry && !stopping) {
      l.retry = setTimeout(() => {
        l.retry = undefined;
        const s = services.get(l.key);
        if (s && listeners.get(l.id) === l) enqueue(s, () => sync(s));
      }, retryMs);
      l.retry.unref();
    }
  };

  /** A new port from the range for a Service port: not recorded on another Service, and free here. */
  const allocatePort = async (svc: ServiceObject, key: string, pk: string, id: string): Promise<Listener | undefined> => {
    const taken = new Set<number>();
    for (const s of services.list()) if (objectKey(s) !== key) for (const p of Object.values(recorded(s))) taken.add(p);
    for (const l of listeners.values()) if (l.id.endsWith('|cluster')) taken.add(l.port);
    for (const port of candidates(span, `${svc.metadata?.uid}/${pk}`)) {
      if (taken.has(port)) continue;
      const l = listener(id, key, pk, port, [host]);
      if ((await bind(l)).length) continue;
      listeners.set(id, l);
      return l;
    }
    const msg = `no free port for ${pk} in the service proxy port range ${span.first}-${span.last}`;
    log(`service-proxy: ${key}: ${msg}`);
    void events.record(asEventObject(svc), 'Warning', 'ProxyPortUnavailable', msg);
    return undefined;
  };

  const inSpan = (port: number) => port >= span.first && port <= span.last;

  const sync = async (svc: ServiceObject) => {
    if (stopping) return;
    const key = objectKey(svc);
    const want = new Set<string>();
    const ports = recorded(svc);
    const next: Record<string, number> = {};
    for (const sp of svc.spec?.ports ?? []) {
      if ((sp.protocol ?? 'TCP') !== 'TCP') continue;
      const pk = portKey(sp);
      const cluster = `${key}|${pk}|cluster`;
      want.add(cluster);
      // the recorded port is kept; an allocating proxy replaces one from outside its range (picked
      // before ranges existed) and picks another when the entry of a port it cannot listen on is removed
      const rec = ports[pk];
      const usable = typeof rec === 'number' && (!allocate || inSpan(rec));
      let l = listeners.get(cluster);
      if (l && (usable ? l.port !== rec : !allocate || l.servers.size === 0)) {
        close(l);
        l = undefined;
      }
      if (!l && usable) listeners.set(cluster, (l = listener(cluster, key, pk, rec, [host])));
      if (!l && allocate) l = await allocatePort(svc, key, pk, cluster);
      if (l) {
        next[pk] = l.port;
        await ensureBound(svc, l, `${pk} on its proxy port ${l.port}`, `remove "${pk}" from the Service's annotation ${PROXY_PORTS_ANNOTATION} to have berth pick another port`);
      }
      if ((svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer') && sp.nodePort) {
        const node = `${key}|${pk}|node`;
        want.add(node);
        let nl = listeners.get(node);
        if (nl && nl.port !== sp.nodePort) {
          close(nl);
          nl = undefined;
        }
        if (!nl) listeners.set(node, (nl = listener(node, key, pk, sp.nodePort, nodePortHosts(opts.nodePortAddresses))));
        await ensureBound(svc, nl, `${pk} on its nodePort ${sp.nodePort}`, 'change the Service\'s nodePort');
      }
    }
    for (const l of [...listeners.values()]) if (l.key === key && !want.has(l.id)) close(l);
    if (allocate && JSON.stringify(next) !== JSON.stringify(ports)) {
      try {
        await opts.client.patch(refs.services, svc.metadata!.name!, 'merge', { metadata: { annotations: { [PROXY_PORTS_ANNOTATION]: JSON.stringify(next) } } }, { namespace: svc.metadata?.namespace });
      } catch (e) {
        if (!(e instanceof StatusError && e.reason === 'NotFound')) log(`service-proxy: ${key}: ${(e as Error).message}`);
      }
    }
  };

  // One sync at a time per service, in order.
  const chains = new Map<string, Promise<void>>();
  const enqueue = (svc: ServiceObject, fn: () => Promise<void> | void) => {
    const key = objectKey(svc);
    const p = (chains.get(key) ?? Promise.resolve()).then(fn).catch((e: Error) => log(`service-proxy: ${key}: ${e.message}`));
    chains.set(key, p);
  };

  return {
    name: 'service-proxy',
    async start(signal) {
      await pods.start(signal);
      await endpoints.start(signal);
      services.on({
        onAdd: (s) => enqueue(s, () => sync(s)),
        onUpdate: (_o, s) => enqueue(s, () => sync(s)),
        onDelete: (s) =>
          enqueue(s, () => {
            for (const l of [...listeners.values()]) if (l.key === objectKey(s)) close(l);
          }),
      });
      await services.start(signal);
      done = new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          void (async () => {
            stopping = true;
            await Promise.all([...chains.values(), services.stopped(), pods.stopped(), endpoints.stopped()]);
            for (const l of [...listeners.values()]) close(l);
            resolve();
          })();
        }, { once: true });
      });
    },
    stopped: () => done,
  };
}
