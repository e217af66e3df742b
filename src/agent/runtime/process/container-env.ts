/**
 * A container's environment and command line as the kubelet builds them: env (value, valueFrom
 * configMapKeyRef / secretKeyRef / fieldRef / resourceFieldRef), envFrom, `$(VAR)` expansion in
 * env values, command and args, plus berth's PORT / PORT_<NAME> for the host ports it assigned.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../quantity.js';
import type { NodeContext, RuntimeHost } from '../runtime.js';

/** Why a container could not be configured (the kubelet's CreateContainerConfigError). */
export class ConfigError extends Error {}

/** Expands `$(VAR)` from `env`; `$$(VAR)` is a literal `$(VAR)`; unknown references stay as written. */
export function expand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (all, name: string | undefined) => {
    if (all === '$$') return '$';
    return name !== undefined && Object.hasOwn(env, name) ? env[name] : all;
  });
}

/** Env var name for a port or volume name: upper case, non-alphanumerics as `_`. */
export function envName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

function decode(kind: 'ConfigMap' | 'Secret', obj: { data?: Record<string, string>; binaryData?: Record<string, string> }, key: string): string | undefined {
  const v = obj.data?.[key];
  if (v !== undefined) return kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
  const b = obj.binaryData?.[key];
  return b === undefined ? undefined : Buffer.from(b, 'base64').toString('utf8');
}

/** The value of a downward-API fieldRef path. */
export function fieldValue(pod: Pod, path: string, node: NodeContext): string {
  const m = pod.metadata ?? {};
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed) return (keyed[1] === 'labels' ? m.labels : m.annotations)?.[keyed[2]] ?? '';
  switch (path) {
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? '';
    case 'metadata.uid':
      return m.uid ?? '';
    case 'metadata.labels':
      return Object.entries(m.labels ?? {}).map(([k, v]) => `${k}="${v}"`).join('\n');
    case 'metadata.annotations':
      return Object.entries(m.annotations ?? {}).map(([k, v]) => `${k}="${v}"`).join('\n');
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? node.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.podIP':
    case 'status.hostIPs':
    case 'status.podIPs':
      return node.address;
  }
  throw new ConfigError(`unsupported fieldRef fieldPath "${path}"`);
}

/** The value of a resourceFieldRef (limits default to node allocatable), divided and rounded up. */
export function resourceValue(container: Container, resource: string, divisor: string | undefined, node: NodeContext): string {
  const [kind, name] = resource.split('.', 2) as ['limits' | 'requests', string];
  const res = container.resources ?? {};
  let q = (kind === 'limits' ? res.limits : res.requests)?.[name];
  if (q === undefined && kind === 'limits') q = name === 'cpu' ? node.allocatable.cpu : name === 'memory' ? node.allocatable.memory : undefined;
  if (q === undefined && kind === 'requests') q = (res.limits ?? {})[name] ?? '0';
  if (q === undefined) throw new ConfigError(`unsupported resourceFieldRef resource "${resource}"`);
  const d = parseQuantity(divisor ?? '1');
  return String(Math.ceil(parseQuantity(String(q)) / d - 1e-9));
}

export interface EnvContext {
  pod: Pod;
  container: Container;
  node: NodeContext;
  host: Pick<RuntimeHost, 'lookup'>;
  /** containerPort → host port, and port name → host port, for this container */
  ports: { byName: Map<string, number>; first?: number };
  /** the base environment (PATH, HOME, HOSTNAME) the process runtime gives every container */
  base: Record<string, string>;
}

/** Builds the environment; throws ConfigError for a missing ConfigMap/Secret/key not marked optional. */
export async function containerEnv(ctx: EnvContext): Promise<Record<string, string>> {
  const { pod, container, node, host } = ctx;
  const ns = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = { ...ctx.base };
  if (ctx.ports.first !== undefined) env.PORT = String(ctx.ports.first);
  for (const [name, port] of ctx.ports.byName) env[`PORT_${envName(name)}`] = String(port);
  const cache = new Map<string, Awaited<ReturnType<RuntimeHost['lookup']>>>();
  const get = async (kind: 'ConfigMap' | 'Secret', name: string) => {
    const k = `${kind}/${name}`;
    if (!cache.has(k)) cache.set(k, await host.lookup(kind, ns, name));
    return cache.get(k);
  };
  for (const from of container.envFrom ?? []) {
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const obj = await get(kind, ref.name ?? '');
    if (!obj) {
      if (ref.optional) continue;
      throw new ConfigError(`${kind.toLowerCase()} "${ref.name}" not found`);
    }
    for (const key of [...Object.keys(obj.data ?? {}), ...Object.keys(obj.binaryData ?? {})]) {
      env[(from.prefix ?? '') + key] = decode(kind, obj, key) ?? '';
    }
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom === undefined) {
      env[e.name] = expand(e.value ?? '', env);
      continue;
    }
    const vf = e.valueFrom;
    if (vf.configMapKeyRef || vf.secretKeyRef) {
      const kind = vf.configMapKeyRef ? 'ConfigMap' : 'Secret';
      const ref = (vf.configMapKeyRef ?? vf.secretKeyRef)!;
      const obj = await get(kind, ref.name ?? '');
      const v = obj && decode(kind, obj, ref.key);
      if (v === undefined) {
        if (ref.optional) continue;
        throw new ConfigError(obj ? `couldn't find key ${ref.key} in ${kind} ${ns}/${ref.name}` : `${kind.toLowerCase()} "${ref.name}" not found`);
      }
      env[e.name] = v;
    } else if (vf.fieldRef) {
      env[e.name] = fieldValue(pod, vf.fieldRef.fieldPath, node);
    } else if (vf.resourceFieldRef) {
      const target = vf.resourceFieldRef.containerName ? pod.spec?.containers.find((c) => c.name === vf.resourceFieldRef!.containerName) ?? container : container;
      env[e.name] = resourceValue(target, vf.resourceFieldRef.resource, vf.resourceFieldRef.divisor, node);
    }
  }
  return env;
}

/**
 * The executable and its arguments: `command` + `args`, both `$(VAR)`-expanded; with no command,
 * `args[0]` is the executable (an image without an entrypoint). Neither → ConfigError, since the
 * process runtime cannot know an image's entrypoint.
 */
export function commandLine(container: Container, env: Record<string, string>): { file: string; args: string[] } {
  const argv = [...(container.command ?? []), ...(container.args ?? [])].map((a) => expand(a, env));
  if (argv.length === 0) {
    throw new ConfigError(`container "${container.name}" has no command or args: the process runtime cannot run image "${container.image ?? ''}" by itself; give a command, or use the sim runtime`);
  }
  return { file: argv[0], args: argv.slice(1) };
}
