/**
 * PID namespaces for process containers (Linux, as root): each container run starts in a PID and
 * mount namespace of its own, with a fresh /proc, so it sees only its own processes, and when it
 * ends the kernel kills whatever it left behind. Elsewhere containers are process groups only.
 *
 * The namespace's PID 1 is a small shell that runs the container's command as PID 2 and exits with
 * its status (reaping orphans meanwhile). A command that were PID 1 itself would never see the
 * SIGTERM of a graceful stop unless it installed a handler, since the kernel drops unhandled
 * signals to a namespace's init; the shell, equally deaf to it, lets the signal to the process
 * group reach the command as it would outside a namespace. `unshare` (util-linux) stays outside as
 * the spawned process: it ignores SIGTERM, exits with the shell's status, and takes the namespace
 * down (`--kill-child`) if it is killed itself.
 *
 * exec sessions and exec probes/hooks join a running container's namespaces with `nsenter`.
 *
 * A pod with `shareProcessNamespace: true` has one namespace for all its containers instead, held
 * by a shell (PID 1, Kubernetes' pause container) that lives as long as the pod; each container
 * joins it with `nsenter`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { ConfigError } from './container-env.js';
import { childrenOf, reapGroup, removePidFile, writePidFile } from './process-group.js';

/** The absolute path of `file` in one of `path`'s directories, if there is one. */
export function onPath(file: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) if (dir && existsSync(join(dir, file))) return join(dir, file);
  return undefined;
}

/** Whether `file` names an executable that exists: a path (against `cwd`), or a name on `path`. */
export function executableExists(file: string, cwd: string, path: string | undefined): boolean {
  return file.includes('/') ? existsSync(resolve(cwd, file)) : onPath(file, path) !== undefined;
}

/** Where the util-linux tools are. */
export interface PidNamespaceTools {
  unshare: string;
  nsenter: string;
}

let tools: PidNamespaceTools | null | undefined;

/** unshare and nsenter, when this machine lets the agent make PID namespaces (detected once). */
export function pidNamespaceTools(): PidNamespaceTools | null {
  if (tools !== undefined) return tools;
  tools = null;
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return tools;
  const path = `${process.env.PATH ?? ''}${delimiter}/usr/bin${delimiter}/bin${delimiter}/usr/sbin${delimiter}/sbin`;
  const unshare = onPath('unshare', path);
  const nsenter = onPath('nsenter', path);
  if (!unshare || !nsenter) return tools;
  // a container without CAP_SYS_ADMIN (or an old util-linux without --kill-child) fails here
  const probe = spawnSync(unshare, [...UNSHARE_FLAGS, '/bin/true'], { stdio: 'ignore', timeout: 5000 });
  if (probe.status === 0) tools = { unshare, nsenter };
  return tools;
}

const UNSHARE_FLAGS = ['--pid', '--fork', '--mount-proc', '--kill-child'];

/**
 * PID 1's script: run the command (a subshell that execs it, so it is PID 2) with the real stderr,
 * while the shell's own stderr is /dev/null — else its "Terminated" report of a command stopped by
 * a signal would end up in the container's log.
 */
const INIT = 'exec 3>&2 2>/dev/null; (exec "$@" 2>&3 3>&-); exit $?';

/** The command line that runs `file args` as PID 2 of a new PID namespace. */
export function inNewPidNamespace(t: PidNamespaceTools, file: string, args: string[]): { file: string; args: string[] } {
  return { file: t.unshare, args: [...UNSHARE_FLAGS, '/bin/sh', '-c', INIT, 'sh', file, ...args] };
}

/**
 * The argv that runs `argv` in the namespaces of the container whose `unshare` is `holderPid`,
 * in the directory `cwd`.
 */
export function enterPidNamespace(t: PidNamespaceTools, holderPid: number, argv: string[], cwd: string): string[] {
  return [t.nsenter, `--pid=/proc/${holderPid}/ns/pid_for_children`, `--mount=/proc/${holderPid}/ns/mnt`, `--wd=${cwd}`, '--', ...argv];
}

/** The pid file name of a shared namespace's holder: no container name has an underscore. */
const HOLDER_PID_FILE = '_shared-pid-namespace';

/**
 * A pod's shared PID namespace: started before its first container, stopped after its last (which
 * kills anything left in it). The holder's pid file lets a restarted agent reap it.
 */
export class SharedPidNamespace {
  private constructor(
    private readonly t: PidNamespaceTools,
    private readonly podDir: string,
    /** the holder's `unshare` (host pid, leader of its process group) */
    readonly pid: number,
  ) {}

  static async start(t: PidNamespaceTools, podDir: string): Promise<SharedPidNamespace> {
    // PID 1 waits on a sleep forever, reaping the orphans it inherits meanwhile
    const holder = spawn(t.unshare, [...UNSHARE_FLAGS, '/bin/sh', '-c', 'exec 2>/dev/null; while :; do sleep 86400; done'], { detached: true, stdio: 'ignore' });
    const pid = await new Promise<number>((ok, fail) => {
      holder.once('spawn', () => ok(holder.pid!));
      holder.once('error', fail);
    });
    holder.unref();
    writePidFile(podDir, HOLDER_PID_FILE, pid);
    const exited = new Promise<unknown>((r) => holder.once('exit', r));
    if (!(await pidNamespaceReady(pid, exited))) {
      await reapGroup(pid);
      removePidFile(podDir, HOLDER_PID_FILE);
      throw new ConfigError(`the pod's shared PID namespace did not start (${t.unshare} pid ${pid}); retrying`);
    }
    return new SharedPidNamespace(t, podDir, pid);
  }

  /** The command line that runs `file args` in the namespace, in `cwd`. */
  wrap(file: string, args: string[], cwd: string): { file: string; args: string[] } {
    const [nsenter, ...rest] = enterPidNamespace(this.t, this.pid, [file, ...args], cwd);
    return { file: nsenter, args: rest };
  }

  /** The argv that runs `argv` in the namespace, in `cwd`. */
  enter(argv: string[], cwd: string): string[] {
    return enterPidNamespace(this.t, this.pid, argv, cwd);
  }

  /** Ends the namespace and everything in it. */
  async stop(): Promise<void> {
    await reapGroup(this.pid);
    removePidFile(this.podDir, HOLDER_PID_FILE);
  }
}

/**
 * Resolves true once the namespace of the `unshare` at `pid` exists with its own /proc and its
 * command: unshare has forked PID 1, PID 1 has exec'd the shell (it mounts /proc first) and forked
 * the command as PID 2. Until then /proc/PID/ns/pid_for_children is still the host's, and nsenter
 * would join the host's namespaces — or, a moment later, take PID 2 from the command.
 * False if `exited` comes first or it takes longer than `timeoutMs`.
 */
export async function pidNamespaceReady(pid: number, exited: Promise<unknown>, timeoutMs = 5000): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (!gone && Date.now() < deadline) {
    if (initExecd(pid)) return true;
    await new Promise((r) => setTimeout(r, 2));
  }
  return initExecd(pid);
}

function initExecd(pid: number): boolean {
  return childrenOf(pid).some((c) => {
    try {
      return readFileSync(`/proc/${c}/cmdline`, 'utf8').startsWith('/bin/sh\0') && childrenOf(c).length > 0;
    } catch {
      return false;
    }
  });
}
