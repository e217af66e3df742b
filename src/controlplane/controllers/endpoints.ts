/**
 * The endpoints controller: for each Service with a selector, an Endpoints object of the same name
 * listing the matching pods' IPs — ready ones in `addresses`, others in `notReadyAddresses` — with
 * ports resolved from targetPort (numbers as they are, names looked up in each pod's containers).
 * `endpointSubsets` is the pure core.
 */
import { StatusError } from '../api/errors.js';
import { objectKey } from '../client/informer.js';
import { refs } from '../client/refs.js';
import type { KubeObject } from '../resources/types.js';
import { labelSelectorFromObject } from '../store/selectors.js';
import { canonicalJson } from './deployment-rollout.js';
import { isReady, type PodObject as Pod } from '../resources/pod-state.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

export type Service = KubeObject & { spec?: { selector?: Record<string, string>; ports?: ServicePort[]; publishNotReadyAddresses?: boolean } };

interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
}

interface EndpointAddress {
  ip: string;
  nodeName?: string;
  targetRef: { kind: 'Pod'; namespace?: string; name?: string; uid?: string };
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

type Container = { ports?: { name?: string; containerPort: number; protocol?: string }[] };

/** The ports of `svc` as `pod` serves them; a named targetPort the pod lacks leaves that port out. */
function podPorts(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  const containers = ((pod.spec as { containers?: Container[] } | undefined)?.containers ?? []);
  for (const p of svc.spec?.ports ?? []) {
    const protocol = p.protocol ?? 'TCP';
    const target = p.targetPort ?? p.port;
    let port: number | undefined;
    if (typeof target === 'number') port = target;
    else if (/^\d+$/.test(target)) port = Number(target);
    else port = containers.flatMap((c) => c.ports ?? []).find((cp) => cp.name === target && (cp.protocol ?? 'TCP') === protocol)?.containerPort;
    if (port === undefined) continue;
    const ep: EndpointPort = { port, protocol };
    if (p.name) ep.name = p.name;
    out.push(ep);
  }
  return out;
}

/** Subsets for `svc` from the pods of its namespace (pods grouped by their resolved port list). */
export function endpointSubsets(svc: Service, pods: Pod[]): EndpointSubset[] {
  const sel = labelSelectorFromObject({ matchLabels: svc.spec?.selector ?? {} });
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  const wantPorts = (svc.spec?.ports ?? []).length > 0;
  for (const pod of pods) {
    const ip = pod.status?.podIP;
    const phase = pod.status?.phase;
    if (!ip || !sel.matches(pod.metadata?.labels) || phase === 'Succeeded' || phase === 'Failed') continue;
    if (pod.metadata?.deletionTimestamp && !svc.spec?.publishNotReadyAddresses) continue;
    const ports = podPorts(svc, pod);
    if (wantPorts && ports.length === 0) continue;
    const key = canonicalJson(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    const addr: EndpointAddress = { ip, targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid } };
    if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
    (isReady(pod) || svc.spec?.publishNotReadyAddresses ? g.ready : g.notReady).push(addr);
  }
  const byIp = (a: EndpointAddress, b: EndpointAddress) => a.ip.localeCompare(b.ip) || (a.targetRef.name ?? '').localeCompare(b.targetRef.name ?? '');
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, g]) => {
      const s: EndpointSubset = {};
      if (g.ready.length) s.addresses = g.ready.sort(byIp);
      if (g.notReady.length) s.notReadyAddresses = g.notReady.sort(byIp);
      if (g.ports.length) s.ports = g.ports;
      return s;
    });
}

function hasSelector(svc: Service): boolean {
  return Object.keys(svc.spec?.selector ?? {}).length > 0;
}

export const endpointsController = (): Controller => ({
  name: 'endpoints-controller',
  setup(ctx: ControllerContext) {
    const services = ctx.informers.get<Service>(refs.services);
    const pods = ctx.informers.get<Pod>(refs.pods);
    const endpoints = ctx.informers.get(refs.endpoints);
    const enqueue = (o: KubeObject) => ctx.enqueue(objectKey(o));
    services.on({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
    endpoints.on({ onDelete: enqueue });
    const servicesOf = (p: Pod) => {
      for (const s of services.list((s) => s.metadata?.namespace === p.metadata?.namespace && hasSelector(s))) {
        if (labelSelectorFromObject({ matchLabels: s.spec?.selector }).matches(p.metadata?.labels)) enqueue(s);
      }
    };
    pods.on({ onAdd: servicesOf, onUpdate: (old, p) => (servicesOf(old), servicesOf(p)), onDelete: servicesOf });

    return {
      async reconcile(key: string): Promise<Result> {
        const [ns, name] = key.split('/');
        const svc = services.get(key);
        const cur = endpoints.get(key);
        if (!svc) {
          if (cur) await ctx.client.delete(refs.endpoints, name, { namespace: ns }).catch((e) => ignore(e, 'NotFound'));
          return {};
        }
        if (!hasSelector(svc)) return {};
        const subsets = endpointSubsets(svc, pods.list((p) => p.metadata?.namespace === ns));
        const labels = svc.metadata?.labels;
        if (cur && canonicalJson(cur.subsets ?? []) === canonicalJson(subsets) && canonicalJson(cur.metadata?.labels ?? {}) === canonicalJson(labels ?? {})) return {};
        const obj: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: ns, labels }, subsets };
        if (cur) {
          obj.metadata!.resourceVersion = cur.metadata?.resourceVersion;
          await ctx.client.update(refs.endpoints, obj);
        } else {
          try {
            await ctx.client.create(refs.endpoints, obj);
          } catch (e) {
            // Our cache has not seen the Endpoints an earlier reconcile created: look again once it
            // has, or this change is lost (Endpoints events don't requeue the Service).
            if (e instanceof StatusError && e.reason === 'AlreadyExists') return { requeueAfterMs: 100 };
            throw e;
          }
        }
        return {};
      },
    };
  },
});

/** Swallows the expected outcome of a racing write (the next event reconciles again). */
function ignore(e: unknown, reason: string): void {
  if (!(e instanceof StatusError && e.reason === reason)) throw e;
}
