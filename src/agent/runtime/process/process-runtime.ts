/**
 * The `process` runtime: every container is a child process on this machine (see pod-worker.ts),
 * its logs are files under the agent's data dir, and nothing of a pod outlives its deletion.
 */
import net from 'node:net';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { CommandOutput, RemoteCommandOptions, RemoteCommandSession } from '../../../controlplane/api/streaming/session.js';
import { RuntimeError, type LogOptions, type LogStream, type NodeContext, type PodRuntime, type RuntimeHost } from '../runtime.js';
import { KUBELET_BACKOFF } from '../restart-backoff.js';
import { DEFAULT_LOG_LIMITS, logStream, type LogLimits } from './container-log.js';
import { PodWorker } from './pod-worker.js';
import { pidNamespaceTools, type PidNamespaceTools } from './pid-namespace.js';
import { sweepStaleCgroups } from './resource-limits.js';
import { groupUsage, reapOrphans } from './process-group.js';
import type { UsageSample } from '../../metrics/usage-rates.js';
import { removePodDir } from './volumes.js';
import { GitImages } from './git-image.js';

export interface ProcessRuntimeOptions {
  /** pods' directories (volumes, logs, working dirs) go under `<dataDir>/pods` */
  dataDir: string;
  /** restart back-off base (default 10 s) and cap (default 5 min); tests shorten them */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  logLimits?: Partial<LogLimits>;
  /** environment every container starts from (default: PATH and HOME of the agent) */
  baseEnv?: Record<string, string>;
  /** configMap/secret/downwardAPI volumes are rewritten this often (default 60 s, the kubelet's sync) */
  volumeRefreshMs?: number;
  /** berth's hosted repositories (`<data dir>/repos`), for `git.berth.local/NAME@REV` images */
  gitRepos?: string;
  /** where this node's Service proxy serves ClusterIP Services' ports (default 127.0.0.1): the Service environment variables name it */
  serviceHost?: string;
  /** a PID namespace per container run (default: where the machine allows it, i.e. as root on Linux) */
  pidNamespaces?: boolean;
}

/**
 * Kills what an agent killed with -9 left running in `dataDir`, and removes the empty cgroups it
 * left; call before starting the runtime (createAgent does).
 */
export async function cleanUpAfterCrash(dataDir: string): Promise<number> {
  const killed = await reapOrphans(join(dataDir, 'pods'));
  sweepStaleCgroups();
  return killed;
}

export class ProcessRuntime implements PodRuntime {
  readonly kind = 'process';
  private readonly workers = new Map<string, PodWorker>();
  private readonly podsDir: string;
  private readonly refresher: NodeJS.Timeout;
  private readonly images: GitImages;
  private readonly pidNamespaces: PidNamespaceTools | undefined;

  constructor(
    private readonly node: NodeContext,
    private readonly host: RuntimeHost,
    private readonly opts: ProcessRuntimeOptions,
  ) {
    this.podsDir = join(opts.dataDir, 'pods');
    this.images = new GitImages(opts.gitRepos, join(opts.dataDir, 'images'));
    this.pidNamespaces = opts.pidNamespaces === false ? undefined : (pidNamespaceTools() ?? undefined);
    this.refresher = setInterval(() => {
      for (const w of this.workers.values()) void w.refreshVolumes().catch(() => {});
    }, opts.volumeRefreshMs ?? 60_000);
    this.refresher.unref();
  }

  sync(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const w = this.workers.get(uid);
    if (w) {
      const before = w.pod.metadata;
      w.pod = pod;
      // downwardAPI files follow label and annotation changes
      if (JSON.stringify([before?.labels, before?.annotations]) !== JSON.stringify([pod.metadata?.labels, pod.metadata?.annotations])) void w.refreshVolumes().catch(() => {});
      return;
    }
    const worker = new PodWorker(pod, this.node, this.host, this.podsDir, {
      backoffBaseMs: this.opts.backoffBaseMs ?? KUBELET_BACKOFF.baseMs,
      backoffMaxMs: this.opts.backoffMaxMs ?? KUBELET_BACKOFF.maxMs,
      logLimits: { ...DEFAULT_LOG_LIMITS, ...this.opts.logLimits },
      baseEnv: this.opts.baseEnv ?? { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: process.env.HOME ?? '/' },
      images: this.images,
      pidNamespaces: this.pidNamespaces,
      serviceHost: this.opts.serviceHost ?? '127.0.0.1',
    });
    this.workers.set(uid, worker);
    this.host.statusChanged(uid);
    worker.start();
  }

  async terminate(pod: Pod, gracePeriodSeconds: number): Promise<void> {
    const w = this.workers.get(pod.metadata?.uid ?? '');
    if (!w) return;
    w.pod = pod;
    await w.terminate(gracePeriodSeconds);
  }

  async forget(uid: string): Promise<void> {
    const w = this.workers.get(uid);
    if (!w) return;
    await w.terminate(0);
    this.workers.delete(uid);
    removePodDir(w.dir);
  }

  status(uid: string): PodStatus | undefined {
    return this.workers.get(uid)?.status();
  }

  async logs(pod: Pod, opts: LogOptions): Promise<LogStream> {
    const w = this.workers.get(pod.metadata?.uid ?? '');
    const name = pod.metadata?.name;
    if (!w) throw new RuntimeError('NotFound', `pod "${name}" is not running on this node (yet)`);
    const names = w.containerNames();
    const container = opts.container ?? (names.length === 1 ? names[0] : undefined);
    if (!container) throw new RuntimeError('BadRequest', `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    if (!names.includes(container)) throw new RuntimeError('BadRequest', `container ${container} is not valid for pod ${name}`);
    const log = w.log(container, opts.previous ?? false);
    if (!log) {
      throw new RuntimeError('BadRequest', opts.previous ? `previous terminated container "${container}" in pod "${name}" not found` : `container "${container}" in pod "${name}" is waiting to start`);
    }
    return logStream(log, opts);
  }

  /** Each running container's process group, read from /proc in one scan (process-group.ts). */
  usage(): Map<string, Map<string, UsageSample>> {
    const groups = [...this.workers.values()].map((w) => ({ uid: w.uid, runs: w.runningGroups() }));
    const read = groupUsage(new Set(groups.flatMap((g) => g.runs.map((r) => r.pgid))));
    const out = new Map<string, Map<string, UsageSample>>();
    for (const g of groups) {
      const containers = new Map<string, UsageSample>();
      for (const r of g.runs) {
        const u = read.get(r.pgid);
        if (u) containers.set(r.container, { ...u, startedAtMs: r.startedAtMs });
      }
      if (containers.size) out.set(g.uid, containers);
    }
    return out;
  }

  private worker(pod: Pod): PodWorker {
    const w = this.workers.get(pod.metadata?.uid ?? '');
    if (!w) throw new RuntimeError('NotFound', `pod "${pod.metadata?.name}" is not running on this node (yet)`);
    return w;
  }

  async exec(pod: Pod, opts: RemoteCommandOptions, output: CommandOutput): Promise<RemoteCommandSession> {
    return this.worker(pod).exec(opts.container, opts, output);
  }

  async attach(pod: Pod, opts: RemoteCommandOptions, output: CommandOutput): Promise<RemoteCommandSession> {
    return this.worker(pod).attach(opts.container, opts, output);
  }

  async portForward(pod: Pod, port: number): Promise<Duplex> {
    const w = this.worker(pod);
    const hostPort = w.hostPort(port);
    const m = pod.metadata ?? {};
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: this.node.address, port: hostPort });
      sock.once('connect', () => resolve(sock));
      sock.once('error', (e) => reject(new RuntimeError('BadRequest', `error forwarding port ${port} to pod ${m.name}, uid ${m.uid}: failed to connect to ${this.node.address}:${hostPort}: ${e.message}`)));
    });
  }

  retain(uids: Set<string>): void {
    if (!existsSync(this.podsDir)) return;
    for (const dir of readdirSync(this.podsDir)) {
      const uid = dir.slice(dir.lastIndexOf('_') + 1);
      if (!uids.has(uid) && !this.workers.has(uid)) removePodDir(join(this.podsDir, dir));
    }
  }

  async close(): Promise<void> {
    clearInterval(this.refresher);
    await Promise.all([...this.workers.keys()].map((uid) => this.workers.get(uid)!.terminate(0)));
  }
}
