/**
 * The Service proxy: every TCP port of every Service is reachable on this machine — a ClusterIP
 * Service port on a stable port berth allocates and records on the Service (annotation
 * `proxy.berth.dev/ports`, e.g. `{"80/TCP":40123}`), a NodePort Service also on its nodePort — and
 * each connection goes to the next ready backend (round robin). Backends are computed at connection
 * time from the pod cache, so a pod that fails readiness gets no new connection from then on; a
 * Service without a selector (e.g. `kubernetes`) goes to the addresses of its Endpoints.
 */
import net from 'node:net';
import type { EndpointSubset, Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../../controlplane/api/errors.js';
import type { Client } from '../../controlplane/client/client.js';
import { Informer, objectKey } from '../../controlplane/client/informer.js';
import { refs } from '../../controlplane/client/refs.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import type { Runnable } from '../../controlplane/runtime/runnable.js';
import { LeanClient } from '../lean-client.js';
import { backends, endpointsBackends, type Backend } from './endpoints.js';

export const PROXY_PORTS_ANNOTATION = 'proxy.berth.dev/ports';

export interface ServiceProxyOptions {
  client: Client;
  /** the address the proxy listens on (default 127.0.0.1) */
  host?: string;
  log?: (line: string) => void;
}

type ServiceObject = Service & KubeObject;
type PodObject = Pod & KubeObject;
type EndpointsObject = KubeObject & { subsets?: EndpointSubset[] };

interface Listener {
  server: net.Server;
  port: number;
  /** service key and port name or number, to find backends */
  key: string;
  portKey: string;
  next: number;
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

export function createServiceProxy(opts: ServiceProxyOptions): Runnable {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const lean = new LeanClient(opts.client);
  const services = new Informer<ServiceObject>(lean, refs.services, { log });
  const pods = new Informer<PodObject>(lean, refs.pods, { fieldSelector: 'spec.nodeName!=', log });
  const endpoints = new Informer<EndpointsObject>(lean, refs.endpoints, { log });
  /** `<service key>|<port key>|cluster` or `|node` → listener */
  const listeners = new Map<string, Listener>();
  let done: Promise<void> = Promise.resolve();

  const pick = (l: Listener): Backend[] => {
    const svc = services.get(l.key);
    const sp = svc?.spec?.ports?.find((p) => portKey(p) === l.portKey);
    if (!svc || !sp) return [];
    return Object.keys(svc.spec?.selector ?? {}).length ? backends(svc, sp, pods.list()) : endpointsBackends(endpoints.get(l.key)?.subsets, sp);
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

  const listen = (key: string, pk: string, port: number): Promise<Listener | undefined> =>
    new Promise((resolve) => {
      const l: Listener = { server: net.createServer({ pauseOnConnect: true }, (s) => handle(l, s)), port, key, portKey: pk, next: 0 };
      l.server.once('error', (e) => {
        log(`service-proxy: ${key} ${pk}: cannot listen on ${host}:${port}: ${e.message}`);
        resolve(undefined);
      });
      l.server.listen(port, host, () => {
        l.port = (l.server.address() as net.AddressInfo).port;
        resolve(l);
      });
    });

  const close = (id: string) => {
    listeners.get(id)?.server.close();
    listeners.delete(id);
  };

  const sync = async (svc: ServiceObject) => {
    const key = objectKey(svc);
    const want = new Set<string>();
    const ports = recorded(svc);
    const next: Record<string, number> = {};
    for (const sp of svc.spec?.ports ?? []) {
      if ((sp.protocol ?? 'TCP') !== 'TCP') continue;
      const pk = portKey(sp);
      const cluster = `${key}|${pk}|cluster`;
      want.add(cluster);
      let l = listeners.get(cluster);
      if (!l) {
        l = (ports[pk] ? await listen(key, pk, ports[pk]) : undefined) ?? (await listen(key, pk, 0));
        if (l) listeners.set(cluster, l);
      }
      if (l) next[pk] = l.port;
      if ((svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer') && sp.nodePort) {
        const node = `${key}|${pk}|node`;
        want.add(node);
        if (listeners.get(node)?.port !== sp.nodePort) {
          close(node);
          const nl = await listen(key, pk, sp.nodePort);
          if (nl) listeners.set(node, nl);
        }
      }
    }
    for (const id of [...listeners.keys()]) if (id.startsWith(`${key}|`) && !want.has(id)) close(id);
    if (JSON.stringify(next) !== JSON.stringify(ports)) {
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
            for (const id of [...listeners.keys()]) if (id.startsWith(`${objectKey(s)}|`)) close(id);
          }),
      });
      await services.start(signal);
      done = new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          void (async () => {
            await Promise.all([...chains.values(), services.stopped(), pods.stopped(), endpoints.stopped()]);
            for (const id of [...listeners.keys()]) close(id);
            resolve();
          })();
        }, { once: true });
      });
    },
    stopped: () => done,
  };
}
