/**
 * The Node an agent registers: capacity and allocatable from the machine (or flags), the
 * well-known labels, addresses, nodeInfo, and the kubelet's conditions. Pure apart from reading
 * the machine's facts, so registration and heartbeats build the same object.
 */
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import type { Node, NodeCondition, NodeStatus, Taint } from 'kubernetes-types/core/v1.js';
import { LOCAL_VOLUME_ROOT_ANNOTATION } from '../controlplane/controllers/persistentvolume.js';
import { labelKeyError, labelValueError } from '../controlplane/store/selectors.js';

export interface NodeCapacity {
  cpu: string;
  memory: string;
  pods: string;
  'ephemeral-storage'?: string;
}

export interface NodeSpecOptions {
  name: string;
  address: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  capacity: NodeCapacity;
  runtime: string;
  /** the port of the agent's own server (pods/log for remote agents); 0 when served in-process */
  agentPort?: number;
  /** where this node keeps local PersistentVolumes (published for the local provisioner) */
  localVolumeRoot?: string;
}

const KUBELET_VERSION = 'v1.32.0-berth';

function readFirst(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function osImage(): string {
  const rel = readFirst('/etc/os-release');
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(rel);
  return m ? m[1] : `${os.type()} ${os.release()}`;
}

/** Kubernetes' GOARCH names. */
export function goArch(arch = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch;
}

/** Capacity of this machine: cores, memory in Ki, 110 pods, disk of `dataDir`. */
export function machineCapacity(dataDir?: string): NodeCapacity {
  const cap: NodeCapacity = { cpu: String(os.availableParallelism()), memory: `${Math.floor(os.totalmem() / 1024)}Ki`, pods: '110' };
  if (dataDir && existsSync(dataDir)) {
    const s = statfsSync(dataDir);
    cap['ephemeral-storage'] = `${Math.floor((s.blocks * s.bsize) / 1024)}Ki`;
  }
  return cap;
}

/** The first non-internal IPv4 address of the machine, else loopback. */
export function machineAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** The Node object to create (spec, labels, taints; status is written through status). */
export function nodeObject(o: NodeSpecOptions): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: o.name,
      labels: {
        'kubernetes.io/hostname': o.name,
        'kubernetes.io/os': process.platform === 'win32' ? 'windows' : process.platform,
        'kubernetes.io/arch': goArch(),
        'beta.kubernetes.io/os': process.platform,
        'beta.kubernetes.io/arch': goArch(),
        'node.berth.dev/runtime': o.runtime,
        ...o.labels,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', ...(o.localVolumeRoot ? { [LOCAL_VOLUME_ROOT_ANNOTATION]: o.localVolumeRoot } : {}) },
    },
    spec: o.taints?.length ? { taints: o.taints } : {},
  };
}

export function readyConditions(now: string, prev: NodeCondition[] | undefined): NodeCondition[] {
  const mk = (type: string, status: string, reason: string, message: string): NodeCondition => {
    const old = prev?.find((c) => c.type === type);
    return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: old?.status === status ? old.lastTransitionTime : now };
  };
  return [
    mk('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    mk('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    mk('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    mk('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

/** The node status the agent writes: ready conditions, capacity, addresses, nodeInfo. */
export function nodeStatus(o: NodeSpecOptions, now: string, prev: NodeCondition[] | undefined): NodeStatus {
  const cap = { ...o.capacity } as Record<string, string>;
  return {
    capacity: cap,
    allocatable: { ...cap },
    conditions: readyConditions(now, prev),
    addresses: [
      { type: 'InternalIP', address: o.address },
      { type: 'Hostname', address: o.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: o.agentPort ?? 0 } },
    nodeInfo: {
      machineID: readFirst('/etc/machine-id'),
      systemUUID: readFirst('/sys/class/dmi/id/product_uuid'),
      bootID: readFirst('/proc/sys/kernel/random/boot_id'),
      kernelVersion: os.release(),
      osImage: osImage(),
      containerRuntimeVersion: `berth-${o.runtime}://0.1.0`,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: process.platform === 'win32' ? 'windows' : process.platform,
      architecture: goArch(),
    },
  };
}

/** `k=v:Effect` (or `k:Effect`) as a Taint; throws on a malformed one, naming what is wrong. */
export function parseTaint(s: string): Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(s.trim());
  if (!m) throw new Error(`invalid taint "${s}": want key=value:Effect with Effect NoSchedule, PreferNoSchedule or NoExecute`);
  // taint keys and values follow the label rules (kubectl taint and the API server check the same)
  const bad = labelKeyError(m[1]) ?? (m[2] === undefined ? undefined : labelValueError(m[2]));
  if (bad) throw new Error(bad.replace(/^invalid label/, 'invalid taint'));
  return m[2] === undefined ? { key: m[1], effect: m[3] } : { key: m[1], value: m[2], effect: m[3] };
}

/** `k=v,k2=v2` as labels; throws on a malformed pair or an invalid key or value. */
export function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',').filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0) throw new Error(`invalid label "${part}": want key=value`);
    const key = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    const bad = labelKeyError(key) ?? labelValueError(value);
    if (bad) throw new Error(bad);
    out[key] = value;
  }
  return out;
}
