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
import type { UsageSample } from '../../metrics/usage-rates.js';
import { parseQuantity } from '../../quantity.js';
import { backoffEventMessage, backoffMessage, KUBELET_BACKOFF, nextRestartDelay, restartsAfter } from '../restart-backoff.js';
import { ANNOTATIONS, defaultStages, failureExitCode, matchStage, parseDuration, stageOutcome, type SimPhase, type Stage } from './stages.js';

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
  /** the readiness the containers started with (the stage that made them Running), again after a restart */
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
  /** set once the pod is being deleted: when its containers end, and who waits for it */
  stopping?: { atMs: number; killed: boolean; timer?: NodeJS.Timeout; done: Promise<void>; finish: () => void };
}

function exitCode(phase: 'Succeeded' | 'Failed', pod: Pod): number {
  return phase === 'Failed' ? failureExitCode(pod) : 0;
}

/** setTimeout's longest delay; a longer one would fire at once */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The exit code of a container killed at the end of its grace period (SIGKILL), as a runtime reports it. */
const KILLED = 137;

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
    const stage = matchStage(this.stages, p.pod, p.phase, p.ready);
    if (!stage) return;
    const out = stageOutcome(stage, p.pod);
    p.timer = setTimeout(() => {
      p.timer = undefined;
      if (this.pods.get(uid) !== p) return;
      if (out.phase === 'Running') {
        if (p.phase !== 'Running') {
          p.readyWhenRunning = out.ready;
          this.run(p);
        } else p.ready = out.ready;
      } else if (out.phase === 'Pending') {
        p.phase = 'Pending';
        p.ready = false;
      } else if (p.phase === 'Running' && restartsAfter(p.pod.spec?.restartPolicy, exitCode(out.phase, p.pod))) {
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

  /**
   * No process runs, so a Running pod's containers use what they request: CPU spent at the
   * requested rate since they started, memory as requested (zero without requests).
   */
  usage(nowMs: number): Map<string, Map<string, UsageSample>> {
    const out = new Map<string, Map<string, UsageSample>>();
    for (const [uid, p] of this.pods) {
      if (p.phase !== 'Running') continue;
      const containers = new Map<string, UsageSample>();
      for (const c of p.pod.spec?.containers ?? []) {
        const req = (name: 'cpu' | 'memory') => {
          const q = c.resources?.requests?.[name];
          return q === undefined ? 0 : parseQuantity(String(q));
        };
        containers.set(c.name, { cpuSeconds: (req('cpu') * Math.max(0, nowMs - p.startedAtMs)) / 1000, memoryBytes: req('memory'), startedAtMs: p.startedAtMs });
      }
      out.set(uid, containers);
    }
    return out;
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
    const code = exitCode(how, p.pod);
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

  /**
   * Running containers stop after the stop-after annotation's delay (at once without it), as a
   * process that handles SIGTERM; one that takes longer than `gracePeriodSeconds` is killed then
   * (exit code 137). A later call with a shorter grace period brings the end forward.
   */
  async terminate(pod: Pod, gracePeriodSeconds: number): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const p = this.pods.get(uid);
    if (!p) return;
    p.pod = pod;
    clearTimeout(p.timer);
    p.timer = undefined;
    const killAtMs = Date.now() + Math.max(0, gracePeriodSeconds) * 1000;
    if (!p.stopping) {
      if (p.phase !== 'Running' || p.backoffDelayMs !== undefined) return;
      const stopAfter = parseDuration(pod.metadata?.annotations?.[ANNOTATIONS.stopAfter] ?? '') ?? 0;
      let finish = () => {};
      const done = new Promise<void>((r) => (finish = r));
      p.stopping = { atMs: Date.now() + stopAfter, killed: false, done, finish };
      p.ready = false;
      this.host.statusChanged(uid);
    }
    const s = p.stopping;
    if (p.phase !== 'Running') return s.done;
    if (killAtMs < s.atMs) {
      s.atMs = killAtMs;
      s.killed = true;
    }
    clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      if (this.pods.get(uid) !== p) return;
      p.phase = s.killed ? 'Failed' : 'Succeeded';
      p.finishedAt = timestamp();
      this.host.statusChanged(uid);
      s.finish();
    }, Math.min(MAX_TIMER_MS, Math.max(0, s.atMs - Date.now())));
    return s.done;
  }

  async forget(uid: string): Promise<void> {
    const p = this.pods.get(uid);
    this.pods.delete(uid);
    if (p) this.drop(p);
  }

  /** Stops the pod's timers and lets whoever waits for its termination go on. */
  private drop(p: SimPod): void {
    clearTimeout(p.timer);
    clearTimeout(p.stopping?.timer);
    p.stopping?.finish();
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
      const code = init || p.phase !== 'Failed' ? 0 : p.stopping?.killed ? KILLED : failureExitCode(p.pod);
      const finishedAt = init ? p.createdAt : (p.finishedAt ?? started);
      return { ...base, started: false, state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt: init ? p.createdAt : started, finishedAt } } };
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

  /** Simulated containers print nothing: a run's log is empty; errors are the process runtime's. */
  async logs(pod: Pod, opts: LogOptions): Promise<LogStream> {
    const name = pod.metadata?.name;
    const p = this.pods.get(pod.metadata?.uid ?? '');
    if (!p) throw new RuntimeError('NotFound', `pod "${name}" is not running on this node (yet)`);
    const containers = pod.spec?.containers ?? [];
    const names = [...(pod.spec?.initContainers ?? []), ...containers].map((c) => c.name);
    const container = opts.container ?? (names.length === 1 ? names[0] : undefined);
    if (!container) throw new RuntimeError('BadRequest', `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    if (!names.includes(container)) throw new RuntimeError('BadRequest', `container ${container} is not valid for pod ${name}`);
    const init = !containers.some((c) => c.name === container);
    if (opts.previous && (init || p.restartCount === 0)) throw new RuntimeError('BadRequest', `previous terminated container "${container}" in pod "${name}" not found`);
    if (!opts.previous && !init && p.phase === 'Pending') throw new RuntimeError('BadRequest', `container "${container}" in pod "${name}" is waiting to start`);
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
    for (const p of this.pods.values()) this.drop(p);
    this.pods.clear();
  }
}
