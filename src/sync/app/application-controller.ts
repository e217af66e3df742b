/**
 * The Application controller: keeps the objects a Git path describes applied in the cluster. A
 * reconcile is ordered steps with one signature (Flux's habit) — source, render, compare (dry run),
 * apply, prune, health — followed by one summarizer that always writes status. It acts through the
 * API as the sync identity, so RBAC and admission policies apply to every object it writes.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { ResourceRef } from '../../controlplane/client/client.js';
import { ref } from '../../controlplane/client/refs.js';
import { StatusError } from '../../controlplane/api/errors.js';
import type { Controller } from '../../controlplane/controllers/runtime/controller.js';
import { registry } from '../../controlplane/resources/registry.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { GitSourceError } from '../git/errors.js';
import { createHash } from 'node:crypto';
import type { CommitInfo, GitSource, RepoCredentials, SourceTree } from '../git/source.js';
import { diff } from '../diff/index.js';
import { assess, rollUp } from '../health/index.js';
import { mapLimit } from '../apply/concurrency.js';
import { kindRank, waveOf } from '../apply/order.js';
import { jobOutcome, type HookPhase, type JobOutcome } from '../apply/hooks.js';
import { itemId, planPrune, type InventoryItem } from '../apply/prune.js';
import { render } from '../render/index.js';
import { apiVersionOf, describeItem, desiredSet, itemOf, type Desired } from './desired.js';
import { checkDependencies, dependencyKey, type Blocked } from './dependencies.js';
import { HOOK_OPERATION_LABEL, HOOK_PHASE_LABEL, hookKey, runHook, type Hook } from './hook-runner.js';
import { applicationStatusReporter } from '../status/application-status.js';
import type { LiveWatches } from './live-watches.js';
import { recordingReader, touches, type RenderInputs } from './render-inputs.js';
import {
  APP_API_VERSION, FIELD_MANAGER, INSTANCE_LABEL, PRUNE_ANNOTATION, RESOURCES_FINALIZERS, SYNC_REQUEST_ANNOTATION, instanceOf,
  type Application, type ApplicationStatus, type Condition, type HealthStatus, type HistoryEntry, type OperationState, type ResourceStatus, type SyncRequest,
} from './types.js';

/** Annotations `berth app rollback` sets: the commit to stay on, and the source head when pinned. */
export const PIN_ANNOTATION = 'app.berth.dev/pinned-revision';
export const PIN_SOURCE_ANNOTATION = 'app.berth.dev/pinned-source-revision';

const HISTORY_LIMIT = 10;
/** a blocked Application is re-checked when a dependency changes (watch), and at least this often */
const BLOCKED_RECHECK_MS = 30_000;
/** API calls a reconcile has in flight at once (dry runs, applies, reads) */
const API_CONCURRENCY = 16;
/** default for spec.syncPolicy.timeoutSeconds: the longest one hook or one wave is waited for */
const DEFAULT_STEP_TIMEOUT_S = 300;

/**
 * The pure engines the controller calls, src/sync/render and src/sync/health unless replaced (tests).
 * `render` reads from a snapshot rooted at the repository root and throws a RenderError
 * (`file:line: message`) on bad input.
 */
export interface SyncEngines {
  render?: typeof render;
  assess?(obj: KubeObject): { status: HealthStatus; message?: string };
}

export interface ApplicationControllerOptions {
  git: GitSource;
  engines?: SyncEngines;
  watches: LiveWatches;
  /** poll interval (jittered +0–20%), default 60 s */
  pollIntervalMs?: number;
  /** requeue while resources are Progressing, default 2 s */
  progressIntervalMs?: number;
  /** told each time an Application (`namespace/name`) is found Synced at a revision */
  onSynced?: (key: string, revision: string) => void;
}

export const applicationsRef: ResourceRef = ref(APP_API_VERSION, 'Application');

/** A step failed in a way that is reported in status; `retry` true retries with backoff. */
class StepError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    /** retried with backoff; otherwise an operation that failed this way is not restarted at the same commit */
    readonly retry = false,
  ) {
    super(message);
  }
}

/** `conditions` with `c` set, keeping its lastTransitionTime when nothing about it changed. */
function setCondition(conditions: Condition[] | undefined, c: Omit<Condition, 'lastTransitionTime'>, now: string): Condition[] {
  const old = conditions?.find((x) => x.type === c.type);
  const same = old && old.status === c.status && old.reason === c.reason && old.message === c.message;
  return [...(conditions ?? []).filter((x) => x.type !== c.type), { ...c, lastTransitionTime: same ? old.lastTransitionTime : now }];
}

/** What shapes a render besides the commit: a change to any of it renders again. */
function sourceDigest(app: Application): string {
  const { repoURL, path, directory } = app.spec.source;
  return createHash('sha256').update(JSON.stringify([repoURL, path ?? '', directory ?? {}])).digest('hex').slice(0, 16);
}

const keyOf = (a: Application) => `${a.metadata?.namespace}/${a.metadata?.name}`;

/** Everything a reconcile learned, handed from step to step and to the summarizer. */
interface SyncState {
  app: Application;
  request?: SyncRequest;
  commit?: CommitInfo;
  sourceHead?: string;
  desired?: Desired[];
  /** hook Jobs of the render, run by sync operations only */
  hooks: (Hook & { wave: number })[];
  /** the sync operation this reconcile advances, if any */
  op?: OperationState;
  /** the operation ran to its end in this reconcile */
  opDone?: boolean;
  /** reconcilePrune ran (it builds the inventory, once) */
  pruneRan?: boolean;
  resources: ResourceStatus[];
  inventory: InventoryItem[];
  applied: number;
  pruned: number;
  operation: boolean;
  failure?: StepError;
  pruneBlocked?: string;
  renderInputs?: NonNullable<ApplicationStatus['renderInputs']>;
  /** the commit touched nothing the last render read: only the revision is recorded */
  unchanged?: boolean;
  /** only applied objects' status changed: only health is assessed again */
  healthOnly?: boolean;
  /** dependencies seen ready (status.dependencies), and what blocks the sync if one is not */
  dependencies?: Record<string, string>;
  blocked?: Blocked;
}

export function decodeSecret(s: KubeObject & { data?: Record<string, string> }): RepoCredentials {
  const d = (k: string) => (s.data?.[k] ? Buffer.from(s.data[k], 'base64').toString('utf8') : undefined);
  return { username: d('username'), password: d('password'), token: d('token') };
}

function parseRequest(app: Application): SyncRequest | undefined {
  const raw = app.metadata?.annotations?.[SYNC_REQUEST_ANNOTATION];
  if (!raw) return undefined;
  try {
    const r = JSON.parse(raw) as SyncRequest;
    return r.id && r.id !== app.status?.operationState?.requestId ? r : undefined;
  } catch {
    return undefined;
  }
}

export function applicationController(opts: ApplicationControllerOptions): Controller {
  const pollMs = opts.pollIntervalMs ?? 60_000;
  const progressMs = opts.progressIntervalMs ?? 2_000;
  return {
    name: 'application-controller',
    setup(ctx) {
      const client = ctx.client;
      const statuses = applicationStatusReporter(client, (a, message) => void ctx.events.record(a, 'Warning', 'CommitStatusFailed', message));
      /** per Application: the objects last rendered, at which commit, from which source, reading what */
      const rendered = new Map<string, { revision: string; source: string; objects: KubeObject[]; paths: RenderInputs }>();
      /** Applications whose live objects changed since their last full reconcile (no skipping those) */
      const dirty = new Set<string>();
      /** hook Jobs the watch saw finish (hookKey → outcome), so one deleted at once (a TTL of 0) still counts */
      const seenHooks = new Map<string, JobOutcome>();
      opts.watches.observe = (o) => {
        const op = o.metadata?.labels?.[HOOK_OPERATION_LABEL];
        const phase = o.metadata?.labels?.[HOOK_PHASE_LABEL];
        if (!op || !phase) return;
        const outcome = jobOutcome(o);
        if (outcome.status === 'Running') return;
        if (seenHooks.size >= 10_000) seenHooks.clear();
        seenHooks.set(hookKey(o.metadata?.namespace, o.metadata!.name!, op, phase), outcome);
      };
      opts.watches.enqueue = ctx.enqueue;
      /** Applications only whose objects' status changed since their last reconcile: health is all that can have moved */
      const statusOnly = new Set<string>();
      opts.watches.onLiveChange = (k, onlyStatus) => {
        if (onlyStatus) statusOnly.add(k);
        else dirty.add(k);
        ctx.enqueue(k);
      };
      const apps = ctx.informers.get<Application>(applicationsRef);
      // status writes are ours: only spec, annotation and label changes (and adds) need a reconcile
      const intent = (a: Application) => JSON.stringify([a.spec, a.metadata?.annotations, a.metadata?.labels, a.metadata?.deletionTimestamp]);
      // any change of an Application (its status too) re-evaluates the Applications that depend on it
      const pokeDependents = (a: Application) => {
        for (const d of apps.list((x) => (x.spec?.dependsOn ?? []).some((r) => dependencyKey(x, r) === keyOf(a)))) ctx.enqueue(keyOf(d));
      };
      apps.on({
        onAdd: (a) => {
          ctx.enqueue(keyOf(a));
          pokeDependents(a);
        },
        onUpdate: (old, a) => {
          if (old === a || intent(old) !== intent(a)) ctx.enqueue(keyOf(a));
          pokeDependents(a);
        },
        onDelete: (a) => {
          rendered.delete(keyOf(a));
          pokeDependents(a);
        },
      });

      /** Resolves the source revision (or the rollback pin) to a commit. Sets Ready=False FetchFailed. */
      async function reconcileSource(s: SyncState): Promise<SourceTree> {
        const src = s.app.spec.source;
        let credentials: RepoCredentials | undefined;
        if (src.credentialsSecret) {
          const secret = await client.find<KubeObject & { data?: Record<string, string> }>(ref('v1', 'Secret'), src.credentialsSecret, s.app.metadata!.namespace);
          if (!secret) throw new StepError('FetchFailed', `credentials Secret "${src.credentialsSecret}" not found`);
          credentials = decodeSecret(secret);
        }
        try {
          const head = await opts.git.resolve({ repoURL: src.repoURL, revision: src.targetRevision, credentials, refresh: !!s.request });
          s.sourceHead = head.commit.sha;
          const pin = s.app.metadata?.annotations?.[PIN_ANNOTATION];
          let resolved = head;
          if (pin && s.app.metadata?.annotations?.[PIN_SOURCE_ANNOTATION] === head.commit.sha) {
            resolved = await opts.git.resolve({ repoURL: src.repoURL, revision: pin, credentials });
          } else if (pin) {
            // a newer commit arrived: the rollback pin is lifted
            await client.patch(applicationsRef, s.app.metadata!.name!, 'merge', { metadata: { annotations: { [PIN_ANNOTATION]: null, [PIN_SOURCE_ANNOTATION]: null } } }, { namespace: s.app.metadata!.namespace });
          }
          s.commit = resolved.commit;
          return resolved.tree;
        } catch (e) {
          if (e instanceof GitSourceError) throw new StepError(e.code === 'RevisionNotFound' || e.code === 'AuthFailed' ? e.code : 'FetchFailed', e.message);
          throw e;
        }
      }

      /**
       * True when the commit changed since the last render but touched none of the files that render
       * read, and nothing else asks for work (a sync request, a spec change, a live object changed, the
       * last sync not clean): the monorepo skip. The Application then records the new commit without
       * rendering, comparing or applying. (When only a live change asks for work, reconcileRender still
       * reuses the objects rendered before.)
       */
      async function reconcileUnchanged(s: SyncState): Promise<boolean> {
        const st = s.app.status;
        const prev = st?.renderInputs;
        const ready = st?.conditions?.find((c) => c.type === 'Ready');
        if (s.request || !prev || prev.revision === s.commit!.sha || prev.source !== sourceDigest(s.app)) return false;
        if (ready?.reason !== 'Synced' || st?.sync?.revision !== prev.revision || st?.observedGeneration !== s.app.metadata?.generation) return false;
        if (s.app.metadata?.annotations?.[PIN_ANNOTATION] || dirty.has(keyOf(s.app))) return false;
        const changed = await opts.git.changedPaths(s.app.spec.source.repoURL, prev.revision, s.commit!.sha);
        if (!changed || touches(prev.paths, changed)) return false;
        s.renderInputs = { ...prev, revision: s.commit!.sha };
        return true;
      }

      /**
       * True when all that happened since the last clean sync is status changes of applied objects
       * (a rollout progressing): the health of each object is read again and nothing else is done —
       * no render, no dry run. Anything else (a spec change, a new commit, a request, a live edit, an
       * operation under way) takes the full reconcile.
       */
      async function reconcileHealthOnly(s: SyncState): Promise<boolean> {
        const key = keyOf(s.app);
        const st = s.app.status;
        const onlyStatus = statusOnly.delete(key);
        if (!onlyStatus || dirty.has(key) || s.request || !st?.resources) return false;
        if (st.conditions?.find((c) => c.type === 'Ready')?.reason !== 'Synced' || st.sync?.revision !== s.commit!.sha || st.observedGeneration !== s.app.metadata?.generation) return false;
        if (st.operationState?.phase === 'Running' || s.app.metadata?.annotations?.[PIN_ANNOTATION]) return false;
        s.resources = structuredClone(st.resources);
        s.healthOnly = true;
        await reconcileHealth(s);
        return true;
      }

      /**
       * Renders the path (or takes the objects rendered at this commit before) and completes them
       * (namespace, instance label), recording what the render read. Sets Ready=False RenderFailed.
       */
      async function reconcileRender(s: SyncState, tree: SourceTree): Promise<void> {
        const key = keyOf(s.app);
        const source = sourceDigest(s.app);
        let cached = rendered.get(key);
        if (cached && cached.source === source && cached.revision !== s.commit!.sha) {
          // a commit that touched nothing the render read renders the same objects
          const changed = await opts.git.changedPaths(s.app.spec.source.repoURL, cached.revision, s.commit!.sha);
          if (changed && !touches(cached.paths, changed)) cached.revision = s.commit!.sha;
        }
        if (!cached || cached.revision !== s.commit!.sha || cached.source !== source) {
          const src = s.app.spec.source;
          try {
            const files = recordingReader(await tree.snapshot(''));
            const objects = (opts.engines?.render ?? render)(files, { path: src.path ?? '', ...src.directory }).objects.map((r) => r.object);
            cached = { revision: s.commit!.sha, source, objects, paths: files.inputs() };
          } catch (e) {
            rendered.delete(key);
            if (e instanceof GitSourceError) throw new StepError('FetchFailed', e.message);
            throw new StepError('RenderFailed', (e as Error).message);
          }
          rendered.set(key, cached);
        }
        s.renderInputs = { revision: cached.revision, source, paths: cached.paths };
        try {
          const set = desiredSet(s.app, cached.objects);
          s.desired = set.desired;
          s.hooks = set.hooks;
        } catch (e) {
          throw new StepError('RenderFailed', (e as Error).message);
        }
      }

      /**
       * Dry-runs the creation of a hook Job as runHook creates it. A Job of that name still there (an
       * earlier operation's, which runHook replaces, or this operation's) is not what the create will
       * meet, so the Job is then dry-run under a generated name instead of against it.
       */
      async function dryRunHook(h: Hook): Promise<void> {
        const { name, namespace } = h.obj.metadata!;
        if (!(await client.find<KubeObject>(h.ref, name!, namespace))) {
          await client.patch(h.ref, name!, 'apply', h.obj, { namespace, fieldManager: FIELD_MANAGER, force: true, dryRun: true });
          return;
        }
        const metadata = { ...h.obj.metadata, generateName: `${name}-` };
        delete metadata.name;
        await client.create(h.ref, { ...h.obj, metadata }, { namespace, fieldManager: FIELD_MANAGER, dryRun: true });
      }

      /**
       * Dry-runs the whole set — hook Jobs too — with server-side apply and compares each prediction
       * with the live object. Any rejection fails the sync before anything is written, a PreSync
       * hook included (Ready=False DryRunFailed).
       */
      async function reconcileCompare(s: SyncState): Promise<Map<Desired, string[] | 'missing'>> {
        const drift = new Map<Desired, string[] | 'missing'>();
        const newNamespaces = new Set<string>();
        const errors: (string | undefined)[] = [];
        const compare = async (d: Desired, i: number) => {
          const live = await client.find<KubeObject>(d.ref, d.item.name, d.item.namespace);
          if (!live && d.item.kind === 'Namespace') newNamespaces.add(d.item.name);
          try {
            const predicted = await client.patch<KubeObject>(d.ref, d.item.name, 'apply', d.obj, { namespace: d.item.namespace, fieldManager: FIELD_MANAGER, force: true, dryRun: true });
            drift.set(d, live ? diff(d.obj, live, { manager: FIELD_MANAGER, predicted, ignoreDifferences: s.app.spec.ignoreDifferences }).fields.map((f) => f.path) : 'missing');
          } catch (e) {
            if (e instanceof StatusError && e.reason === 'NotFound' && d.item.namespace && newNamespaces.has(d.item.namespace)) drift.set(d, 'missing');
            else errors[i] = `${describeItem(d.item)}: ${(e as Error).message}`;
          }
        };
        // Namespaces first: a dry run in a namespace that is still to be created is expected to fail
        const all = s.desired!.map((d, i) => [d, i] as const);
        await mapLimit(all.filter(([d]) => d.item.kind === 'Namespace'), API_CONCURRENCY, ([d, i]) => compare(d, i));
        // hook Jobs with the rest, one entry per Job (a Job can be the hook of several phases)
        const hooks = [...new Map(s.hooks.map((h) => [h.obj, h])).values()];
        const checkHook = async (h: Hook, i: number) => {
          const item = itemOf(h.obj);
          try {
            await dryRunHook(h);
          } catch (e) {
            if (!(e instanceof StatusError && e.reason === 'NotFound' && item.namespace && newNamespaces.has(item.namespace))) errors[i] = `${describeItem(item)} (${h.spec.phases.join(',')} hook): ${(e as Error).message}`;
          }
        };
        const rest = [...all.filter(([d]) => d.item.kind !== 'Namespace').map(([d, i]) => () => compare(d, i)), ...hooks.map((h, i) => () => checkHook(h, all.length + i))];
        await mapLimit(rest, API_CONCURRENCY, (run) => run());
        const failed = errors.filter((e): e is string => !!e);
        if (failed.length) throw new StepError('DryRunFailed', `nothing applied: ${failed.join('; ')}`);
        return drift;
      }

      /** Records each desired object as Synced or OutOfSync (with the fields that differ) in s.resources. */
      function recordResources(s: SyncState, drift: Map<Desired, string[] | 'missing'>): void {
        for (const d of s.desired!) {
          const dr = drift.get(d)!;
          const inSync = dr !== 'missing' && dr.length === 0;
          opts.watches.ensure(d.ref);
          s.resources.push({ ...d.item, status: inSync ? 'Synced' : 'OutOfSync', ...(inSync ? {} : { diff: dr === 'missing' ? undefined : dr, message: dr === 'missing' ? 'missing' : undefined }) });
        }
      }

      /** Applies those of `items` that drifted or are missing, in order (Ready=False SyncFailed, retried with backoff). */
      async function reconcileApply(s: SyncState, drift: Map<Desired, string[] | 'missing'>, items: Desired[]): Promise<void> {
        const byId = new Map(s.resources.map((r) => [itemId(r), r]));
        const todo = items.filter((d) => {
          const dr = drift.get(d)!;
          return dr === 'missing' || dr.length > 0;
        });
        // kinds in order (Namespaces before what lives in them, …); the objects of one kind at once
        for (const rank of [...new Set(todo.map((d) => kindRank(d.item.kind)))]) {
          await mapLimit(todo.filter((d) => kindRank(d.item.kind) === rank), API_CONCURRENCY, async (d) => {
            try {
              await client.patch(d.ref, d.item.name, 'apply', d.obj, { namespace: d.item.namespace, fieldManager: FIELD_MANAGER, force: true });
            } catch (e) {
              throw new StepError('SyncFailed', `${describeItem(d.item)}: ${(e as Error).message}`, true);
            }
            s.applied++;
            const r = byId.get(itemId(d.item))!;
            r.status = 'Synced';
            delete r.diff;
            delete r.message;
          });
        }
      }

      /**
       * Notes that the operation waits for `on` (a stable description) and fails it with SyncTimeout
       * once it has waited longer than spec.syncPolicy.timeoutSeconds for the same thing.
       */
      function waitFor(s: SyncState, on: string, detail: string): false {
        const now = new Date();
        if (s.op!.waiting?.on !== on) s.op!.waiting = { on, since: now.toISOString() };
        const limitS = s.app.spec.syncPolicy?.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_S;
        const waitedS = (now.getTime() - Date.parse(s.op!.waiting.since)) / 1000;
        if (waitedS > limitS) throw new StepError('SyncTimeout', `waited ${Math.round(waitedS)}s (timeoutSeconds ${limitS}) for ${on}: ${detail}`);
        s.op!.message = `waiting for ${on}: ${detail}`;
        return false;
      }

      /**
       * Runs the hooks of `phase` (of one wave for Sync hooks), wave by wave, all of a wave at once.
       * True when all succeeded; false while one runs; a failed one fails the operation (HookFailed).
       */
      async function runHooks(s: SyncState, phase: HookPhase, wave?: number): Promise<boolean> {
        const hooks = s.hooks.filter((h) => h.phase === phase && (wave === undefined || h.wave === wave));
        const waves = [...new Set(hooks.map((h) => h.wave))].sort((a, b) => a - b);
        const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        for (const w of waves) {
          const running: string[] = [];
          for (const h of hooks.filter((x) => x.wave === w).sort((a, b) => (a.obj.metadata!.name! < b.obj.metadata!.name! ? -1 : 1))) {
            opts.watches.ensure(h.ref);
            const i = s.op!.hooks!.findIndex((r) => r.phase === phase && r.name === h.obj.metadata!.name && r.namespace === h.obj.metadata!.namespace);
            const result = await runHook(client, h, s.op!.id!, i >= 0 ? s.op!.hooks![i] : undefined, (k) => seenHooks.get(k), now);
            if (i >= 0) s.op!.hooks![i] = result;
            else s.op!.hooks!.push(result);
            const what = `${phase} hook ${result.kind} ${result.namespace ? `${result.namespace}/` : ''}${result.name}`;
            if (result.status === 'Failed') throw new StepError('HookFailed', `${what} failed: ${result.reason}${result.message ? `: ${result.message}` : ''}`);
            if (result.status === 'Running') running.push(what);
          }
          if (running.length) return waitFor(s, running.join(', '), 'running');
        }
        return true;
      }

      /** True when every object of `items` is Healthy; a Degraded one fails the operation (WaveDegraded). */
      async function waveHealthy(s: SyncState, wave: number, items: Desired[]): Promise<boolean> {
        const waiting: string[] = [];
        for (const d of items) {
          const live = await client.find<KubeObject>(d.ref, d.item.name, d.item.namespace);
          const h = live ? (opts.engines?.assess ?? assess)(live) : { status: 'Missing' as HealthStatus };
          if (h.status === 'Degraded') throw new StepError('WaveDegraded', `wave ${wave}: ${describeItem(d.item)} is Degraded${h.message ? `: ${h.message}` : ''}; later waves were not applied`);
          if (h.status !== 'Healthy') waiting.push(`${describeItem(d.item)} ${h.status}`);
        }
        return waiting.length === 0 || waitFor(s, `wave ${wave} to be Healthy`, waiting.join(', '));
      }

      /**
       * One step of the sync operation: PreSync hooks, then each wave (its objects applied, its Sync
       * hooks run, and Healthy before the next wave), prune, and PostSync hooks once everything is
       * Healthy. Returns when it must wait (the watch or a short requeue brings it back) or is done.
       */
      async function reconcileOperation(s: SyncState, drift: Map<Desired, string[] | 'missing'>): Promise<void> {
        if (!(await runHooks(s, 'PreSync'))) return;
        const waves = [...new Set([...s.desired!.map((d) => waveOf(d.obj)), ...s.hooks.filter((h) => h.phase === 'Sync').map((h) => h.wave)])].sort((a, b) => a - b);
        for (const [i, w] of waves.entries()) {
          const items = s.desired!.filter((d) => waveOf(d.obj) === w);
          await reconcileApply(s, drift, items);
          if (!(await runHooks(s, 'Sync', w))) return;
          if (i < waves.length - 1 && !(await waveHealthy(s, w, items))) return;
        }
        await reconcilePrune(s, !!s.op!.prune);
        await reconcileHealth(s);
        if (s.hooks.some((h) => h.phase === 'PostSync')) {
          const notHealthy = s.resources.filter((r) => r.message !== 'requires pruning' && r.health !== 'Healthy');
          const degraded = notHealthy.find((r) => r.health === 'Degraded');
          if (degraded) throw new StepError('WaveDegraded', `${describeItem(degraded)} is Degraded; PostSync hooks were not run`);
          if (notHealthy.length) return void waitFor(s, 'every object to be Healthy before the PostSync hooks', notHealthy.map((r) => `${describeItem(r)} ${r.health}`).join(', '));
          if (!(await runHooks(s, 'PostSync'))) return;
        }
        s.opDone = true;
      }

      /** Deletes what this Application applied before and Git dropped (Ready=False PruneBlocked over budget). */
      async function reconcilePrune(s: SyncState, act: boolean): Promise<void> {
        if (s.pruneRan) return;
        s.pruneRan = true;
        const previous = (s.app.status?.resources ?? []).map(({ group, version, kind, namespace, name }) => ({ group, version, kind, namespace, name }));
        const desiredItems = s.desired!.map((d) => d.item);
        const want = new Set(desiredItems.map(itemId));
        const live = new Map<string, { labels: Record<string, string>; annotations: Record<string, string> } | undefined>();
        await mapLimit(previous.filter((i) => !want.has(itemId(i))), API_CONCURRENCY, async (i) => {
          const type = registry.findKind(apiVersionOf(i), i.kind);
          const o = type ? await client.find<KubeObject>(ref(apiVersionOf(i), i.kind), i.name, i.namespace) : undefined;
          live.set(itemId(i), o && { labels: o.metadata?.labels ?? {}, annotations: o.metadata?.annotations ?? {} });
        });
        const plan = planPrune({ previous, desired: desiredItems, live, instance: instanceOf(s.app), budget: s.app.spec.syncPolicy?.pruneBudget ?? 0.25, allowPrune: !!s.request?.allowPrune || !!s.op?.allowPrune });
        const stale = act ? plan.delete : [];
        if (act && plan.blocked) s.pruneBlocked = plan.blocked;
        for (const i of [...stale].reverse()) {
          try {
            await client.delete(ref(apiVersionOf(i), i.kind), i.name, { namespace: i.namespace, propagationPolicy: 'Background' });
          } catch (e) {
            if (!(e instanceof StatusError && e.reason === 'NotFound')) throw new StepError('PruneFailed', `${describeItem(i)}: ${(e as Error).message}`, true);
          }
          s.pruned++;
        }
        const deleted = new Set(stale.map(itemId));
        // stale objects still ours stay in the inventory (OutOfSync, "requires pruning") until pruned
        for (const i of previous) {
          if (want.has(itemId(i)) || deleted.has(itemId(i)) || !live.get(itemId(i))) continue;
          if (live.get(itemId(i))!.labels[INSTANCE_LABEL] !== instanceOf(s.app)) continue;
          s.resources.push({ ...i, status: 'OutOfSync', message: 'requires pruning' });
        }
        s.inventory = s.resources.map(({ group, version, kind, namespace, name }) => ({ group, version, kind, namespace, name }));
      }

      /** Assesses each resource's health from its live object. */
      async function reconcileHealth(s: SyncState): Promise<void> {
        await mapLimit(s.resources.filter((r) => r.message !== 'requires pruning'), API_CONCURRENCY, async (r) => {
          const o = await client.find<KubeObject>(ref(apiVersionOf(r), r.kind), r.name, r.namespace);
          r.health = o ? (opts.engines?.assess ?? assess)(o).status : 'Missing';
        });
      }

      /** The one place that writes status: sync, health, conditions, history, operation state. */
      async function summarize(s: SyncState): Promise<ApplicationStatus> {
        const prev = s.app.status ?? {};
        const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        const f = s.failure;
        const status: ApplicationStatus = { ...prev, observedGeneration: s.app.metadata?.generation };
        if (s.sourceHead) status.sourceRevision = s.sourceHead;
        if (s.renderInputs) status.renderInputs = s.renderInputs;
        if (s.app.spec.dependsOn?.length) {
          status.dependencies = s.dependencies;
          const ready = Object.entries(s.dependencies ?? {}).map(([k, rev]) => `${k} at ${rev.slice(0, 7)}`).join(', ');
          const blockedOn: Omit<Condition, 'lastTransitionTime'> = s.blocked ? { type: 'BlockedOn', status: 'True', ...s.blocked } : { type: 'BlockedOn', status: 'False', reason: 'DependenciesReady', message: `ready: ${ready}` };
          status.conditions = setCondition(status.conditions, blockedOn, now);
        } else {
          delete status.dependencies;
          status.conditions = status.conditions?.filter((c) => c.type !== 'BlockedOn');
        }
        if (s.blocked) {
          // nothing is applied while blocked; what runs stays, and so does its sync and health status
          status.conditions = setCondition(status.conditions, { type: 'Ready', status: 'False', reason: 'Blocked', message: s.blocked.message }, now);
          return status;
        }
        if (s.unchanged) {
          status.sync = { ...prev.sync!, revision: s.commit!.sha, author: s.commit!.author, message: s.commit!.message, comparedAt: now };
          return status;
        }
        if (s.healthOnly) {
          status.resources = s.resources;
          status.health = { status: rollUp(s.resources.map((r) => r.health ?? 'Unknown')) };
          return status;
        }
        const pin = s.app.metadata?.annotations?.[PIN_ANNOTATION];
        if (pin && s.commit?.sha === pin) status.pinned = { revision: pin, sourceRevision: s.sourceHead ?? '', historyId: prev.pinned?.historyId ?? 0 };
        else delete status.pinned;
        if (s.desired && (!f || !!s.op || f.reason === 'PruneFailed')) {
          status.resources = s.resources;
          const outOfSync = s.resources.some((r) => r.status !== 'Synced') || !!s.pruneBlocked || !!f;
          status.sync = { status: outOfSync ? 'OutOfSync' : 'Synced', revision: s.commit!.sha, author: s.commit!.author, message: s.commit!.message, comparedAt: now };
          status.health = { status: rollUp(s.resources.map((r) => r.health ?? 'Unknown')) };
        } else {
          // fetch, render or dry run failed: the last good state stays, and so does its status
          status.sync = { ...(prev.sync ?? { status: 'Unknown' }), status: f?.reason === 'RenderFailed' || f?.reason === 'DryRunFailed' ? 'OutOfSync' : 'Unknown', comparedAt: now };
        }
        const ready: Omit<Condition, 'lastTransitionTime'> = f
          ? { type: 'Ready', status: 'False', reason: f.reason, message: f.message }
          : s.op && !s.opDone
            ? { type: 'Ready', status: 'False', reason: 'Syncing', message: s.op.message ?? 'sync in progress' }
          : s.pruneBlocked
            ? { type: 'Ready', status: 'False', reason: 'PruneBlocked', message: s.pruneBlocked }
            : status.sync.status === 'Synced'
              ? { type: 'Ready', status: 'True', reason: 'Synced', message: `applied revision ${s.commit!.sha.slice(0, 7)}` }
              : { type: 'Ready', status: 'False', reason: 'OutOfSync', message: 'live state differs from Git; automated sync is off' };
        status.conditions = setCondition(status.conditions, ready, now);
        if (s.op) {
          const phase: OperationState['phase'] = f ? 'Failed' : s.opDone ? 'Succeeded' : 'Running';
          const op: OperationState = { ...s.op, requestId: s.request?.id ?? prev.operationState?.requestId, phase };
          if (phase !== 'Running') {
            delete op.waiting;
            op.finishedAt = now;
            op.message = f?.message ?? `applied ${s.applied}, pruned ${s.pruned}${op.hooks?.length ? `, ${op.hooks.length} hook(s) succeeded` : ''}`;
            if (f && !f.retry) op.terminal = true;
            const history = prev.history ?? [];
            const id = (history[history.length - 1]?.id ?? 0) + 1;
            const entry: HistoryEntry = { id, revision: s.commit!.sha, author: s.commit!.author, message: s.commit!.message.split('\n')[0], deployedAt: now, initiatedBy: s.request?.by ?? 'automated', result: f ? 'Failed' : 'Succeeded' };
            if (op.hooks?.length) entry.hooks = op.hooks;
            status.history = [...history, entry].slice(-HISTORY_LIMIT);
          }
          status.operationState = op;
        } else if (s.operation || s.request) {
          const result: HistoryEntry['result'] = f ? 'Failed' : 'Succeeded';
          if (s.commit && (s.applied > 0 || s.pruned > 0 || s.request)) {
            const history = prev.history ?? [];
            const id = (history[history.length - 1]?.id ?? 0) + 1;
            status.history = [...history, { id, revision: s.commit.sha, author: s.commit.author, message: s.commit.message.split('\n')[0], deployedAt: now, initiatedBy: s.request?.by ?? 'automated', result }].slice(-HISTORY_LIMIT);
          }
          status.operationState = { requestId: s.request?.id ?? prev.operationState?.requestId, phase: result, message: f?.message ?? `applied ${s.applied}, pruned ${s.pruned}`, finishedAt: now };
        }
        return status;
      }

      /**
       * An Application being deleted with a resources finalizer: deletes its inventory (last applied
       * first; only objects still carrying its instance label, never one marked prune=false), waits
       * until they are gone, then removes the finalizer so the Application goes too.
       */
      async function reconcileDelete(app: Application): Promise<{ requeueAfterMs: number } | undefined> {
        const finalizers = app.metadata?.finalizers ?? [];
        if (!finalizers.some((f) => RESOURCES_FINALIZERS.includes(f))) return undefined;
        let waiting = 0;
        for (const i of [...(app.status?.resources ?? [])].reverse()) {
          const type = registry.findKind(apiVersionOf(i), i.kind);
          if (!type) continue;
          const r = ref(apiVersionOf(i), i.kind);
          const live = await client.find<KubeObject>(r, i.name, i.namespace);
          if (!live || live.metadata?.labels?.[INSTANCE_LABEL] !== instanceOf(app) || live.metadata?.annotations?.[PRUNE_ANNOTATION] === 'false') continue;
          waiting++;
          if (live.metadata?.deletionTimestamp) continue;
          try {
            await client.delete(r, i.name, { namespace: i.namespace, propagationPolicy: 'Background' });
          } catch (e) {
            if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
          }
        }
        if (waiting > 0) return { requeueAfterMs: 1_000 };
        await client.patch(applicationsRef, app.metadata!.name!, 'merge', { metadata: { finalizers: finalizers.filter((f) => !RESOURCES_FINALIZERS.includes(f)), resourceVersion: app.metadata!.resourceVersion } }, { namespace: app.metadata!.namespace });
        void ctx.events.record(app, 'Normal', 'ResourcesDeleted', `deleted the objects of ${keyOf(app)}`);
        return undefined;
      }

      /** Writes status when it changed, records events, and says when to look again. */
      async function finish(s: SyncState): Promise<{ requeueAfterMs: number }> {
        const app = s.app;
        const status = await summarize(s);
        if (JSON.stringify({ ...status, sync: { ...status.sync, comparedAt: '' } }) !== JSON.stringify({ ...app.status, sync: { ...app.status?.sync, comparedAt: '' } })) {
          await client.updateStatus(applicationsRef, { ...app, status });
        }
        if (status.sync?.status === 'Synced' && status.sync.revision) opts.onSynced?.(keyOf(app), status.sync.revision);
        // an operation still waiting (on a hook, a wave) has not finished
        const running = !!s.op && !s.opDone && !s.failure;
        if (s.operation && s.commit && !running) statuses.finished(app, s.commit.sha, status);
        if (s.failure) {
          void ctx.events.record(app, 'Warning', s.failure.reason, s.failure.message);
          if (s.failure.retry) throw s.failure;
        } else if (s.applied || s.pruned) void ctx.events.record(app, 'Normal', 'Synced', `applied ${s.applied}, pruned ${s.pruned} at ${s.commit!.sha.slice(0, 7)}`);
        if (s.blocked) return { requeueAfterMs: BLOCKED_RECHECK_MS };
        const progressing = running || s.resources.some((r) => r.health === 'Progressing' || r.health === 'Missing');
        return { requeueAfterMs: progressing ? progressMs : pollMs + randomInt(0, Math.max(1, Math.floor(pollMs / 5))) };
      }

      return {
        async reconcile(appKey) {
          const [namespace, name] = appKey.split('/');
          const app = await client.find<Application>(applicationsRef, name, namespace);
          if (!app) return;
          if (app.metadata?.deletionTimestamp) return reconcileDelete(app);
          const automated = app.spec.syncPolicy?.automated;
          const s: SyncState = { app, request: parseRequest(app), hooks: [], resources: [], inventory: [], applied: 0, pruned: 0, operation: false };
          try {
            const tree = await reconcileSource(s);
            const deps = checkDependencies(app, (k) => apps.get(k));
            s.dependencies = deps.ready;
            s.blocked = deps.blocked;
            if (s.blocked) return await finish(s);
            if (await reconcileHealthOnly(s)) return await finish(s);
            s.unchanged = await reconcileUnchanged(s);
            if (s.unchanged) {
              const cached = rendered.get(appKey);
              if (cached?.revision === app.status!.renderInputs!.revision) cached.revision = s.commit!.sha;
              return await finish(s);
            }
            dirty.delete(appKey);
            await reconcileRender(s, tree);
            const drift = await reconcileCompare(s);
            const sha = s.commit!.sha;
            const prev = app.status?.operationState;
            // an operation under way at this commit goes on (a sync request starts a new one)
            const continuing = !s.request && prev?.phase === 'Running' && prev.revision === sha && !!prev.id;
            // a hook failure or a timeout is not retried automatically at the same commit
            const stuck = prev?.phase === 'Failed' && !!prev.terminal && prev.revision === sha;
            // automated without selfHeal syncs once per new revision, as Argo CD does
            const newRevision = app.status?.history?.at(-1)?.revision !== sha;
            const act = !!s.request || continuing || (!!automated && !stuck && (!!automated.selfHeal || newRevision || prev?.phase === 'Failed'));
            const drifted = [...drift.values()].some((d) => d === 'missing' || d.length > 0);
            const prune = !!s.request?.prune || !!s.request?.allowPrune || !!automated?.prune;
            recordResources(s, drift);
            if (act && (drifted || continuing || !!s.request)) {
              const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
              s.op = continuing ? structuredClone(prev!) : { id: randomBytes(4).toString('hex'), revision: sha, startedAt: now, phase: 'Running', hooks: [], prune, allowPrune: !!s.request?.allowPrune };
              s.operation = true;
              statuses.pending(app, sha);
              await reconcileOperation(s, drift);
              if (!s.opDone) {
                await reconcilePrune(s, false);
                await reconcileHealth(s);
              }
            } else {
              await reconcilePrune(s, act && prune);
              s.operation = s.pruned > 0;
              await reconcileHealth(s);
            }
          } catch (e) {
            if (!(e instanceof StepError)) throw e;
            s.failure = e;
            s.operation = true;
            if (s.op) {
              // the inventory and health still describe what is live
              await reconcilePrune(s, false);
              await reconcileHealth(s);
            }
          }
          return finish(s);
        },
      };
    },
  };
}
