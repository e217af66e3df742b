/**
 * One pod of the process runtime, as the kubelet's pod worker runs it: prepare (host ports,
 * volumes), init containers one at a time, then the app containers, each supervised — probes,
 * postStart, exits recorded in containerStatuses, restarts per restartPolicy with exponential
 * back-off (CrashLoopBackOff) — and graceful termination (preStop, SIGTERM, SIGKILL after the grace
 * period) of whole process groups.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { timestamp } from '../../../controlplane/api/metadata.js';
import { computePodStatus } from '../../pods/pod-status.js';
import { parseQuantity } from '../../quantity.js';
import { containerLimits } from './resource-limits.js';
import { serviceEnv } from './service-env.js';
import { enterPidNamespace, executableExists, inNewPidNamespace, onPath, pidNamespaceReady, SharedPidNamespace, type PidNamespaceTools } from './pid-namespace.js';
import type { CommandOutput, RemoteCommandOptions, RemoteCommandSession } from '../../../controlplane/api/streaming/session.js';
import { RuntimeError, type NodeContext, type RuntimeHost } from '../runtime.js';
import { backoffEventMessage, backoffMessage, nextRestartDelay, restartsAfter } from '../restart-backoff.js';
import { attachSession, execArgv, startExec, type ExecTracker } from './container-streams.js';
import { terminalResizer } from './pty-size.js';
import { commandLine, ConfigError, containerEnv } from './container-env.js';
import { pruneRunLogs, RunLog, type LogLimits } from './container-log.js';
import { runHandler, type Handler, type HandlerContext } from './handlers.js';
import { killGroup, reapGroup, removePidFile, signalGroupExcept, writePidFile } from './process-group.js';
import { Prober, type ProbeKind } from './prober.js';
import { containerMounts, prepareVolumes, rewritePath, volumeEnv, type Mount } from './volumes.js';
import { parseGitImage, type GitImages } from './git-image.js';

export interface WorkerOptions {
  /** first restart delay after the immediate one (kubelet: 10 s) */
  backoffBaseMs: number;
  /** back-off cap (kubelet: 5 min) */
  backoffMaxMs: number;
  logLimits: LogLimits;
  /** environment every container starts from (PATH, HOME) */
  baseEnv: Record<string, string>;
  /** checks out `git.berth.local/NAME@REV` images */
  images: GitImages;
  /** where this node's Service proxy answers, for the Service environment variables (service-env.ts) */
  serviceHost: string;
  /** when set, each container run gets a PID namespace of its own (pid-namespace.ts) */
  pidNamespaces?: PidNamespaceTools;
}

interface Run {
  proc: ChildProcess;
  pid: number;
  startedAt: string;
  exited: Promise<{ code: number; startError?: string }>;
  probers: Prober[];
  ctx: HandlerContext;
  stopping: boolean;
  killAt: number;
  killTimer?: NodeJS.Timeout;
  readinessOk: boolean;
  postStartDone: boolean;
  /** attached clients (pods/attach) receiving the output */
  outputs: Set<CommandOutput>;
  /** process groups of exec sessions, killed when the run ends */
  execs: ExecTracker;
}

interface Slot {
  spec: Container;
  init: boolean;
  status: ContainerStatus;
  run?: Run;
  /** run number → its log (run number = restartCount when it started): the current run and the previous */
  logs: Map<number, RunLog>;
  backoffMs: number;
  lastStartMs: number;
  ports: { byName: Map<string, number>; byNumber: Map<number, number>; first?: number };
  /** called when the container started (after its startup probe): sidecars gate the next init container */
  onStarted?: () => void;
  /** the checkout of a Git image, the container's default working directory */
  imageDir?: string;
  /** ran under an earlier agent (status read back from the API): its next run is a restart */
  ranBefore: boolean;
  /** an init container that completed under an earlier agent: not run again */
  completed: boolean;
}

/**
 * A container's status as an earlier agent left it in the pod (this agent restarted): the restart
 * count carries on, and a container that was running then was stopped with the agent, which
 * Kubernetes shows as lastState terminated, reason Unknown, exit code 255 (as after a node reboot).
 */
export function carriedStatus(prev: ContainerStatus | undefined, fresh: ContainerStatus, now: string): { status: ContainerStatus; ranBefore: boolean; completed: boolean } {
  if (!prev) return { status: fresh, ranBefore: false, completed: false };
  const ranBefore = !!(prev.state?.running || prev.state?.terminated || prev.lastState?.terminated || (prev.restartCount ?? 0) > 0);
  const status: ContainerStatus = { ...fresh, restartCount: prev.restartCount ?? 0 };
  if (prev.state?.running) {
    status.lastState = { terminated: { exitCode: 255, reason: 'Unknown', message: 'the node agent restarted', startedAt: prev.state.running.startedAt, finishedAt: now, containerID: prev.containerID } };
  } else if (prev.state?.terminated) status.lastState = { terminated: prev.state.terminated };
  else if (prev.lastState?.terminated) status.lastState = prev.lastState;
  const completed = prev.state?.terminated?.exitCode === 0;
  if (completed) {
    status.state = prev.state;
    status.lastState = prev.lastState;
    if (!status.lastState) delete status.lastState;
  }
  return { status, ranBefore, completed };
}

function isSidecar(slot: Slot): boolean {
  return slot.init && slot.spec.restartPolicy === 'Always';
}

/** Pod condition listing the host port of each containerPort (`app/http: 8080→41234`). */
export const HOST_PORTS_CONDITION = 'berth.dev/HostPorts';

const CONFIG_RETRY_MS = 2000;
/** How long a container's exit waits for the rest of its output still in the pipes. */
const OUTPUT_DRAIN_MS = 500;

function waiting(reason: string, message?: string): ContainerState {
  return { waiting: message ? { reason, message } : { reason } };
}

async function freeHostPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export class PodWorker {
  pod: Pod;
  private readonly slots: Slot[];
  private readonly stop = new AbortController();
  private terminating = false;
  private sidecarsDone = false;
  private deadlineTimer?: NodeJS.Timeout;
  /** set when the pod failed as a whole (activeDeadlineSeconds) */
  private failed?: { reason: string; message: string };
  private main?: Promise<void>;
  private volumes = new Map<string, string>();
  /** the volume refresh in progress (refreshVolumes) */
  private refreshing: Promise<void> = Promise.resolve();
  /** the pod's one PID namespace, with `shareProcessNamespace: true` */
  private sharedPid?: SharedPidNamespace;
  private readonly startTime: string;
  readonly dir: string;

  constructor(
    pod: Pod,
    private readonly node: NodeContext,
    private readonly host: RuntimeHost,
    podsDir: string,
    private readonly opts: WorkerOptions,
  ) {
    this.pod = pod;
    this.dir = join(podsDir, `${pod.metadata?.namespace}_${pod.metadata?.name}_${pod.metadata?.uid}`);
    // a pod that ran under an earlier agent keeps its start time and its containers' restart counts
    this.startTime = pod.status?.startTime ?? timestamp();
    const previous = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    const mk = (c: Container, init: boolean): Slot => {
      const fresh: ContainerStatus = { name: c.name, image: c.image ?? '', imageID: '', ready: false, started: false, restartCount: 0, state: waiting(init || !(pod.spec?.initContainers?.length) ? 'ContainerCreating' : 'PodInitializing') };
      const carried = carriedStatus(previous.find((s) => s.name === c.name), fresh, timestamp());
      const slot: Slot = { spec: c, init, status: carried.status, logs: new Map(), backoffMs: 0, lastStartMs: 0, ports: { byName: new Map(), byNumber: new Map() }, ranBefore: carried.ranBefore, completed: init && c.restartPolicy !== 'Always' && carried.completed };
      // the last run's log stays readable as --previous
      const lastLog = join(this.dir, 'logs', c.name, `${carried.status.restartCount}.log`);
      if (carried.ranBefore && existsSync(lastLog)) {
        const log = new RunLog(lastLog, opts.logLimits);
        log.end();
        slot.logs.set(carried.status.restartCount ?? 0, log);
      }
      return slot;
    };
    this.slots = [...(pod.spec?.initContainers ?? []).map((c) => mk(c, true)), ...pod.spec!.containers.map((c) => mk(c, false))];
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? '';
  }

  start(): void {
    const deadline = this.pod.spec?.activeDeadlineSeconds;
    if (deadline !== undefined && !this.deadlineTimer) {
      this.deadlineTimer = setTimeout(() => {
        this.failed = { reason: 'DeadlineExceeded', message: `Pod was active on the node longer than the specified deadline` };
        this.host.event(this.pod, 'Normal', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline');
        void this.terminate(this.pod.spec?.terminationGracePeriodSeconds ?? 30).then(() => this.changed());
      }, deadline * 1000);
    }
    this.main ??= this.runPod()
      .catch((e: Error) => {
        this.host.event(this.pod, 'Warning', 'FailedSync', `error syncing pod: ${e.message}`);
      })
      .finally(async () => {
        // the shared namespace goes after the last container (a terminating pod's are being stopped)
        await Promise.all(this.slots.map((s) => s.run?.exited));
        await this.sharedPid?.stop();
      });
  }

  status(): PodStatus {
    return computePodStatus({
      pod: this.pod,
      init: this.slots.filter((s) => s.init).map((s) => s.status),
      sidecars: new Set(this.slots.filter(isSidecar).map((s) => s.spec.name)),
      containers: this.slots.filter((s) => !s.init).map((s) => s.status),
      hostIP: this.node.address,
      podIP: this.node.address,
      startTime: this.startTime,
      extraConditions: this.portsCondition(),
      failed: this.failed,
      now: timestamp(),
    });
  }

  /** The host ports given to containerPorts, where a user sees them: `kubectl describe pod`, status. */
  private portsCondition(): PodCondition[] {
    const parts: string[] = [];
    for (const s of this.slots) {
      for (const p of s.spec.ports ?? []) parts.push(`${s.spec.name}/${p.name ?? p.containerPort}: ${p.containerPort}→${s.ports.byNumber.get(p.containerPort) ?? '?'}`);
    }
    if (parts.length === 0) return [];
    return [{ type: HOST_PORTS_CONDITION, status: 'True', reason: 'HostPortsAssigned', message: parts.join(', '), lastProbeTime: null as unknown as string, lastTransitionTime: this.startTime }];
  }

  /** The log of a container run: `previous` is the run before the current one. */
  log(container: string, previous: boolean): RunLog | undefined {
    const slot = this.slots.find((s) => s.spec.name === container);
    if (!slot) return undefined;
    const current = Math.max(-1, ...slot.logs.keys());
    return slot.logs.get(previous ? current - 1 : current);
  }

  /** The process group of each running container, and when its run started (for the Metrics API). */
  runningGroups(): { container: string; pgid: number; startedAtMs: number }[] {
    return this.slots.flatMap((s) => (s.run?.pid && !s.run.stopping ? [{ container: s.spec.name, pgid: s.run.pid, startedAtMs: s.lastStartMs }] : []));
  }

  containerNames(): string[] {
    return this.slots.map((s) => s.spec.name);
  }

  private running(container: string): Run {
    const run = this.slots.find((s) => s.spec.name === container)?.run;
    if (!run || run.stopping || !run.pid) throw new RuntimeError('BadRequest', `container ${container} in pod ${this.pod.metadata?.name} is not running`);
    return run;
  }

  /** pods/exec: a command in the running container's context. */
  exec(container: string, opts: RemoteCommandOptions, output: CommandOutput): Promise<RemoteCommandSession> {
    const run = this.running(container);
    return startExec(run.ctx, run.execs, opts, output);
  }

  /** pods/attach: the running container process's streams. */
  attach(container: string, opts: RemoteCommandOptions, output: CommandOutput): RemoteCommandSession {
    const run = this.running(container);
    const slot = this.slots.find((s) => s.spec.name === container)!;
    const spec = slot.spec;
    // a container with a terminal follows the client's window size
    const stty = spec.tty ? (onPath('stty', run.ctx.env.PATH) ?? onPath('stty', process.env.PATH)) : undefined;
    const resize = stty ? terminalResizer(run.pid, stty, () => slot.run === run) : undefined;
    return attachSession({ stdin: run.proc.stdin ?? undefined, stdinOnce: !!spec.stdinOnce, outputs: run.outputs, exited: run.exited, resize }, opts, output);
  }

  /** The host port a pod port is reached on: the one given to a containerPort, else the port itself. */
  hostPort(port: number): number {
    for (const s of this.slots) {
      const hp = s.ports.byNumber.get(port);
      if (hp !== undefined) return hp;
    }
    return port;
  }

  /** Stops every container (preStop, SIGTERM, SIGKILL at the grace deadline); a shorter grace cuts a wait short. */
  async terminate(graceSeconds: number): Promise<void> {
    this.terminating = true;
    clearTimeout(this.deadlineTimer);
    this.stop.abort();
    await Promise.all(this.slots.map((s) => (s.run ? this.kill(s, graceSeconds, `Stopping container ${s.spec.name}`) : undefined)));
    await this.main;
  }

  private changed(): void {
    this.host.statusChanged(this.uid);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stop.signal.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.stop.signal.addEventListener('abort', done, { once: true });
    });
  }

  private async runPod(): Promise<void> {
    if (!(await this.prepare())) return;
    const sidecars: Promise<boolean>[] = [];
    for (const slot of this.slots.filter((s) => s.init)) {
      if (isSidecar(slot)) {
        // a sidecar (init container with restartPolicy Always) keeps running; the next starts once it started
        sidecars.push(this.supervise(slot));
        await new Promise<void>((resolve) => {
          slot.onStarted = resolve;
          this.stop.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        if (this.terminating) return;
        continue;
      }
      if (slot.completed) continue;
      if (!(await this.supervise(slot))) return;
    }
    for (const s of this.slots) if (!s.init && s.status.state?.waiting?.reason === 'PodInitializing') s.status.state = waiting('ContainerCreating');
    this.changed();
    await Promise.all(this.slots.filter((s) => !s.init).map((s) => this.supervise(s)));
    if (this.terminating || sidecars.length === 0) return;
    // the main containers are done for good (restartPolicy Never/OnFailure): sidecars stop too
    this.sidecarsDone = true;
    const grace = this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    await Promise.all(this.slots.filter((s) => isSidecar(s) && s.run).map((s) => this.kill(s, grace, `Stopping sidecar container ${s.spec.name}`)));
    await Promise.all(sidecars);
  }

  /**
   * Rewrites configMap, secret and downwardAPI volumes from the current objects (the kubelet's
   * periodic sync does the same), removing files of keys that are gone; a failure leaves the files
   * as they were. One refresh at a time, so an older read of an object never lands last.
   */
  refreshVolumes(): Promise<void> {
    this.refreshing = this.refreshing.then(async () => {
      if (this.terminating || this.volumes.size === 0) return;
      try {
        this.volumes = await prepareVolumes(this.pod, this.dir, this.node, this.host);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
      }
    });
    const done = this.refreshing;
    this.refreshing = done.catch(() => {});
    return done;
  }

  /**
   * Checks out every container's Git image (git-image.ts) before any container starts; a missing
   * repository or revision is ErrImagePull, retried until it appears (a push) or the pod goes.
   */
  private async pullImages(): Promise<boolean> {
    for (const s of this.slots) {
      const image = s.spec.image ?? '';
      while (!this.terminating) {
        try {
          const ref = parseGitImage(image);
          if (!ref) break;
          const pulled = await this.opts.images.materialize(image, ref);
          s.imageDir = pulled.dir;
          s.status.imageID = pulled.imageID;
          this.host.event(this.pod, 'Normal', 'Pulled', `Container image "${image}" checked out at commit ${pulled.commit}`);
          break;
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          s.status.state = waiting('ErrImagePull', e.message);
          this.host.event(this.pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${e.message}`);
          this.changed();
          await this.sleep(CONFIG_RETRY_MS);
        }
      }
    }
    return !this.terminating;
  }

  /** Host ports, images and volumes; a missing ConfigMap/Secret is retried until it appears or the pod goes. */
  private async prepare(): Promise<boolean> {
    for (const s of this.slots) {
      for (const p of s.spec.ports ?? []) {
        const hostPort = p.hostPort ?? (await freeHostPort());
        s.ports.byNumber.set(p.containerPort, hostPort);
        if (p.name) s.ports.byName.set(p.name, hostPort);
        s.ports.first ??= hostPort;
      }
    }
    if (!(await this.pullImages())) return false;
    for (const s of this.slots) if (s.status.state?.waiting?.reason === 'ErrImagePull') s.status.state = waiting('ContainerCreating');
    while (!this.terminating) {
      try {
        this.volumes = await prepareVolumes(this.pod, this.dir, this.node, this.host);
        if (this.pod.spec?.shareProcessNamespace && this.opts.pidNamespaces) this.sharedPid ??= await SharedPidNamespace.start(this.opts.pidNamespaces, this.dir);
        return true;
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        this.host.event(this.pod, 'Warning', 'FailedMount', e.message);
        for (const s of this.slots) s.status.state = waiting('ContainerCreating', e.message);
        this.changed();
        await this.sleep(CONFIG_RETRY_MS);
      }
    }
    return false;
  }

  /**
   * Runs a container until it is done per restartPolicy: true when it ended successfully (what an
   * init container must do before the next starts), false when it failed for good or the pod goes.
   */
  private async supervise(slot: Slot): Promise<boolean> {
    const policy = isSidecar(slot) ? 'Always' : (this.pod.spec?.restartPolicy ?? 'Always');
    for (;;) {
      const r = await this.runOnce(slot);
      if (this.terminating || (isSidecar(slot) && this.sidecarsDone)) return false;
      if (r === 'stalled') return false;
      if (r === 'retry') {
        await this.sleep(CONFIG_RETRY_MS);
        continue;
      }
      const restart = slot.init && !isSidecar(slot) ? r !== 0 && policy !== 'Never' : restartsAfter(policy, r);
      if (!restart) return r === 0;
      await this.backoff(slot);
      if (this.terminating) return false;
    }
  }

  private async backoff(slot: Slot): Promise<void> {
    const { delayMs: delay, backoffMs } = nextRestartDelay(slot.backoffMs, Date.now() - slot.lastStartMs, { baseMs: this.opts.backoffBaseMs, maxMs: this.opts.backoffMaxMs });
    slot.backoffMs = backoffMs;
    const last = slot.status.state?.terminated;
    if (last) {
      slot.status.lastState = { terminated: last };
    }
    if (delay === 0) return;
    slot.status.state = waiting('CrashLoopBackOff', backoffMessage(delay, slot.spec.name, this.pod));
    slot.status.ready = false;
    this.changed();
    this.host.event(this.pod, 'Warning', 'BackOff', backoffEventMessage(slot.spec.name, this.pod));
    await this.sleep(delay);
  }

  private readyChanged(slot: Slot): void {
    const run = slot.run;
    const ready = !!run && !run.stopping && run.postStartDone && !!slot.status.started && run.readinessOk;
    if (slot.status.ready !== ready) {
      slot.status.ready = ready;
      this.changed();
    }
  }

  /** One run of a container: its exit code, or why it could not start. */
  private async runOnce(slot: Slot): Promise<number | 'stalled' | 'retry'> {
    const c = slot.spec;
    let env: Record<string, string>;
    let cmd: { file: string; args: string[] };
    let mounts: Mount[];
    try {
      mounts = containerMounts(c, this.volumes);
      const services = serviceEnv(await this.host.services(this.pod.metadata?.namespace ?? 'default'), this.pod.metadata?.namespace ?? 'default', this.opts.serviceHost, this.pod.spec?.enableServiceLinks !== false);
      env = await containerEnv({ pod: this.pod, container: c, node: this.node, host: this.host, ports: slot.ports, base: { ...this.opts.baseEnv, ...services, HOSTNAME: this.pod.metadata?.name ?? '', ...volumeEnv(c, this.volumes) } });
      for (const k of Object.keys(env)) env[k] = rewritePath(env[k], mounts);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      slot.status.state = waiting('CreateContainerConfigError', e.message);
      this.changed();
      this.host.event(this.pod, 'Warning', 'Failed', `Error: ${e.message}`);
      return 'retry';
    }
    try {
      cmd = commandLine(c, env);
      if (c.tty && !onPath('script', env.PATH)) throw new ConfigError('tty: true needs util-linux `script` on the node (not found on PATH); set tty: false');
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      slot.status.state = waiting('CreateContainerError', e.message);
      this.changed();
      this.host.event(this.pod, 'Warning', 'Failed', `Error: ${e.message}`);
      // Retrying cannot help: the spec must change (a new pod).
      await new Promise((r) => (this.stop.signal.aborted ? r(undefined) : this.stop.signal.addEventListener('abort', r, { once: true })));
      return 'stalled';
    }
    if (this.terminating) return 'stalled';
    // An image naming a directory on this machine, or a Git image's checkout, is the container's
    // file system root for the default working directory (the app ships its code there).
    const imageDir = slot.imageDir ?? (c.image && isAbsolute(c.image) && existsSync(c.image) ? c.image : undefined);
    let cwd = imageDir ?? join(this.dir, 'work', c.name);
    if (c.workingDir) {
      const w = rewritePath(c.workingDir, mounts);
      cwd = isAbsolute(w) && existsSync(w) ? w : join(this.dir, 'rootfs', w);
    }
    mkdirSync(cwd, { recursive: true });

    const runNo = slot.logs.size === 0 && !slot.ranBefore ? 0 : slot.status.restartCount! + 1;
    if (runNo > 0) slot.status.restartCount = runNo;
    // kubectl shows this run and the one before (--previous); older runs' logs go first
    for (const n of slot.logs.keys()) if (n < runNo - 1) slot.logs.delete(n);
    pruneRunLogs(join(this.dir, 'logs', c.name), runNo);
    const log = new RunLog(join(this.dir, 'logs', c.name, `${runNo}.log`), this.opts.logLimits);
    slot.logs.set(runNo, log);
    const quantity = (name: 'memory' | 'cpu') => (c.resources?.limits?.[name] !== undefined ? parseQuantity(String(c.resources.limits[name])) : undefined);
    const cpu = quantity('cpu');
    const limits = containerLimits(`${this.uid}-${c.name}-${runNo}`, { memoryBytes: quantity('memory'), cpuMillis: cpu === undefined ? undefined : cpu * 1000 });
    const argv = { file: cmd.file, args: cmd.args.map((a) => rewritePath(a, mounts)) };
    // a command that is not there fails to start (StartError) as it does outside a namespace,
    // rather than as the namespace shell's exit 127
    const found = executableExists(argv.file, cwd, env.PATH);
    const shared = found ? this.sharedPid : undefined;
    const ns = found && !shared ? this.opts.pidNamespaces : undefined;
    // tty: true gives the command a pseudo-terminal (util-linux script), as a container runtime does
    const [file, ...args] = execArgv([argv.file, ...argv.args], !!c.tty, env.PATH);
    const isolated = shared ? shared.wrap(file, args, cwd) : ns ? inNewPidNamespace(ns, file, args) : { file, args };
    const exe = limits ? limits.wrap(isolated.file, isolated.args) : isolated;
    // a container whose spec asks for stdin keeps a pipe open that attach writes to
    const proc = spawn(exe.file, exe.args, { cwd, env, detached: true, stdio: [c.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    proc.stdin?.on('error', () => {});
    const outputs = new Set<CommandOutput>();
    proc.stdout!.on('data', (b: Buffer) => {
      log.write('stdout', b);
      for (const o of outputs) o.stdout(b);
    });
    proc.stderr!.on('data', (b: Buffer) => {
      log.write('stderr', b);
      for (const o of outputs) o.stderr(b);
    });
    const exited = new Promise<{ code: number; startError?: string }>((resolve) => {
      proc.once('error', (e) => resolve({ code: 128, startError: `failed to start ${cmd.file}: ${e.message}` }));
      // 'exit' can come before the last output is read from the pipes: wait for 'close' (all of
      // it read), but not for long — a background child may hold the pipes open after the exit
      proc.once('exit', (code, sig) => {
        const result = { code: code ?? 128 + (sig ? (constants.signals[sig] ?? 9) : 9) };
        const late = setTimeout(() => resolve(result), OUTPUT_DRAIN_MS);
        proc.once('close', () => {
          clearTimeout(late);
          resolve(result);
        });
      });
    });
    const startedAt = timestamp();
    slot.lastStartMs = Date.now();
    const portsNote = [...slot.ports.byNumber].map(([cp, hp]) => `${cp}→${hp}`).join(', ');
    const ctx: HandlerContext = {
      podIP: this.node.address,
      env,
      cwd,
      rewrite: (a) => rewritePath(a, mounts),
      enter: (a) => (shared ? shared.enter(a, cwd) : ns && proc.pid ? enterPidNamespace(ns, proc.pid, a, cwd) : a),
      resolvePort: (p) => (typeof p === 'number' ? (slot.ports.byNumber.get(p) ?? p) : (slot.ports.byName.get(p) ?? (/^\d+$/.test(p) ? Number(p) : undefined))),
    };
    if (proc.pid) {
      writePidFile(this.dir, c.name, proc.pid);
      limits?.started(proc.pid);
    }
    const run: Run = {
      proc,
      pid: proc.pid ?? 0,
      startedAt,
      exited,
      probers: [],
      ctx,
      stopping: false,
      killAt: Infinity,
      readinessOk: !c.readinessProbe,
      postStartDone: !c.lifecycle?.postStart,
      outputs,
      execs: { podDir: this.dir, container: c.name, groups: new Set() },
    };
    // exec, probes and hooks may only enter the namespace once it exists with its /proc
    if (ns && run.pid) await pidNamespaceReady(run.pid, exited);
    slot.run = run;
    if (run.pid) {
      slot.status.containerID = `process://${run.pid}`;
      this.host.event(this.pod, 'Normal', 'Started', `Started container ${c.name}${portsNote ? ` (host ports ${portsNote})` : ''}`);
      if (c.lifecycle?.postStart) {
        // as the kubelet, the container is not Running (nor probed) until its postStart hook returned
        slot.status.state = waiting('ContainerCreating');
        this.changed();
        void this.postStart(slot, run, c.lifecycle.postStart as Handler);
      } else this.markRunning(slot, run);
      if (this.terminating) void this.kill(slot, 0, `Stopping container ${c.name}`);
    }

    const { code, startError } = await exited;
    for (const p of run.probers) p.stop();
    for (const g of run.execs.groups) killGroup(g, 'SIGKILL');
    clearTimeout(run.killTimer);
    if (run.pid) {
      await reapGroup(run.pid);
      removePidFile(this.dir, c.name);
    }
    log.end();
    slot.run = undefined;
    const oom = limits?.oomKilled() ?? false;
    limits?.release();
    const terminated = { exitCode: code, reason: startError ? 'StartError' : oom ? 'OOMKilled' : code === 0 ? 'Completed' : 'Error', startedAt, finishedAt: timestamp(), containerID: slot.status.containerID } as NonNullable<ContainerState['terminated']>;
    if (startError) terminated.message = startError;
    slot.status.state = { terminated };
    slot.status.ready = false;
    slot.status.started = false;
    this.changed();
    if (startError) this.host.event(this.pod, 'Warning', 'Failed', `Error: ${startError}`);
    return code;
  }

  /** The run is Running: started (unless a startup probe decides), probed, maybe Ready. */
  private markRunning(slot: Slot, run: Run): void {
    slot.status.state = { running: { startedAt: run.startedAt } };
    slot.status.started = !slot.spec.startupProbe;
    if (slot.status.started) slot.onStarted?.();
    this.changed();
    this.startProbes(slot, run);
    this.readyChanged(slot);
  }

  private async postStart(slot: Slot, run: Run, h: Handler): Promise<void> {
    const grace = this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    const r = await runHandler(h, run.ctx, Math.max(1, grace) * 1000, this.stop.signal);
    if (run.stopping || slot.run !== run) return;
    if (!r.ok) {
      this.host.event(this.pod, 'Warning', 'FailedPostStartHook', `PostStartHook failed: ${r.message}`);
      void this.kill(slot, grace, `FailedPostStartHook`);
      return;
    }
    run.postStartDone = true;
    this.markRunning(slot, run);
  }

  private startProbes(slot: Slot, run: Run): void {
    const c = slot.spec;
    const mk = (kind: ProbeKind, onChange: (ok: boolean, message: string) => void) => {
      const probe = kind === 'liveness' ? c.livenessProbe : kind === 'readiness' ? c.readinessProbe : c.startupProbe;
      if (!probe) return;
      const label = kind[0].toUpperCase() + kind.slice(1);
      const p = new Prober(kind, probe, (timeoutMs, signal) => runHandler(probe as Handler, run.ctx, timeoutMs, signal), {
        onChange,
        onFailure: (message) => this.host.event(this.pod, 'Warning', 'Unhealthy', `${label} probe failed: ${message}`),
      });
      run.probers.push(p);
      p.start();
    };
    const killFor = (kind: ProbeKind) => {
      const probe = kind === 'liveness' ? c.livenessProbe : c.startupProbe;
      const grace = probe?.terminationGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
      void this.kill(slot, grace, `Container ${c.name} failed ${kind} probe, will be restarted`);
    };
    const afterStartup = () => {
      mk('liveness', (ok) => {
        if (!ok) killFor('liveness');
      });
      mk('readiness', (ok) => {
        run.readinessOk = ok;
        this.readyChanged(slot);
      });
    };
    if (c.startupProbe) {
      mk('startup', (ok) => {
        if (!ok) return killFor('startup');
        slot.status.started = true;
        slot.onStarted?.();
        this.changed();
        this.readyChanged(slot);
        afterStartup();
      });
    } else afterStartup();
  }

  /** preStop, SIGTERM to the group, SIGKILL at the deadline; resolves when the process exited. */
  private kill(slot: Slot, graceSeconds: number, message: string): Promise<unknown> {
    const run = slot.run;
    if (!run) return Promise.resolve();
    const deadline = Date.now() + Math.max(0, graceSeconds) * 1000;
    if (deadline < run.killAt) {
      run.killAt = deadline;
      clearTimeout(run.killTimer);
      run.killTimer = setTimeout(() => killGroup(run.pid, 'SIGKILL'), Math.max(0, deadline - Date.now()));
    }
    if (!run.stopping) {
      run.stopping = true;
      for (const p of run.probers) p.stop();
      this.readyChanged(slot);
      this.host.event(this.pod, 'Normal', 'Killing', message);
      void (async () => {
        const preStop = slot.spec.lifecycle?.preStop as Handler | undefined;
        if (preStop && run.killAt > Date.now()) {
          const r = await Promise.race([runHandler(preStop, run.ctx, Math.max(1, run.killAt - Date.now())), run.exited.then(() => ({ ok: true, message: '' }))]);
          if (!r.ok) this.host.event(this.pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${r.message}`);
        }
        // in a shared namespace the group's leader is nsenter, which would die at once of it
        if (run.pid) (this.sharedPid ? signalGroupExcept(run.pid, run.pid, 'SIGTERM') : killGroup(run.pid, 'SIGTERM'));
      })();
    }
    return run.exited;
  }
}

