/**
 * A node's usage summary for the Metrics API (what the kubelet's resource metrics endpoint gives
 * metrics-server): the node's CPU and memory and each pod's containers', as rates over the window
 * since the previous summary (usage-rates.ts). A summary is kept for `resolutionMs`, so requests in
 * quick succession get the same figures over a meaningful window rather than over a few
 * milliseconds.
 */
import os from 'node:os';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { NodeUsageSummary, PodUsage, Usage } from '../../controlplane/api/metrics/metrics-objects.js';
import type { PodRuntime } from '../runtime/runtime.js';
import { UsageRates, type UsageSample } from './usage-rates.js';

/** How long a summary is served before the next one is measured (metrics-server's default resolution). */
export const METRICS_RESOLUTION_MS = 15_000;

const BOOT_MS = Math.round(Date.now() - os.uptime() * 1000);

/** The machine's CPU time (all cores, busy: user, nice, system, irq) since boot, and memory in use (total − available). */
export function machineSample(): UsageSample {
  let busyMs = 0;
  for (const c of os.cpus()) busyMs += c.times.user + c.times.nice + c.times.sys + c.times.irq;
  return { cpuSeconds: busyMs / 1000, memoryBytes: os.totalmem() - os.freemem(), startedAtMs: BOOT_MS };
}

/** Sums pods' usages, for a node whose usage is that of its pods (the sim runtime's). */
export function sumOfPods(pods: PodUsage[], nowMs: number, windowMs: number): Usage {
  let cpuNanoCores = 0;
  let memoryBytes = 0;
  for (const p of pods) for (const c of p.containers) {
    cpuNanoCores += c.cpuNanoCores;
    memoryBytes += c.memoryBytes;
  }
  return { cpuNanoCores, memoryBytes, timestampMs: nowMs, windowMs };
}

export interface NodeUsageOptions {
  node: string;
  runtime: Pick<PodRuntime, 'kind' | 'usage'>;
  /** the pods bound to the node (from the agent's cache), for their names */
  pods: () => Pod[];
  resolutionMs?: number;
  now?: () => number;
  /** the machine's counters (default: machineSample); the sim runtime's nodes report their pods' sum instead */
  machine?: () => UsageSample;
}

/** Measures one node's summary, at most once per resolution. */
export class NodeUsage {
  private readonly containers = new UsageRates();
  private readonly machine = new UsageRates();
  private last?: { atMs: number; summary: NodeUsageSummary };

  constructor(private readonly opts: NodeUsageOptions) {
    // the machine's first window starts now, not at boot: its average since boot says little
    if (this.measuresMachine()) this.machine.measure(new Map([['node', this.machineSample()]]), (opts.now ?? Date.now)());
  }

  private measuresMachine(): boolean {
    return this.opts.runtime.kind !== 'sim' || this.opts.machine !== undefined;
  }

  private machineSample(): UsageSample {
    return (this.opts.machine ?? machineSample)();
  }

  summary(): NodeUsageSummary {
    const now = (this.opts.now ?? Date.now)();
    const resolution = this.opts.resolutionMs ?? METRICS_RESOLUTION_MS;
    if (this.last && now - this.last.atMs < resolution) return this.last.summary;
    const byUid = new Map(this.opts.pods().map((p) => [p.metadata?.uid ?? '', p]));
    const samples = new Map<string, UsageSample>();
    for (const [uid, containers] of this.opts.runtime.usage(now)) {
      if (!byUid.has(uid)) continue;
      for (const [name, s] of containers) samples.set(`${uid}/${name}`, s);
    }
    const rates = this.containers.measure(samples, now);
    const pods = new Map<string, PodUsage>();
    for (const [key, u] of rates) {
      const slash = key.indexOf('/');
      const uid = key.slice(0, slash);
      const pod = byUid.get(uid)!;
      let p = pods.get(uid);
      if (!p) pods.set(uid, (p = { namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid, timestampMs: u.timestampMs, windowMs: u.windowMs, containers: [] }));
      // a pod's window is its shortest container's: the one that (re)started last
      p.windowMs = Math.min(p.windowMs, u.windowMs);
      p.containers.push({ name: key.slice(slash + 1), cpuNanoCores: u.cpuNanoCores, memoryBytes: u.memoryBytes });
    }
    const podList = [...pods.values()];
    const usage = this.measuresMachine() ? this.machine.measure(new Map([['node', this.machineSample()]]), now).get('node')! : sumOfPods(podList, now, resolution);
    const summary = { node: this.opts.node, usage, pods: podList };
    this.last = { atMs: now, summary };
    return summary;
  }
}
