/**
 * The contract between the node agent and what actually runs pods. The agent owns the API side
 * (which pods are bound here, status writes, final deletion); a runtime owns the pods' lifecycle on
 * this machine and reports each pod's status. Implementations: `process` (containers are child
 * processes) and `sim` (kwok-like stages, no process). Both pass runtime-conformance.ts.
 */
import type { Duplex } from 'node:stream';
import type { PersistentVolume, PersistentVolumeClaim, Pod, PodStatus, Service } from 'kubernetes-types/core/v1.js';
import type { CommandOutput, RemoteCommandOptions, RemoteCommandSession } from '../../controlplane/api/streaming/session.js';
import type { UsageSample } from '../metrics/usage-rates.js';

/** The node facts a runtime needs to fill pod status (hostIP, podIP) and the downward API. */
export interface NodeContext {
  nodeName: string;
  /** the node's InternalIP: pods get it as hostIP and (no pod network) as podIP */
  address: string;
  /** node allocatable, for resourceFieldRef defaults (limits default to allocatable) */
  allocatable: { cpu: string; memory: string };
}

/** What the runtime tells the agent. */
export interface RuntimeHost {
  /** the pod's status changed; the agent reads it with `status(uid)` and writes it (coalesced) */
  statusChanged(uid: string): void;
  /** a Kubernetes Event about the pod (Started, Killing, Unhealthy, BackOff, ...) */
  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** reads a ConfigMap or Secret for env and volumes; undefined when it does not exist */
  lookup(kind: 'ConfigMap' | 'Secret', namespace: string, name: string): Promise<{ data?: Record<string, string>; binaryData?: Record<string, string> } | undefined>;
  /** the Services of `namespace` and the default namespace's `kubernetes` Service, for Service environment variables */
  services(namespace: string): Promise<Service[]>;
  /** reads a PersistentVolumeClaim and, once it is bound, its PersistentVolume (either undefined when missing) */
  lookupClaim(namespace: string, name: string): Promise<{ claim?: PersistentVolumeClaim; volume?: PersistentVolume }>;
  /**
   * A token of the pod's ServiceAccount bound to the pod (TokenRequest), for projected
   * serviceAccountToken volumes; may return a cached token that is still well within its lifetime.
   */
  serviceAccountToken(pod: Pod, audience: string | undefined, expirationSeconds: number): Promise<string>;
}

export interface LogOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
}

/** A log read: `text` now, then (follow) more through `onData` until `stop` or the container ends. */
export interface LogStream {
  /** calls `write` with chunks of text and `end` once; returns a function that stops the stream */
  start(write: (chunk: string) => void, end: () => void): () => void;
}

/**
 * Contract:
 * - `sync(pod)` is called with the latest object whenever the pod changes (and on resync); it is
 *   idempotent and never throws: failures surface in the pod's status.
 * - `terminate(pod, grace)` stops everything of the pod (preStop, SIGTERM, after `grace` seconds
 *   SIGKILL) and resolves when nothing of it runs; calling it again with a shorter grace shortens
 *   the wait. After it resolves the agent deletes the pod object.
 * - `forget(uid)` drops what is left of a pod that is gone from the API (kills it if needed).
 * - `status(uid)` is the pod status to write (the agent keeps conditions it does not own).
 * - `logs` throws a `RuntimeError` with reason NotFound/BadRequest for an unknown container or log.
 * - `exec`, `attach` and `portForward` reject with a `RuntimeError` when the pod, container or port
 *   cannot be reached (the sim runtime runs no processes: always).
 */
export interface PodRuntime {
  readonly kind: 'process' | 'sim';
  sync(pod: Pod): void;
  terminate(pod: Pod, gracePeriodSeconds: number): Promise<void>;
  forget(uid: string): Promise<void>;
  status(uid: string): PodStatus | undefined;
  logs(pod: Pod, opts: LogOptions): Promise<LogStream>;
  /** runs a command in a running container's context (its env, cwd; killed with the container) */
  exec(pod: Pod, opts: RemoteCommandOptions, output: CommandOutput): Promise<RemoteCommandSession>;
  /** connects to a running container's process: its output, and its stdin when the spec has `stdin` */
  attach(pod: Pod, opts: RemoteCommandOptions, output: CommandOutput): Promise<RemoteCommandSession>;
  /** a TCP connection to the pod's `port` (a containerPort reaches the host port the runtime gave it) */
  portForward(pod: Pod, port: number): Promise<Duplex>;
  /**
   * For the Metrics API: the counters of every running container, by pod uid, then container name
   * (metrics/usage-rates.ts turns them into rates), read at `nowMs`. The sim runtime reports a
   * container's requests as its usage.
   */
  usage(nowMs: number): Map<string, Map<string, UsageSample>>;
  /** stops every pod (as at shutdown of the agent: processes must not outlive it) */
  close(): Promise<void>;
  /** drops what an earlier agent left on this machine of pods other than `uids` (the node's pods, listed at start) */
  retain?(uids: Set<string>): void;
}

/** An error a runtime reports to the API caller (pods/log, exec, ...), with a Kubernetes Status reason. */
export class RuntimeError extends Error {
  constructor(
    readonly reason: 'NotFound' | 'BadRequest',
    message: string,
  ) {
    super(message);
  }
}
