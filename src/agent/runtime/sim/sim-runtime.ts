/**
 * The `sim` runtime: pods move through their phases by stage documents (stages.ts) without any
 * process, like kwok, so one agent process can host thousands of nodes and their pods. Per pod it
 * keeps only a phase, two times and a timer.
 */
import type { Duplex } from 'node:stream';
import type { ContainerStatus, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { RemoteCommandSession } from '../../../controlplane/api/streaming/session.js';
import { timestamp } from '../../../controlplane/api/metadata.js';
import { computePodStatus } from '../../pods/pod-status.js';
import type { LogOptions, LogStream, NodeContext, PodRuntime, RuntimeHost } from '../runtime.js';
import { RuntimeError } from '../runtime.js';
import { defaultStages, matchStage, stageOutcome, type SimPhase, type Stage } from './stages.js';

export interface SimRuntimeOptions {
  /** default: defaultStages() */
  stages?: Stage[];
}

interface SimPod {
  pod: Pod;
  phase: SimPhase;
  ready: boolean;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  timer?: NodeJS.Timeout;
}

function noProcesses(pod: Pod, what: string): RuntimeError {
  return new RuntimeError('BadRequest', `pod ${pod.metadata?.name} runs on the sim runtime of node ${pod.spec?.nodeName}: it has no processes to ${what}; run it on a node with the process runtime`);
}

export class SimRuntime implements PodRuntime {
  readonly kind = 'sim';
  private readonly pods = new Map<string, SimPod>();
  private readonly stages: Stage[];

  constructor(
    private readonly node: NodeContext,
    private readonly host: RuntimeHost,
    opts: SimRuntimeOptions = {},
  ) {
    this.stages = opts.stages ?? defaultStages();
  }

  sync(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const cur = this.pods.get(uid);
    if (cur) {
      cur.pod = pod;
      return;
    }
    const p: SimPod = { pod, phase: 'Pending', ready: false, createdAt: timestamp() };
    this.pods.set(uid, p);
    this.host.statusChanged(uid);
    this.schedule(uid, p);
  }

  private schedule(uid: string, p: SimPod): void {
    const stage = matchStage(this.stages, p.pod, p.phase);
    if (!stage) return;
    const out = stageOutcome(stage, p.pod);
    p.timer = setTimeout(() => {
      p.timer = undefined;
      if (this.pods.get(uid) !== p) return;
      p.phase = out.phase;
      p.ready = out.phase === 'Running' && out.ready;
      if (out.phase === 'Running') p.startedAt ??= timestamp();
      else if (out.phase !== 'Pending') p.finishedAt = timestamp();
      this.host.statusChanged(uid);
      this.schedule(uid, p);
    }, out.delayMs);
  }

  async terminate(pod: Pod): Promise<void> {
    const p = this.pods.get(pod.metadata?.uid ?? '');
    if (p) clearTimeout(p.timer);
  }

  async forget(uid: string): Promise<void> {
    clearTimeout(this.pods.get(uid)?.timer);
    this.pods.delete(uid);
  }

  status(uid: string): PodStatus | undefined {
    const p = this.pods.get(uid);
    if (!p) return undefined;
    const started = p.startedAt ?? p.createdAt;
    const cs = (name: string, image: string | undefined, init: boolean): ContainerStatus => {
      const base = { name, image: image ?? '', imageID: '', restartCount: 0, containerID: `sim://${uid}/${name}` };
      if (p.phase === 'Pending') return { ...base, ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } } };
      if (p.phase === 'Running' && !init) return { ...base, ready: p.ready, started: true, state: { running: { startedAt: started } } };
      const ok = init || p.phase !== 'Failed';
      const finishedAt = init ? started : (p.finishedAt ?? started);
      return { ...base, ready: false, started: false, state: { terminated: { exitCode: ok ? 0 : 1, reason: ok ? 'Completed' : 'Error', startedAt: started, finishedAt } } };
    };
    return computePodStatus({
      pod: p.pod,
      init: (p.pod.spec?.initContainers ?? []).map((c) => cs(c.name, c.image, true)),
      containers: (p.pod.spec?.containers ?? []).map((c) => cs(c.name, c.image, false)),
      hostIP: this.node.address,
      podIP: this.node.address,
      startTime: p.createdAt,
      now: timestamp(),
    });
  }

  async logs(pod: Pod, opts: LogOptions): Promise<LogStream> {
    const names = (pod.spec?.containers ?? []).map((c) => c.name);
    const container = opts.container ?? (names.length === 1 ? names[0] : undefined);
    if (!container || !names.includes(container)) throw new RuntimeError('BadRequest', `a container name must be specified for pod ${pod.metadata?.name}, choose one of: [${names.join(' ')}]`);
    // Simulated containers print nothing.
    return { start: (_write, end) => (end(), () => {}) };
  }

  exec(pod: Pod): Promise<RemoteCommandSession> {
    return Promise.reject(noProcesses(pod, 'exec into'));
  }

  attach(pod: Pod): Promise<RemoteCommandSession> {
    return Promise.reject(noProcesses(pod, 'attach to'));
  }

  portForward(pod: Pod): Promise<Duplex> {
    return Promise.reject(noProcesses(pod, 'forward ports to'));
  }

  async close(): Promise<void> {
    for (const p of this.pods.values()) clearTimeout(p.timer);
    this.pods.clear();
  }
}
