/**
 * The node-health flags, with Kubernetes' names and meanings: the node lifecycle controller's and
 * podgc's (`berth up`, `berth controller-manager`, as kube-controller-manager's) and the
 * DefaultTolerationSeconds admission's (`berth up`, `berth apiserver`, as kube-apiserver's).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ControllerSettings } from '../controlplane/controllers/index.js';
import type { DefaultTolerations } from '../policy/admission/builtin.js';
import { intArg } from './main.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a Go duration as Kubernetes flags take it: `50s`, `500ms`, `1m30s`. */
export function parseDuration(flag: string, v: string): number {
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== v) throw new InvalidArgumentError(`${flag} must be a duration like 50s, 500ms or 1m30s (got "${v}")`);
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNITS[p[2]], 0);
}

const duration = (flag: string) => (v: string) => {
  const ms = parseDuration(flag, v);
  if (ms <= 0) throw new InvalidArgumentError(`${flag} must be longer than 0 (got "${v}")`);
  return ms;
};

export interface ControllerFlags {
  /** ms */
  nodeMonitorGracePeriod: number;
  /** ms */
  nodeMonitorPeriod: number;
  /** ms */
  podGcQuarantine: number;
}

export function addControllerFlags(cmd: Command): Command {
  const flag = (name: string, description: string, ms: number, shown: string) => new Option(`${name} <duration>`, description).argParser(duration(name)).default(ms, shown);
  return cmd
    .addOption(flag('--node-monitor-grace-period', 'a Node whose Lease is older than this becomes Ready=Unknown, its pods not ready, and it is tainted unreachable', 50_000, '50s'))
    .addOption(flag('--node-monitor-period', 'how often the node lifecycle controller checks Nodes', 5000, '5s'))
    .addOption(flag('--pod-gc-quarantine', "how long a pod's Node must be gone before podgc deletes the pod (Kubernetes: a fixed 40s)", 40_000, '40s'));
}

export function controllerSettings(f: ControllerFlags): ControllerSettings {
  return { podGCQuarantineMs: f.podGcQuarantine, nodeLifecycle: { gracePeriodMs: f.nodeMonitorGracePeriod, checkIntervalMs: f.nodeMonitorPeriod } };
}

export interface TolerationFlags {
  defaultNotReadyTolerationSeconds: number;
  defaultUnreachableTolerationSeconds: number;
}

export function addTolerationFlags(cmd: Command): Command {
  return cmd
    .option('--default-not-ready-toleration-seconds <s>', 'tolerationSeconds of the node.kubernetes.io/not-ready:NoExecute toleration added to pods without one', intArg('--default-not-ready-toleration-seconds', 0), 300)
    .option('--default-unreachable-toleration-seconds <s>', 'tolerationSeconds of the node.kubernetes.io/unreachable:NoExecute toleration added to pods without one', intArg('--default-unreachable-toleration-seconds', 0), 300);
}

export function defaultTolerations(f: TolerationFlags): DefaultTolerations {
  return { notReadySeconds: f.defaultNotReadyTolerationSeconds, unreachableSeconds: f.defaultUnreachableTolerationSeconds };
}
