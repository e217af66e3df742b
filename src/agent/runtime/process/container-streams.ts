/**
 * pods/exec and pods/attach for the process runtime. An exec is a new process in the container's
 * context — its environment, working directory and volume paths (tar-paths.ts keeps kubectl cp's
 * member names) — in a process group of its own
 * that the pod worker kills with the container (and a restarted agent reaps through its pid file).
 * It joins the container's PID namespace where it has one (pid-namespace.ts). An attach joins the container process's own output and, when the spec asks for `stdin`, its
 * stdin pipe. No pseudo-terminal library is used: with `tty` the command runs under util-linux
 * `script`, which gives it a terminal; window resizes are set on that terminal (pty-size.ts). An
 * attach resizes the terminal of a `tty: true` container (which runs under `script` too); one on
 * pipes has nothing to resize.
 */
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { CommandOutput, CommandResult, RemoteCommandOptions, RemoteCommandSession } from '../../../controlplane/api/streaming/session.js';
import { constants } from 'node:os';
import { RuntimeError } from '../runtime.js';
import type { HandlerContext } from './handlers.js';
import { executableExists, onPath } from './pid-namespace.js';
import { killGroup, removePidFile, writePidFile } from './process-group.js';
import { terminalResizer } from './pty-size.js';
import { tarArgv } from './tar-paths.js';

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** The argv to spawn: under `script` for a terminal. */
export function execArgv(command: string[], tty: boolean, path: string | undefined): string[] {
  if (!tty) return command;
  const script = onPath('script', path);
  if (!script) throw new RuntimeError('BadRequest', 'a TTY needs util-linux `script` on the node (not found on PATH); run without -t');
  return [script, '-q', '-f', '-e', '-c', command.map(shellQuote).join(' '), '/dev/null'];
}

/** Where the worker keeps an exec's process group, so it dies with the container. */
export interface ExecTracker {
  podDir: string;
  container: string;
  groups: Set<number>;
}

/** Starts `opts.command` in the container's context; resolves once the process runs. */
export function startExec(ctx: HandlerContext, tracker: ExecTracker, opts: RemoteCommandOptions, output: CommandOutput): Promise<RemoteCommandSession> {
  // kubectl cp's tar names its members after the pod's paths, not the volumes' directories
  const command = tarArgv(opts.command, opts.command.map((a) => ctx.rewrite(a)), ctx.cwd, ctx.env.PATH);
  // inside a namespace the missing command would only show as nsenter's exit 127
  if (command.length > 0 && !executableExists(command[0], ctx.cwd, ctx.env.PATH)) {
    return Promise.reject(new RuntimeError('BadRequest', `failed to exec in container ${tracker.container}: "${command[0]}": executable file not found in $PATH`));
  }
  const argv = ctx.enter(execArgv(command, opts.tty, ctx.env.PATH));
  const child = spawn(argv[0], argv.slice(1), { cwd: ctx.cwd, env: ctx.env, detached: true, stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const pgid = child.pid;
  const pidFile = `${tracker.container}.exec-${pgid}`;
  if (pgid) {
    tracker.groups.add(pgid);
    writePidFile(tracker.podDir, pidFile, pgid);
  }
  child.stdout!.on('data', (c: Buffer) => opts.stdout && output.stdout(c));
  child.stderr!.on('data', (c: Buffer) => (opts.stderr ? output.stderr(c) : opts.stdout && opts.tty && output.stdout(c)));
  child.stdin?.on('error', () => {});
  const stty = opts.tty ? (onPath('stty', ctx.env.PATH) ?? onPath('stty', process.env.PATH)) : undefined;
  const resize = pgid && stty ? terminalResizer(pgid, stty, () => child.exitCode === null && child.signalCode === null) : () => {};
  const done = new Promise<CommandResult>((resolve) => {
    child.once('error', (e) => resolve({ error: `failed to exec in container ${tracker.container}: ${argv[0]}: ${e.message}` }));
    child.once('close', (code, signal) => resolve({ exitCode: code ?? 128 + (signal ? (constants.signals[signal] ?? 9) : 9) }));
  }).finally(() => {
    if (!pgid) return;
    // whatever the command left in its group goes with it, as a container's exec session does
    killGroup(pgid, 'SIGKILL');
    tracker.groups.delete(pgid);
    removePidFile(tracker.podDir, pidFile);
  });
  return new Promise((resolve, reject) => {
    child.once('spawn', () =>
      resolve({
        writeStdin: (c) => child.stdin?.write(c),
        endStdin: () => child.stdin?.end(),
        resize,
        done,
        close: () => {
          if (pgid) killGroup(pgid, 'SIGKILL');
        },
      }),
    );
    child.once('error', (e) => reject(new RuntimeError('BadRequest', `failed to exec in container ${tracker.container}: ${argv[0]}: ${e.message}`)));
  });
}

/** What an attach joins: the container run's stdin pipe (if any), its output fan-out, its end. */
export interface AttachTarget {
  stdin?: Writable;
  /** close stdin when the first attached client detaches (the container's `stdinOnce`) */
  stdinOnce: boolean;
  outputs: Set<CommandOutput>;
  exited: Promise<unknown>;
  /** sets the container's terminal size (a `tty: true` container); none for one on pipes */
  resize?: (width: number, height: number) => void;
}

export function attachSession(target: AttachTarget, opts: RemoteCommandOptions, output: CommandOutput): RemoteCommandSession {
  const mine: CommandOutput = { stdout: (c) => opts.stdout && output.stdout(c), stderr: (c) => (opts.stderr ? output.stderr(c) : opts.tty && opts.stdout && output.stdout(c)) };
  target.outputs.add(mine);
  const stdin = opts.stdin ? target.stdin : undefined;
  let detach: () => void = () => {};
  const detached = new Promise<void>((resolve) => (detach = resolve));
  const leave = () => {
    target.outputs.delete(mine);
    if (stdin && target.stdinOnce) stdin.end();
    detach();
  };
  return {
    writeStdin: (c) => stdin?.write(c),
    endStdin: () => {
      if (stdin && target.stdinOnce) stdin.end();
    },
    resize: (width, height) => target.resize?.(width, height),
    // the container ending ends the attach with success, as the kubelet's attach returns
    done: Promise.race([target.exited, detached]).then(() => {
      leave();
      return { exitCode: 0 };
    }),
    close: leave,
  };
}
