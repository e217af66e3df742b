/**
 * The Service environment variables the kubelet gives every container (pkg/kubelet/envvars): for
 * each Service of the pod's namespace with a ClusterIP, `<NAME>_SERVICE_HOST/_PORT[_<PORTNAME>]`
 * and the Docker-link `<NAME>_PORT[_<port>_<PROTO>[_PROTO|_PORT|_ADDR]]`, plus the `kubernetes`
 * Service's `KUBERNETES_SERVICE_*` always (even with `enableServiceLinks: false`).
 *
 * Nothing listens on ClusterIPs on a berth machine, so the variables name where the Service really
 * answers: the node's Service proxy (`host`) on the port recorded for that Service port in the
 * `proxy.berth.dev/ports` annotation. A Service port without a proxy port yet gets no variables.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import { PROXY_PORTS_ANNOTATION } from '../../proxy/service-proxy.js';

const envName = (s: string) => s.toUpperCase().replace(/-/g, '_');

function proxyPorts(svc: Service): Record<string, number> {
  try {
    return JSON.parse(svc.metadata?.annotations?.[PROXY_PORTS_ANNOTATION] ?? '{}') as Record<string, number>;
  } catch {
    return {};
  }
}

function linkVars(svc: Service, host: string, out: Record<string, string>): void {
  const ip = svc.spec?.clusterIP;
  if (!ip || ip === 'None') return;
  const recorded = proxyPorts(svc);
  const ports = (svc.spec?.ports ?? []).flatMap((p) => {
    const proto = p.protocol ?? 'TCP';
    const at = recorded[`${p.port}/${proto}`];
    return at ? [{ name: p.name, port: p.port, proto, at }] : [];
  });
  if (ports.length === 0) return;
  const name = envName(svc.metadata?.name ?? '');
  out[`${name}_SERVICE_HOST`] = host;
  out[`${name}_SERVICE_PORT`] = String(ports[0].at);
  for (const p of ports) if (p.name) out[`${name}_SERVICE_PORT_${envName(p.name)}`] = String(p.at);
  out[`${name}_PORT`] = `${ports[0].proto.toLowerCase()}://${host}:${ports[0].at}`;
  for (const p of ports) {
    // named after the Service port, as the variables a client looks for (REDIS_PORT_6379_TCP) are
    const prefix = `${name}_PORT_${p.port}_${p.proto}`;
    out[prefix] = `${p.proto.toLowerCase()}://${host}:${p.at}`;
    out[`${prefix}_PROTO`] = p.proto.toLowerCase();
    out[`${prefix}_PORT`] = String(p.at);
    out[`${prefix}_ADDR`] = host;
  }
}

/**
 * The variables for a pod in `namespace`, from the Services of that namespace and the default
 * namespace's `kubernetes` Service (either list may hold the other's Services; only the right ones
 * count). The container's own env is applied after these and wins.
 */
export function serviceEnv(services: Service[], namespace: string, host: string, enableServiceLinks: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (enableServiceLinks) for (const s of services) if ((s.metadata?.namespace ?? 'default') === namespace) linkVars(s, host, out);
  const api = services.find((s) => s.metadata?.name === 'kubernetes' && (s.metadata?.namespace ?? 'default') === 'default');
  if (api) linkVars(api, host, out);
  return out;
}

/** The address a process on this machine reaches the Service proxy at, given where it listens. */
export function serviceHostFor(proxyHost: string | undefined): string {
  return !proxyHost || proxyHost === '0.0.0.0' || proxyHost === '::' ? '127.0.0.1' : proxyHost;
}
