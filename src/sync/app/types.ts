/**
 * The Application kind as the sync engine reads and writes it (berth.dev/v1alpha1; field names as
 * Argo CD users know them), and the labels and annotations sync puts on objects it manages.
 */
import type { KubeObject } from '../../controlplane/resources/types.js';
import type { IgnoreDifference } from '../diff/index.js';

export const APP_API_VERSION = 'berth.dev/v1alpha1';
/** The field manager of every apply sync makes. */
export const FIELD_MANAGER = 'berth-sync';
/** On every applied object: `<app namespace>.<app name>`; prune deletes only objects still carrying it. */
export const INSTANCE_LABEL = 'app.berth.dev/instance';
/**
 * On an Application: deleting it deletes what it applied first (its inventory, only objects still
 * carrying its instance label), as Argo CD's finalizer does; both names are honoured.
 */
export const RESOURCES_FINALIZERS = ['resources-finalizer.berth.dev', 'resources-finalizer.argocd.argoproj.io'];
/** An applied object with this annotation set to "false" is never pruned (nor deleted with its Application). */
export const PRUNE_ANNOTATION = 'app.berth.dev/prune';
/** Integer sync wave; lower waves apply first (Argo CD's `argocd.argoproj.io/sync-wave` is honoured too). */
export const WAVE_ANNOTATIONS = ['app.berth.dev/sync-wave', 'argocd.argoproj.io/sync-wave'];
/**
 * A sync request from the CLI (`berth app sync`): a JSON `SyncRequest`. Handled once per `id`
 * (status.operationState.requestId records the last one).
 */
export const SYNC_REQUEST_ANNOTATION = 'app.berth.dev/sync-request';

export interface SyncRequest {
  id: string;
  /** allow a prune beyond the deletion budget (or of every object) */
  allowPrune?: boolean;
  prune?: boolean;
  /** who asked (shown in history) */
  by?: string;
}

/** An Application this one waits for (`spec.dependsOn`); namespace defaults to this one's. */
export interface DependencyRef {
  name: string;
  namespace?: string;
}

export interface ApplicationSpec {
  source: {
    repoURL: string;
    targetRevision?: string;
    path?: string;
    /** a Secret in the Application's namespace with `username`/`password` or `token` */
    credentialsSecret?: string;
    directory?: { recurse?: boolean; include?: string[]; exclude?: string[] };
  };
  destination: {
    namespace: string;
    /**
     * every namespaced object goes to `namespace` whatever its manifest says, Namespace objects are
     * left out and other cluster-scoped objects refused: the Application stays inside its namespace
     * (each preview of a PreviewSet does)
     */
    overrideNamespace?: boolean;
  };
  /** sync only once each of these is Synced and Healthy at its current revision (src/sync/app/dependencies.ts) */
  dependsOn?: DependencyRef[];
  /** drift that is not drift: JSON pointers or managers per kind (src/sync/diff) */
  ignoreDifferences?: IgnoreDifference[];
  syncPolicy?: {
    automated?: { prune?: boolean; selfHeal?: boolean } | null;
    /** fraction of the inventory an automated prune may delete without --allow-prune (default 0.25) */
    pruneBudget?: number;
    /** the longest a sync operation waits for one hook or one wave to become Healthy (default 300) */
    timeoutSeconds?: number;
  };
}

export interface ResourceStatus {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  status: 'Synced' | 'OutOfSync';
  health?: HealthStatus;
  message?: string;
  /** fields that differ from Git, when OutOfSync */
  diff?: string[];
}

export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

export interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** A hook Job of a sync operation and how it ended (kept after the Job is deleted). */
export interface HookResult {
  kind: string;
  namespace?: string;
  name: string;
  phase: 'PreSync' | 'Sync' | 'PostSync';
  status: 'Running' | 'Succeeded' | 'Failed';
  /** the Job's Complete/Failed condition reason, or why berth failed it */
  reason?: string;
  message?: string;
  startedAt: string;
  finishedAt?: string;
  /** removed by its hook-delete-policy */
  deleted?: boolean;
}

/** A sync operation: PreSync hooks, the waves (each Healthy before the next), prune, PostSync hooks. */
export interface OperationState {
  requestId?: string;
  phase: 'Succeeded' | 'Failed' | 'Running';
  message?: string;
  finishedAt?: string;
  /** names this operation's hook Jobs (label app.berth.dev/hook-operation) */
  id?: string;
  /** the commit being synced; a newer commit starts a new operation */
  revision?: string;
  startedAt?: string;
  hooks?: HookResult[];
  /** what the operation waits for, since when (the timeout counts from `since`) */
  waiting?: { on: string; since: string };
  /** prune as asked when the operation started */
  prune?: boolean;
  allowPrune?: boolean;
  /** failed in a way a retry at the same commit would repeat (a hook failed, a timeout): automated sync waits for a new commit or `berth app sync` */
  terminal?: boolean;
}

export interface HistoryEntry {
  id: number;
  revision: string;
  author?: string;
  message?: string;
  deployedAt: string;
  initiatedBy: string;
  result: 'Succeeded' | 'Failed';
  hooks?: HookResult[];
}

export interface ApplicationStatus {
  observedGeneration?: number;
  sync?: { status: 'Synced' | 'OutOfSync' | 'Unknown'; revision?: string; author?: string; message?: string; comparedAt?: string };
  health?: { status: HealthStatus; message?: string };
  resources?: ResourceStatus[];
  conditions?: Condition[];
  history?: HistoryEntry[];
  /** set by `berth app rollback`: the app stays on this commit until a newer one arrives or the pin is lifted */
  pinned?: { revision: string; sourceRevision: string; historyId: number };
  operationState?: OperationState;
  /** the last commit of the source branch seen, to lift a rollback pin when a newer one arrives */
  sourceRevision?: string;
  /**
   * What the last render read (src/sync/app/render-inputs.ts: `dir/` for a listed directory, else a
   * file), at which commit, from which source (a digest of repoURL, path, directory): a newer commit
   * touching none of `paths` only moves `sync.revision`.
   */
  renderInputs?: { revision: string; source: string; paths: string[] };
  /** `namespace/name` of each dependency → the revision it was seen Synced and Healthy at */
  dependencies?: Record<string, string>;
}

export interface Application extends KubeObject {
  spec: ApplicationSpec;
  status?: ApplicationStatus;
}

/** The instance label value of an Application (label values allow `.`; namespaces never contain one). */
export function instanceOf(app: { metadata?: { namespace?: string; name?: string } }): string {
  return `${app.metadata?.namespace ?? ''}.${app.metadata?.name ?? ''}`;
}

/** The Application key (`namespace/name`) an instance label names. */
export function keyOfInstance(value: string): string | undefined {
  const i = value.indexOf('.');
  return i > 0 ? `${value.slice(0, i)}/${value.slice(i + 1)}` : undefined;
}
