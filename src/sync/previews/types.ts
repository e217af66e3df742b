/**
 * The PreviewSet kind (berth.dev/v1alpha1) as the previews controller reads and writes it: which refs
 * of a repository get a preview environment, what each preview holds (an Application from a
 * template, a namespace with a ResourceQuota and a LimitRange) and when it expires; and the labels and
 * annotations that mark the objects a preview owns.
 */
import type { KubeObject } from '../../controlplane/resources/types.js';
import type { ApplicationSpec, Condition, HealthStatus } from '../app/types.js';

/** On preview namespaces and Applications: the PreviewSet's name and namespace. */
export const SET_LABEL = 'preview.berth.dev/set';
export const SET_NAMESPACE_LABEL = 'preview.berth.dev/set-namespace';
/** On preview namespaces: the ref as a label value (sanitised; the full ref is in REF_ANNOTATION). */
export const REF_LABEL = 'preview.berth.dev/ref';
export const REF_ANNOTATION = 'preview.berth.dev/ref';
/** On preview namespaces: the commit the preview is at. */
export const COMMIT_LABEL = 'preview.berth.dev/commit';
/**
 * On a PreviewSet: previews deleted by hand (`berth preview delete SET --ref REF`), a JSON object of
 * full ref → commit; such a preview stays deleted until its ref moves to another commit.
 */
export const DELETED_ANNOTATION = 'preview.berth.dev/deleted';
/** Held on a PreviewSet until its preview namespaces are gone (namespaces cannot have a namespaced owner). */
export const PREVIEWS_FINALIZER = 'preview.berth.dev/cleanup';
/** The field manager of the previews controller's writes. */
export const PREVIEWS_MANAGER = 'berth-previews';
/** Names of the ResourceQuota and LimitRange in each preview namespace. */
export const QUOTA_NAME = 'preview-quota';
export const LIMITS_NAME = 'preview-limits';

export interface PreviewSetSpec {
  source: {
    repoURL: string;
    /** a Secret in the PreviewSet's namespace with `username`/`password` or `token` (as Application's) */
    credentialsSecret?: string;
  };
  /** branch globs (`pr/*`, `feature/**`): `*` stays within one `/` segment, `**` crosses them */
  branches?: string[];
  /**
   * globs over full ref names, for what Git hosts publish for pull requests: GitHub's and Gitea's
   * `refs/pull/<n>/head`, GitLab's `refs/merge-requests/<n>/head` (write `*` for `<n>`)
   */
  refs?: string[];
  /** what each preview's Application gets; source.repoURL, revision and destination are filled in */
  template?: {
    path?: string;
    directory?: ApplicationSpec['source']['directory'];
    syncPolicy?: ApplicationSpec['syncPolicy'];
    ignoreDifferences?: ApplicationSpec['ignoreDifferences'];
  };
  namespace?: {
    /** namespace names start with this (default `<PreviewSet name>-`) */
    prefix?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  /** a ResourceQuota spec for each preview namespace (`hard: { pods: "10", requests.cpu: "2" }`) */
  resourceQuota?: Record<string, unknown>;
  /** a LimitRange spec for each preview namespace (`limits: [{ type: Container, default: {...} }]`) */
  limitRange?: Record<string, unknown>;
  /** a preview is deleted this long after it was created (Go duration plus `d`: `72h`, `7d`, `1h30m`) */
  ttl?: string;
  /** a preview is deleted when its ref got no new commit for this long */
  idleTimeout?: string;
  /** how often the repository's refs are listed, default the sync poll interval */
  pollInterval?: string;
}

/** Expired and Deleted previews are gone and stay listed until their ref moves to a new commit. */
export type PreviewPhase = 'Active' | 'Expired' | 'Deleted' | 'Failed';

/** One preview as the PreviewSet's status lists it. */
export interface PreviewStatus {
  /** the full ref (`refs/heads/pr/foo`, `refs/pull/12/head`) */
  ref: string;
  commit: string;
  namespace: string;
  /** the Application's name (in the PreviewSet's namespace) */
  application: string;
  phase: PreviewPhase;
  sync?: string;
  health?: HealthStatus;
  /** when this preview was created */
  createdAt: string;
  /** when the controller first saw the ref at `commit` (idle expiry counts from here) */
  commitSeenAt: string;
  expiresAt?: string;
  /** why the preview is not (fully) up: `OverQuota`, `SyncFailed`, `Expired`, `Deleted`, `NamespaceTaken`, ... */
  reason?: string;
  message?: string;
  /** where its Services answer on this machine (the Service proxy's ports) */
  urls?: { service: string; port: string; url: string }[];
}

export interface PreviewSetStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  previews?: PreviewStatus[];
}

export interface PreviewSet extends KubeObject {
  spec: PreviewSetSpec;
  status?: PreviewSetStatus;
}
