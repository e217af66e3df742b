/**
 * The Pod Security Standards (kubernetes.io/docs/concepts/security/pod-security-standards) as the
 * checks of Kubernetes' pod-security-admission library, with its reasons and details word for word
 * ("allowPrivilegeEscalation != false (container "app" must set
 * securityContext.allowPrivilegeEscalation=false)"). Baseline: no host namespaces, privileged
 * containers, added capabilities beyond the default set, hostPath volumes, host ports, AppArmor
 * overrides, SELinux types/users/roles, non-default /proc mounts, Unconfined seccomp, unsafe sysctls,
 * Windows HostProcess. Restricted adds: only core volume types, allowPrivilegeEscalation=false,
 * runAsNonRoot=true, runAsUser≠0, seccomp RuntimeDefault/Localhost, drop ALL capabilities (may add
 * NET_BIND_SERVICE). Every version label is evaluated as `latest`. Pure.
 */

export type Level = 'privileged' | 'baseline' | 'restricted';

interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
  appArmorProfile?: { type?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string };
  windowsOptions?: { hostProcess?: boolean };
  sysctls?: { name: string }[];
}

interface Container {
  name: string;
  ports?: { hostPort?: number }[];
  securityContext?: SecurityContext;
}

/** The pod metadata and spec the checks read (a Pod's or a workload's pod template). */
export interface PodTemplate {
  metadata?: { annotations?: Record<string, string> };
  spec?: {
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    securityContext?: SecurityContext;
    containers?: Container[];
    initContainers?: Container[];
    ephemeralContainers?: Container[];
    volumes?: ({ name: string } & Record<string, unknown>)[];
  };
}

export interface Violation {
  /** the check, e.g. `allowPrivilegeEscalation` (the message lists them in this order) */
  id: string;
  reason: string;
  detail: string;
}

type Check = { id: string; level: Exclude<Level, 'privileged'>; run(p: PodTemplate): Omit<Violation, 'id'> | undefined };

const joinQuote = (items: string[]) => (items.length === 0 ? '' : `"${items.join('", "')}"`);
const plural = (one: string, many: string, n: number) => (n === 1 ? one : many);
const sortedUnique = (items: Iterable<string>) => [...new Set(items)].sort();
const containersOf = (p: PodTemplate) => [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? []), ...(p.spec?.ephemeralContainers ?? [])];
const named = (names: string[]) => `${plural('container', 'containers', names.length)} ${joinQuote(names)}`;

/** "pod and containers "a", "b"": who set a bad value. */
function setters(pod: boolean, containers: string[]): string[] {
  return [...(pod ? ['pod'] : []), ...(containers.length > 0 ? [named(containers)] : [])];
}

const DEFAULT_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start']);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const RESTRICTED_OK_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
const validSeccomp = (t: string | undefined) => t === 'RuntimeDefault' || t === 'Localhost';
const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

const CHECKS: Check[] = [
  {
    id: 'hostNamespaces',
    level: 'baseline',
    run(p) {
      const on = [p.spec?.hostNetwork && 'hostNetwork=true', p.spec?.hostPID && 'hostPID=true', p.spec?.hostIPC && 'hostIPC=true'].filter((s): s is string => typeof s === 'string');
      return on.length > 0 ? { reason: 'host namespaces', detail: on.join(', ') } : undefined;
    },
  },
  {
    id: 'privileged',
    level: 'baseline',
    run(p) {
      const bad = containersOf(p).filter((c) => c.securityContext?.privileged === true).map((c) => c.name);
      return bad.length > 0 ? { reason: 'privileged', detail: `${named(bad)} must not set securityContext.privileged=true` } : undefined;
    },
  },
  {
    id: 'capabilities_baseline',
    level: 'baseline',
    run(p) {
      const bad: string[] = [];
      const caps: string[] = [];
      for (const c of containersOf(p)) {
        const extra = (c.securityContext?.capabilities?.add ?? []).filter((a) => !DEFAULT_CAPABILITIES.has(a));
        if (extra.length > 0) bad.push(c.name);
        caps.push(...extra);
      }
      return bad.length > 0 ? { reason: 'non-default capabilities', detail: `${named(bad)} must not include ${joinQuote(sortedUnique(caps))} in securityContext.capabilities.add` } : undefined;
    },
  },
  {
    id: 'hostPathVolumes',
    level: 'baseline',
    run(p) {
      const bad = (p.spec?.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => v.name);
      return bad.length > 0 ? { reason: 'hostPath volumes', detail: `${plural('volume', 'volumes', bad.length)} ${joinQuote(bad)}` } : undefined;
    },
  },
  {
    id: 'hostPorts',
    level: 'baseline',
    run(p) {
      const bad: string[] = [];
      const ports: string[] = [];
      for (const c of containersOf(p)) {
        const used = (c.ports ?? []).filter((x) => (x.hostPort ?? 0) !== 0).map((x) => String(x.hostPort));
        if (used.length > 0) bad.push(c.name);
        ports.push(...used);
      }
      const list = sortedUnique(ports);
      return bad.length > 0 ? { reason: 'hostPort', detail: `${named(bad)} ${plural('uses', 'use', bad.length)} ${plural('hostPort', 'hostPorts', list.length)} ${list.join(', ')}` } : undefined;
    },
  },
  {
    id: 'appArmorProfile',
    level: 'baseline',
    run(p) {
      const bad = Object.entries(p.metadata?.annotations ?? {})
        .filter(([k, v]) => k.startsWith(APPARMOR_PREFIX) && !(v === '' || v === 'runtime/default' || v.startsWith('localhost/')))
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
      const podUnconfined = p.spec?.securityContext?.appArmorProfile?.type === 'Unconfined';
      const fields = setters(podUnconfined, containersOf(p).filter((c) => c.securityContext?.appArmorProfile?.type === 'Unconfined').map((c) => c.name));
      if (fields.length > 0) bad.push(`${fields.join(' and ')} must not set securityContext.appArmorProfile.type to "Unconfined"`);
      return bad.length > 0 ? { reason: plural('forbidden AppArmor profile', 'forbidden AppArmor profiles', bad.length), detail: bad.sort().join(', ') } : undefined;
    },
  },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    run(p) {
      const types: string[] = [];
      let user = false;
      let role = false;
      const invalid = (o: SecurityContext['seLinuxOptions']) => {
        if (!o) return false;
        let bad = false;
        if (!SELINUX_TYPES.has(o.type ?? '')) {
          types.push(o.type ?? '');
          bad = true;
        }
        if (o.user) bad = user = true;
        if (o.role) bad = role = true;
        return bad;
      };
      const who = setters(invalid(p.spec?.securityContext?.seLinuxOptions), containersOf(p).filter((c) => invalid(c.securityContext?.seLinuxOptions)).map((c) => c.name));
      if (who.length === 0) return undefined;
      const data: string[] = [];
      const t = sortedUnique(types);
      if (t.length > 0) data.push(`${plural('type', 'types', t.length)} ${joinQuote(t)}`);
      if (user) data.push('user may not be set');
      if (role) data.push('role may not be set');
      return { reason: 'seLinuxOptions', detail: `${who.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}` };
    },
  },
  {
    id: 'procMount',
    level: 'baseline',
    run(p) {
      const bad = containersOf(p).filter((c) => c.securityContext?.procMount !== undefined && c.securityContext.procMount !== 'Default');
      if (bad.length === 0) return undefined;
      return { reason: 'procMount', detail: `${named(bad.map((c) => c.name))} must not set securityContext.procMount to ${joinQuote(sortedUnique(bad.map((c) => c.securityContext!.procMount!)))}` };
    },
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    run(p) {
      const annotations = Object.entries(p.metadata?.annotations ?? {})
        .filter(([k, v]) => (k === SECCOMP_POD_ANNOTATION || k.startsWith(SECCOMP_CONTAINER_PREFIX)) && !(v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/')))
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
      if (annotations.length > 0) return { reason: 'seccompProfile', detail: `forbidden ${plural('annotation', 'annotations', annotations.length)} ${annotations.sort().join(', ')}` };
      return badSeccomp(p, false);
    },
  },
  {
    id: 'sysctls',
    level: 'baseline',
    run(p) {
      const bad = (p.spec?.securityContext?.sysctls ?? []).map((s) => s.name).filter((n) => !SAFE_SYSCTLS.has(n));
      return bad.length > 0 ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : undefined;
    },
  },
  {
    id: 'windowsHostProcess',
    level: 'baseline',
    run(p) {
      const who = setters(p.spec?.securityContext?.windowsOptions?.hostProcess === true, containersOf(p).filter((c) => c.securityContext?.windowsOptions?.hostProcess === true).map((c) => c.name));
      return who.length > 0 ? { reason: 'hostProcess', detail: `${who.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` } : undefined;
    },
  },
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    run(p) {
      const bad = (p.spec?.volumes ?? []).filter((v) => !RESTRICTED_OK_VOLUMES.some((t) => v[t] !== undefined));
      if (bad.length === 0) return undefined;
      const types = sortedUnique(bad.map((v) => Object.keys(v).find((k) => k !== 'name') ?? 'unknown'));
      return {
        reason: 'restricted volume types',
        detail: `${plural('volume', 'volumes', bad.length)} ${joinQuote(bad.map((v) => v.name))} ${plural('uses', 'use', bad.length)} ${plural('restricted volume type', 'restricted volume types', types.length)} ${joinQuote(types)}`,
      };
    },
  },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    run(p) {
      const bad = containersOf(p).filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map((c) => c.name);
      return bad.length > 0 ? { reason: 'allowPrivilegeEscalation != false', detail: `${named(bad)} must set securityContext.allowPrivilegeEscalation=false` } : undefined;
    },
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    run(p) {
      const podValue = p.spec?.securityContext?.runAsNonRoot;
      const explicit = containersOf(p).filter((c) => c.securityContext?.runAsNonRoot === false).map((c) => c.name);
      const who = setters(podValue === false, explicit);
      if (who.length > 0) return { reason: 'runAsNonRoot != true', detail: `${who.join(' and ')} must not set securityContext.runAsNonRoot=false` };
      const implicit = podValue === true ? [] : containersOf(p).filter((c) => c.securityContext?.runAsNonRoot === undefined).map((c) => c.name);
      return implicit.length > 0 ? { reason: 'runAsNonRoot != true', detail: `pod or ${named(implicit)} must set securityContext.runAsNonRoot=true` } : undefined;
    },
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    run(p) {
      const who = setters(p.spec?.securityContext?.runAsUser === 0, containersOf(p).filter((c) => c.securityContext?.runAsUser === 0).map((c) => c.name));
      return who.length > 0 ? { reason: 'runAsUser=0', detail: `${who.join(' and ')} must not set runAsUser=0` } : undefined;
    },
  },
  { id: 'seccompProfile_restricted', level: 'restricted', run: (p) => badSeccomp(p, true) },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    run(p) {
      const missingDrop: string[] = [];
      const adding: string[] = [];
      const caps: string[] = [];
      for (const c of containersOf(p)) {
        const cap = c.securityContext?.capabilities;
        if (!cap?.drop?.includes('ALL')) missingDrop.push(c.name);
        const extra = (cap?.add ?? []).filter((a) => a !== 'NET_BIND_SERVICE');
        if (extra.length > 0) adding.push(c.name);
        caps.push(...extra);
      }
      const details: string[] = [];
      if (missingDrop.length > 0) details.push(`${named(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
      if (adding.length > 0) details.push(`${named(adding)} must not include ${joinQuote(sortedUnique(caps))} in securityContext.capabilities.add`);
      return details.length > 0 ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
    },
  },
];

/** Seccomp: baseline forbids Unconfined where set; restricted also requires it set (pod or every container). */
function badSeccomp(p: PodTemplate, required: boolean): Omit<Violation, 'id'> | undefined {
  const podType = p.spec?.securityContext?.seccompProfile?.type;
  const podBad = podType !== undefined && !validSeccomp(podType);
  const values: string[] = podBad ? [podType] : [];
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of containersOf(p)) {
    const t = c.securityContext?.seccompProfile?.type;
    if (c.securityContext?.seccompProfile) {
      if (!validSeccomp(t)) {
        explicit.push(c.name);
        values.push(t ?? '');
      }
    } else if (!(podType !== undefined && validSeccomp(podType))) {
      implicit.push(c.name);
    }
  }
  const who = setters(podBad, explicit);
  if (who.length > 0) return { reason: 'seccompProfile', detail: `${who.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedUnique(values))}` };
  if (required && implicit.length > 0) return { reason: 'seccompProfile', detail: `pod or ${named(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` };
  return undefined;
}

/** Restricted checks that replace a baseline one at the restricted level. */
const OVERRIDES: Record<string, string> = { capabilities_restricted: 'capabilities_baseline', restrictedVolumes: 'hostPathVolumes', seccompProfile_restricted: 'seccompProfile_baseline' };

/** The violations of `level` by the pod (template), ordered by check id as Kubernetes lists them. */
export function evaluate(level: Level, p: PodTemplate): Violation[] {
  if (level === 'privileged') return [];
  const active = CHECKS.filter((c) => c.level === 'baseline' || level === 'restricted');
  const replaced = new Set(level === 'restricted' ? Object.values(OVERRIDES) : []);
  const out: Violation[] = [];
  for (const c of active) {
    if (replaced.has(c.id)) continue;
    const v = c.run(p);
    if (v) out.push({ id: c.id, ...v });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** `allowPrivilegeEscalation != false (container "x" must set ...), host namespaces (hostNetwork=true)` */
export function describeViolations(vs: Violation[]): string {
  return vs.map((v) => (v.detail ? `${v.reason} (${v.detail})` : v.reason)).join(', ');
}
