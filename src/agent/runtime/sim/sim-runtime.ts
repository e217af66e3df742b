/**
 * The `sim` runtime: pods move through their phases by stage documents (stages.ts) without any
 * process, like kwok, so one agent process can host thousands of nodes and their pods. Per pod it
 * keeps only a phase, a few times, a restart count and a timer. A stage that ends the containers
 * of a pod whose restartPolicy restarts them (Always; OnFailure after a failure) restarts them as
 * the process runtime does: restartCount grows and CrashLoopBackOff holds each restart back.
 */
import type { Duplex } from 'node:stream';
import type { ContainerState, ContainerStatus, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { RemoteCommandSession } from '../../../controlplane/api/streaming/session.js';
import { timestamp } from '../../../controlplane/api/metadata.js';
import { computePodStatus } from '../../pods/pod-status.js';
import type { LogOptions, LogStream, NodeContext, PodRuntime, RuntimeHost } from '../runtime.js';
import { RuntimeError } from '../runtime.js';
import { backoffEventMessage, backoffMessage, KUBELET_BACKOFF, nextRestartDelay, restartsAfter } from '../restart-backoff.js';
import { defaultStages, matchStage, stageOutcome, type SimPhase, type Stage } from './stages.js';

export interface SimRuntimeOptions {
  /** default: defaultStages() */
  stages?: Stage[];
  /** restart back-off base (default 10 s, the kubelet's) and cap (default 5 min), as the process runtime's */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

type Terminated = NonNullable<ContainerState['terminated']>;

interface SimPod {
  pod: Pod;
  phase: SimPhase;
  ready: boolean;
  /** what the Running stage said about readiness, restored when restarted containers run again */
  readyWhenRunning: boolean;
  createdAt: string;
  startedAt?: string;
  startedAtMs: number;
  finishedAt?: string;
  timer?: NodeJS.Timeout;
  restartCount: number;
  /** the run before the current one (set once the containers restarted) */
  lastTerminated?: Terminated;
  backoffMs: number;
  /** the delay of the restart being held back (CrashLoopBackOff) */
  backoffDelayMs?: number;
}

function exitCode(phase: 'Succeeded' | 'Failed'): number {
  return phase === 'Failed' ? 1 : 0;
}

function noProcesses(pod: Pod, what: string): RuntimeError {
  return new RuntimeError('BadRequest', `pod ${pod.metadata?.name} runs on the sim runtime of node ${pod.spec?.nodeName}: it has no processes to ${what}; run it on a node with the process runtime`);
}

export class SimRuntime implements PodRuntime {
  readonly kind = 'sim';
  private readonly pods = new Map<string, SimPod>();
  private readonly stages: Stage[];
  private readonly backoff: { baseMs: number; maxMs: number };

  constructor(
    private readonly node: NodeContext,
    private readonly host: RuntimeHost,
    opts: SimRuntimeOptions = {},
  ) {
    this.stages = opts.stages ?? defaultStages();
    this.backoff = { baseMs: opts.backoffBaseMs ?? KUBELET_BACKOFF.baseMs, maxMs: opts.backoffMaxMs ?? KUBELET_BACKOFF.maxMs };
  }

  sync(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const cur = this.pods.get(uid);
    if (cur) {
      cur.pod = pod;
      return;
    }
    const p: SimPod = { pod, phase: 'Pending', ready: false, readyWhenRunning: false, createdAt: timestamp(), startedAtMs: 0, restartCount: 0, backoffMs: 0 };
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
      if (out.phase === 'Running') {
        p.readyWhenRunning = out.ready;
        if (p.phase !== 'Running') this.run(p);
        else p.ready = out.ready;
      } else if (out.phase === 'Pending') {
        p.phase = 'Pending';
        p.ready = false;
      } else if (p.phase === 'Running' && restartsAfter(p.pod.spec?.restartPolicy, exitCode(out.phase))) {
        return this.restart(uid, p, out.phase);
      } else {
        p.phase = out.phase;
        p.ready = false;
        p.finishedAt = timestamp();
      }
      this.host.statusChanged(uid);
      this.schedule(uid, p);
    }, out.delayMs);
  }

  /** The containers (re)start: Running, with the readiness the Running stage gave. */
  private run(p: SimPod): void {
    p.phase = 'Running';
    p.ready = p.readyWhenRunning;
    p.startedAt = timestamp();
    p.startedAtMs = Date.now();
  }

  /** The containers ended (`how`) and the restartPolicy restarts them: at once, or after a back-off. */
  private restart(uid: string, p: SimPod, how: 'Succeeded' | 'Failed'): void {
    const code = exitCode(how);
    p.lastTerminated = { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt: p.startedAt ?? p.createdAt, finishedAt: timestamp() };
    p.restartCount++;
    p.ready = false;
    const { delayMs, backoffMs } = nextRestartDelay(p.backoffMs, Date.now() - p.startedAtMs, this.backoff);
    p.backoffMs = backoffMs;
    const again = () => {
      p.backoffDelayMs = undefined;
      this.run(p);
      this.host.statusChanged(uid);
      this.schedule(uid, p);
    };
    if (delayMs === 0) return again();
    p.backoffDelayMs = delayMs;
    this.host.statusChanged(uid);
    for (const c of p.pod.spec?.containers ?? []) this.host.event(p.pod, 'Warning', 'BackOff', backoffEventMessage(c.name, p.pod));
    p.timer = setTimeout(() => {
      p.timer = undefined;
      if (this.pods.get(uid) === p) again();
    }, delayMs);
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
      const base: ContainerStatus = { name, image: image ?? '', imageID: '', ready: false, restartCount: init ? 0 : p.restartCount, containerID: `sim://${uid}/${name}` };
      if (!init && p.lastTerminated) base.lastState = { terminated: { ...p.lastTerminated, containerID: base.containerID } };
      if (p.phase === 'Pending') return { ...base, started: false, state: { waiting: { reason: 'ContainerCreating' } } };
      if (p.backoffDelayMs !== undefined && !init) return { ...base, started: false, state: { waiting: { reason: 'CrashLoopBackOff', message: backoffMessage(p.backoffDelayMs, name, p.pod) } } };
      if (p.phase === 'Running' && !init) return { ...base, ready: p.ready, started: true, state: { running: { startedAt: started } } };
      const ok = init || p.phase !== 'Failed';
      const finishedAt = init ? p.createdAt : (p.finishedAt ?? started);
      return { ...base, started: false, state: { terminated: { exitCode: ok ? 0 : 1, reason: ok ? 'Completed' : 'Error', startedAt: init ? p.createdAt : started, finishedAt } } };
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
