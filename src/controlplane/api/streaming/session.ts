/**
 * What the pod streaming subresources (exec, attach, portforward) hand from the API layer to a
 * transport: the request is authorized and checked, and the transport (server.ts) upgrades the
 * connection and speaks the wire protocol kubectl expects. The node agents implement the sessions
 * (src/agent), locally or through their own server for agents in other processes.
 */
import type { Duplex } from 'node:stream';

/** pods/exec and pods/attach query parameters. */
export interface RemoteCommandOptions {
  container: string;
  /** exec only: argv, never run through a shell */
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Where a running command's output goes. */
export interface CommandOutput {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
}

/** How a command ended: its exit code, or why it could not run (becomes a Failure Status). */
export type CommandResult = { exitCode: number } | { error: string };

/**
 * A running exec or attach. Contract: `done` settles once, after every byte of output was handed
 * to the CommandOutput; `close()` ends it from the client's side (exec: the process group is
 * killed; attach: the client detaches and the container goes on).
 */
export interface RemoteCommandSession {
  writeStdin(chunk: Buffer): void;
  /** the client closed stdin (v5 close signal) */
  endStdin(): void;
  resize(width: number, height: number): void;
  done: Promise<CommandResult>;
  close(): void;
}

export type StreamUpgrade =
  | {
      protocol: 'remotecommand';
      /** what the messages name: `exec` or `attach` */
      subresource: 'exec' | 'attach';
      options: RemoteCommandOptions;
      open(output: CommandOutput): Promise<RemoteCommandSession>;
    }
  | {
      protocol: 'portforward';
      /** a TCP connection to `port` of the pod; rejects with a message for the client */
      connect(port: number): Promise<Duplex>;
    };
