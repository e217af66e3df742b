/**
 * Commit statuses for Applications: which commit a sync is applying (pending) and how it ended
 * (success, failure), posted where the Application's `notify.berth.dev/*` annotations say. Posts go
 * out in the background, in order per Application, once per commit and state, so a slow or absent
 * Git host never holds up a reconcile.
 */
import type { Client } from '../../controlplane/client/client.js';
import { ref } from '../../controlplane/client/refs.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import type { Application, ApplicationStatus } from '../app/types.js';
import { postStatus, repositoryOf, STATUS_FORMATS, type CommitState, type PostOptions, type StatusFormat, type StatusTarget } from './commit-status.js';

/** The prefix of every notify annotation. */
export const NOTIFY_ANNOTATION_PREFIX = 'notify.berth.dev/';

/**
 * The notify annotations among `annotations`, to copy onto Applications made from another object
 * (a PreviewSet's onto each preview's Application, so every preview's syncs post statuses).
 */
export function notifyAnnotationsOf(annotations: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => k.startsWith(NOTIFY_ANNOTATION_PREFIX)));
}

/** The webhook URL (generic) or API base URL (github, gitea); statuses are posted only when it is set. */
export const NOTIFY_URL_ANNOTATION = 'notify.berth.dev/url';
/** `generic` (default), `github` or `gitea`. */
export const NOTIFY_FORMAT_ANNOTATION = 'notify.berth.dev/format';
/** A Secret in the Application's namespace whose `token` key authenticates the post. */
export const NOTIFY_TOKEN_SECRET_ANNOTATION = 'notify.berth.dev/token-secret';
/** `owner/repo` for github and gitea (default: from spec.source.repoURL). */
export const NOTIFY_REPOSITORY_ANNOTATION = 'notify.berth.dev/repository';
/** The status context (default `berth/sync/NAMESPACE/NAME`). */
export const NOTIFY_CONTEXT_ANNOTATION = 'notify.berth.dev/context';
/** The link a status carries. */
export const NOTIFY_TARGET_URL_ANNOTATION = 'notify.berth.dev/target-url';

/** Where an Application's statuses go, read from its annotations. */
export interface ApplicationNotifyConfig {
  target: StatusTarget;
  tokenSecret?: string;
  context: string;
  targetUrl?: string;
}

/**
 * The notify configuration of `app`: undefined when it has no `notify.berth.dev/url`; throws when the
 * annotations are wrong (naming the annotation and what it accepts).
 */
export function notifyConfig(app: Application): ApplicationNotifyConfig | undefined {
  const a = app.metadata?.annotations ?? {};
  const url = a[NOTIFY_URL_ANNOTATION];
  if (!url) return undefined;
  if (!/^https?:\/\//.test(url)) throw new Error(`annotation ${NOTIFY_URL_ANNOTATION}: ${JSON.stringify(url)} is not an http(s) URL`);
  const format = (a[NOTIFY_FORMAT_ANNOTATION] ?? 'generic') as StatusFormat;
  if (!STATUS_FORMATS.includes(format)) throw new Error(`annotation ${NOTIFY_FORMAT_ANNOTATION}: ${JSON.stringify(format)} is not one of ${STATUS_FORMATS.join(', ')}`);
  const repository = a[NOTIFY_REPOSITORY_ANNOTATION] ?? repositoryOf(app.spec.source.repoURL);
  if (format !== 'generic' && !repository) {
    throw new Error(`annotation ${NOTIFY_REPOSITORY_ANNOTATION}: a ${format} status needs owner/repo and ${JSON.stringify(app.spec.source.repoURL)} does not name one; set the annotation`);
  }
  return {
    target: { url, format, repository },
    tokenSecret: a[NOTIFY_TOKEN_SECRET_ANNOTATION],
    context: a[NOTIFY_CONTEXT_ANNOTATION] ?? `berth/sync/${app.metadata?.namespace ?? 'default'}/${app.metadata?.name ?? ''}`,
    targetUrl: a[NOTIFY_TARGET_URL_ANNOTATION],
  };
}

/** The state and description a finished sync reports, from the status the controller wrote. */
export function finishedState(status: ApplicationStatus): { state: CommitState; description: string } {
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { state: 'success', description: `${ready.message ?? 'synced'}; health ${status.health?.status ?? 'Unknown'}` };
  return { state: 'failure', description: `${ready?.reason ?? 'Failed'}: ${ready?.message ?? 'the sync did not finish'}` };
}

/** What the Application controller calls; neither method waits for the post. */
export interface ApplicationStatusReporter {
  /** a sync of `sha` starts applying */
  pending(app: Application, sha: string): void;
  /** a sync of `sha` ended with `status` (success when Ready is True, else failure) */
  finished(app: Application, sha: string, status: ApplicationStatus): void;
  /** resolves once every post queued so far is done (tests, shutdown) */
  idle(): Promise<void>;
}

/**
 * A reporter posting through `client` (which reads the token Secrets). `onError` hears about
 * configuration errors and posts that failed after their retries.
 */
export function applicationStatusReporter(client: Client, onError: (app: Application, message: string) => void, post: PostOptions = {}): ApplicationStatusReporter {
  /** per Application: the commit last reported and the states posted for it */
  const posted = new Map<string, { sha: string; states: Set<CommitState> }>();
  /** per Application: the tail of its queue of posts, so they arrive in order */
  const queues = new Map<string, Promise<void>>();
  const keyOf = (app: Application) => `${app.metadata?.namespace}/${app.metadata?.name}`;

  function send(app: Application, sha: string, state: CommitState, description: string): void {
    let config: ApplicationNotifyConfig | undefined;
    try {
      config = notifyConfig(app);
    } catch (e) {
      onError(app, (e as Error).message);
      return;
    }
    if (!config) return;
    const key = keyOf(app);
    let seen = posted.get(key);
    if (seen?.sha !== sha) posted.set(key, (seen = { sha, states: new Set() }));
    if (seen.states.has(state)) return;
    seen.states.add(state);
    const cfg = config;
    const run = async () => {
      let token: string | undefined;
      if (cfg.tokenSecret) {
        const secret = await client.find<KubeObject & { data?: Record<string, string> }>(ref('v1', 'Secret'), cfg.tokenSecret, app.metadata?.namespace);
        if (!secret?.data?.token) return onError(app, `annotation ${NOTIFY_TOKEN_SECRET_ANNOTATION}: Secret "${cfg.tokenSecret}" has no key "token" (or does not exist); create it with kubectl create secret generic ${cfg.tokenSecret} --from-literal=token=...`);
        token = Buffer.from(secret.data.token, 'base64').toString('utf8');
      }
      const r = await postStatus({ ...cfg.target, token }, { state, sha, context: cfg.context, description, targetUrl: cfg.targetUrl, kind: 'sync', repoURL: app.spec.source.repoURL }, post);
      if (!r.ok) onError(app, `commit status ${state} for ${sha.slice(0, 7)} not delivered after ${r.attempts} attempts: ${r.error}`);
    };
    const next = (queues.get(key) ?? Promise.resolve()).then(run).catch((e: Error) => onError(app, `commit status ${state} for ${sha.slice(0, 7)}: ${e.message}`));
    queues.set(key, next);
    void next.then(() => queues.get(key) === next && queues.delete(key));
  }

  return {
    pending: (app, sha) => send(app, sha, 'pending', `syncing ${sha.slice(0, 7)} into namespace ${app.spec.destination.namespace}`),
    finished(app, sha, status) {
      const { state, description } = finishedState(status);
      send(app, sha, state, description);
    },
    async idle() {
      while (queues.size > 0) await Promise.all(queues.values());
    },
  };
}
