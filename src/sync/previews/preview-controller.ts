/**
 * The previews controller: keeps one preview environment per matching ref of a PreviewSet's
 * repository — a namespace (labelled with the ref and commit) with the set's ResourceQuota and
 * LimitRange, and an Application (owned by the PreviewSet) that syncs that ref into that namespace —
 * and tears a preview down when its ref disappears or it expires. It lists the repository's refs at
 * each poll, and at once when a push webhook names the repository. Status lists every preview with
 * its commit, sync and health, expiry, the URLs of its Services on this machine and, when something
 * was refused, why (an exceeded ResourceQuota shows as reason OverQuota with the quota's message).
 */
import { randomInt } from 'node:crypto';
import { StatusError } from '../../controlplane/api/errors.js';
import type { Client } from '../../controlplane/client/client.js';
import { ref, refs } from '../../controlplane/client/refs.js';
import type { Controller } from '../../controlplane/controllers/runtime/controller.js';
import { StalledError } from '../../controlplane/controllers/runtime/reconciler.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { applicationsRef, decodeSecret } from '../app/application-controller.js';
import { APP_API_VERSION, INSTANCE_LABEL, keyOfInstance, type Application, type Condition } from '../app/types.js';
import { GitSourceError } from '../git/errors.js';
import type { GitSource, RepoCredentials } from '../git/source.js';
import { NOTIFY_CONTEXT_ANNOTATION, NOTIFY_URL_ANNOTATION } from '../status/application-status.js';
import { expiryOf, parseDuration } from './expiry.js';
import { previewName, refLabelValue, refMatcher, revisionOf } from './refs.js';
import {
  COMMIT_LABEL, DELETED_ANNOTATION, LIMITS_NAME, PREVIEWS_FINALIZER, PREVIEWS_MANAGER, QUOTA_NAME, REF_ANNOTATION, REF_LABEL, SET_LABEL, SET_NAMESPACE_LABEL,
  type PreviewSet, type PreviewSetStatus, type PreviewStatus,
} from './types.js';

export const previewSetsRef = ref(APP_API_VERSION, 'PreviewSet');
const quotasRef = ref('v1', 'ResourceQuota');
const limitRangesRef = ref('v1', 'LimitRange');
/** The annotation where the Service proxy records the host port of each Service port (src/agent/proxy). */
const PROXY_PORTS_ANNOTATION = 'proxy.berth.dev/ports';
/** A preview follows its ref fully: automated, pruning, self-healing, no deletion budget (a preview is disposable). */
const DEFAULT_SYNC_POLICY: NonNullable<Application['spec']['syncPolicy']> = { automated: { prune: true, selfHeal: true }, pruneBudget: 1 };
/** What an object refused by the ResourceQuota admission says (kube-apiserver's wording). */
const NOTIFY_PREFIX = 'notify.berth.dev/';
const QUOTA_MESSAGE = /exceeded quota|forbidden:[^;]*quota/i;

export interface PreviewControllerOptions {
  git: GitSource;
  /** how often each PreviewSet lists its repository's refs unless its spec says, default 60 s (jittered) */
  pollIntervalMs?: number;
  /** requeue while a preview is being set up (no sync status yet, old namespace terminating), default 2 s */
  progressIntervalMs?: number;
  /**
   * requeue while a preview is not Healthy, default 15 s: refusals by quota reach us as Events, which
   * no informer here watches; also how recent such an Event must be to count (×8)
   */
  unhealthyIntervalMs?: number;
  /** the address the Service proxy listens on, for preview URLs (default 127.0.0.1) */
  proxyHost?: string;
}

export interface PreviewController extends Controller {
  /** Reconciles a PreviewSet (`namespace/name`) now: a push webhook named its repository. No-op before setup. */
  enqueue(key: string): void;
}

/** The parsed spec; a bad field stalls the PreviewSet (the user must fix it). */
interface Plan {
  set: PreviewSet;
  setKey: string;
  matches: (ref: string) => boolean;
  ttlMs?: number;
  idleMs?: number;
  pollMs: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function setLabels(set: PreviewSet): Record<string, string> {
  return { [SET_LABEL]: set.metadata!.name!, [SET_NAMESPACE_LABEL]: set.metadata!.namespace! };
}

function selectorOf(set: PreviewSet): string {
  return Object.entries(setLabels(set)).map(([k, v]) => `${k}=${v}`).join(',');
}

function isOurs(obj: KubeObject, set: PreviewSet): boolean {
  const l = obj.metadata?.labels ?? {};
  return l[SET_LABEL] === set.metadata!.name && l[SET_NAMESPACE_LABEL] === set.metadata!.namespace;
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
  }
}

function readyCondition(prev: Condition[] | undefined, ready: Omit<Condition, 'lastTransitionTime'>, now: string): Condition[] {
  const old = prev?.find((c) => c.type === 'Ready');
  const same = old && old.status === ready.status && old.reason === ready.reason && old.message === ready.message;
  return [...(prev ?? []).filter((c) => c.type !== 'Ready'), { ...ready, lastTransitionTime: same ? old.lastTransitionTime : now }];
}

/**
 * The PreviewSet's `notify.berth.dev/*` annotations, for each preview Application: every sync of a
 * preview posts a commit status for the ref's commit (src/sync/status), under one context per set.
 */
function notifyAnnotations(set: PreviewSet): Record<string, string> {
  const own = Object.entries(set.metadata?.annotations ?? {}).filter(([k]) => k.startsWith(NOTIFY_PREFIX));
  if (!own.some(([k]) => k === NOTIFY_URL_ANNOTATION)) return {};
  return { [NOTIFY_CONTEXT_ANNOTATION]: `berth/preview/${set.metadata!.namespace}/${set.metadata!.name}`, ...Object.fromEntries(own) };
}

/** The previews deleted by hand: full ref → the commit it was at (a malformed annotation counts as none). */
export function deletedRefs(set: PreviewSet): Record<string, string> {
  try {
    const v = JSON.parse(set.metadata?.annotations?.[DELETED_ANNOTATION] ?? '{}') as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** The URLs of the Services in `namespace` that the Service proxy gave a port on this machine. */
async function serviceURLs(client: Client, namespace: string, host: string): Promise<PreviewStatus['urls']> {
  const urls: NonNullable<PreviewStatus['urls']> = [];
  for (const svc of (await client.list<KubeObject>(refs.services, { namespace })).items) {
    let ports: Record<string, number> = {};
    try {
      ports = JSON.parse(svc.metadata?.annotations?.[PROXY_PORTS_ANNOTATION] ?? '{}') as Record<string, number>;
    } catch {
      continue;
    }
    for (const [port, hostPort] of Object.entries(ports).sort()) urls.push({ service: svc.metadata!.name!, port, url: `http://${host}:${hostPort}` });
  }
  return urls.length ? urls : undefined;
}

/**
 * Why an object of the preview was refused by a ResourceQuota: from the Application's Ready condition
 * (the sync's apply was refused), else — while the preview is not Healthy — from a Warning event in
 * its namespace seen within `recentMs` (a controller's create was refused; controllers retry, which
 * bumps the event's lastTimestamp, so an old event means the refusal is over).
 */
async function quotaRefusal(client: Client, app: Application, namespace: string, now: number, recentMs: number): Promise<string | undefined> {
  const ready = app.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'False' && QUOTA_MESSAGE.test(ready.message)) return ready.message;
  if (app.status?.health?.status === 'Healthy') return undefined;
  const events = (await client.list<KubeObject & { type?: string; message?: string; lastTimestamp?: string; eventTime?: string }>(refs.events, { namespace })).items;
  const at = (e: (typeof events)[number]) => Date.parse(e.lastTimestamp ?? e.eventTime ?? '') || 0;
  const refused = events.filter((e) => e.type === 'Warning' && QUOTA_MESSAGE.test(e.message ?? '') && now - at(e) < recentMs);
  return refused.sort((a, b) => at(a) - at(b)).at(-1)?.message;
}

export function previewController(opts: PreviewControllerOptions): PreviewController {
  const defaultPollMs = opts.pollIntervalMs ?? 60_000;
  const progressMs = opts.progressIntervalMs ?? 2_000;
  const unhealthyMs = opts.unhealthyIntervalMs ?? 15_000;
  const host = opts.proxyHost ?? '127.0.0.1';
  let enqueue: (key: string) => void = () => {};
  return {
    name: 'preview-controller',
    enqueue: (key) => enqueue(key),
    setup(ctx) {
      const client = ctx.client;
      enqueue = ctx.enqueue;
      const sets = ctx.informers.get<PreviewSet>(previewSetsRef);
      const apps = ctx.informers.get<Application>(applicationsRef);
      const services = ctx.informers.get<KubeObject>(refs.services);
      const keyOf = (o: KubeObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;
      const ownerOf = (a: Application | undefined) => {
        const owner = a?.metadata?.ownerReferences?.find((o) => o.kind === 'PreviewSet' && o.apiVersion === APP_API_VERSION);
        return owner ? `${a!.metadata!.namespace}/${owner.name}` : undefined;
      };
      const poke = (key: string | undefined) => key && ctx.enqueue(key);
      // our status writes do not need a reconcile; spec, label, annotation and deletion changes do
      const intent = (s: PreviewSet) => JSON.stringify([s.spec, s.metadata?.labels, s.metadata?.annotations, s.metadata?.deletionTimestamp]);
      sets.on({ onAdd: (s) => ctx.enqueue(keyOf(s)), onUpdate: (old, s) => (old === s || intent(old) !== intent(s)) && ctx.enqueue(keyOf(s)) });
      // a preview's sync, health or conditions changed, or it was deleted behind our back
      apps.on({
        onUpdate: (old, a) => JSON.stringify(old.status) !== JSON.stringify(a.status) && poke(ownerOf(a)),
        onDelete: (a) => poke(ownerOf(a)),
      });
      // the Service proxy recorded a port: the preview has a URL
      const servicePoke = (s: KubeObject) => poke(ownerOf(apps.get(keyOfInstance(s.metadata?.labels?.[INSTANCE_LABEL] ?? '') ?? '')));
      services.on({
        onAdd: servicePoke,
        onUpdate: (old, s) => old.metadata?.annotations?.[PROXY_PORTS_ANNOTATION] !== s.metadata?.annotations?.[PROXY_PORTS_ANNOTATION] && servicePoke(s),
        onDelete: servicePoke,
      });

      /** Parses durations and globs; a bad one is the user's to fix. */
      function plan(set: PreviewSet): Plan {
        const spec = set.spec ?? ({} as PreviewSet['spec']);
        if (!spec.source?.repoURL) throw new Error('spec.source.repoURL: required (the repository whose refs get previews)');
        if (!spec.branches?.length && !spec.refs?.length) throw new Error('spec.branches or spec.refs: give at least one glob (e.g. branches: ["pr/*"])');
        const pollMs = spec.pollInterval ? parseDuration(spec.pollInterval, 'spec.pollInterval') : defaultPollMs;
        if (pollMs < 1_000) throw new Error(`spec.pollInterval: "${spec.pollInterval}" is under the minimum of 1s`);
        return {
          set,
          setKey: keyOf(set),
          matches: refMatcher(spec),
          ttlMs: spec.ttl ? parseDuration(spec.ttl, 'spec.ttl') : undefined,
          idleMs: spec.idleTimeout ? parseDuration(spec.idleTimeout, 'spec.idleTimeout') : undefined,
          pollMs,
        };
      }

      async function credentials(set: PreviewSet): Promise<RepoCredentials | undefined> {
        const name = set.spec.source.credentialsSecret;
        if (!name) return undefined;
        const secret = await client.find<KubeObject & { data?: Record<string, string> }>(refs.secrets, name, set.metadata!.namespace);
        if (!secret) throw new GitSourceError('AuthFailed', `credentials Secret "${name}" not found in namespace ${set.metadata!.namespace}`);
        return decodeSecret(secret);
      }

      /** Deletes a preview: its Application first (so nothing is re-applied), then its namespace and all inside. */
      async function teardown(set: PreviewSet, name: string): Promise<void> {
        await ignoreNotFound(client.delete(applicationsRef, name, { namespace: set.metadata!.namespace }));
        const ns = await client.find<KubeObject>(refs.namespaces, name);
        if (ns && isOurs(ns, set) && !ns.metadata?.deletionTimestamp) await ignoreNotFound(client.delete(refs.namespaces, name));
      }

      /** Applies the namespace, quota, limits and Application of one preview. Returns a failure to report, if any. */
      async function ensure(p: Plan, entry: PreviewStatus): Promise<{ reason: string; message: string } | undefined> {
        const { set } = p;
        const spec = set.spec;
        const name = entry.namespace;
        const live = await client.find<KubeObject>(refs.namespaces, name);
        if (live && !isOurs(live, set)) return { reason: 'NamespaceTaken', message: `namespace ${name} exists and is not a preview of ${p.setKey}; delete or rename it` };
        if (live?.metadata?.deletionTimestamp) return { reason: 'Terminating', message: `namespace ${name} is still being deleted; the preview comes back when it is gone` };
        const labels = { ...spec.namespace?.labels, ...setLabels(set), [REF_LABEL]: refLabelValue(entry.ref), [COMMIT_LABEL]: entry.commit };
        const apply = (r: typeof refs.namespaces, obj: KubeObject, namespace?: string) => client.patch(r, obj.metadata!.name!, 'apply', obj, { namespace, fieldManager: PREVIEWS_MANAGER, force: true });
        await apply(refs.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations: { ...spec.namespace?.annotations, [REF_ANNOTATION]: entry.ref } } });
        const owned = { labels: setLabels(set) };
        if (spec.resourceQuota) await apply(quotasRef, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: QUOTA_NAME, namespace: name, ...owned }, spec: spec.resourceQuota }, name);
        else if (await client.find(quotasRef, QUOTA_NAME, name)) await ignoreNotFound(client.delete(quotasRef, QUOTA_NAME, { namespace: name }));
        if (spec.limitRange) await apply(limitRangesRef, { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: LIMITS_NAME, namespace: name, ...owned }, spec: spec.limitRange }, name);
        else if (await client.find(limitRangesRef, LIMITS_NAME, name)) await ignoreNotFound(client.delete(limitRangesRef, LIMITS_NAME, { namespace: name }));
        const t = spec.template ?? {};
        const app = await apply(applicationsRef, {
          apiVersion: APP_API_VERSION,
          kind: 'Application',
          metadata: {
            name,
            namespace: set.metadata!.namespace,
            labels: { ...setLabels(set), [REF_LABEL]: refLabelValue(entry.ref) },
            annotations: { ...notifyAnnotations(set), [REF_ANNOTATION]: entry.ref },
            ownerReferences: [{ apiVersion: APP_API_VERSION, kind: 'PreviewSet', name: set.metadata!.name!, uid: set.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
          },
          spec: {
            source: { repoURL: spec.source.repoURL, targetRevision: revisionOf(entry.ref), path: t.path ?? '', ...(t.directory ? { directory: t.directory } : {}), ...(spec.source.credentialsSecret ? { credentialsSecret: spec.source.credentialsSecret } : {}) },
            destination: { namespace: name, overrideNamespace: true },
            ...(t.ignoreDifferences ? { ignoreDifferences: t.ignoreDifferences } : {}),
            syncPolicy: t.syncPolicy ?? DEFAULT_SYNC_POLICY,
          },
        } as Application, set.metadata!.namespace) as Application;
        entry.sync = app.status?.sync?.status;
        entry.health = app.status?.health?.status;
        entry.urls = await serviceURLs(client, name, host);
        const quota = await quotaRefusal(client, app, name, Date.now(), unhealthyMs * 8);
        if (quota) return { reason: 'OverQuota', message: quota };
        const ready = app.status?.conditions?.find((c) => c.type === 'Ready');
        if (ready?.status === 'False' && ready.reason !== 'OutOfSync') return { reason: ready.reason, message: ready.message };
        return undefined;
      }

      /** Deletes every preview and lets the PreviewSet go. */
      async function finalize(set: PreviewSet): Promise<void> {
        if (!set.metadata?.finalizers?.includes(PREVIEWS_FINALIZER)) return;
        for (const a of (await client.list<Application>(applicationsRef, { namespace: set.metadata.namespace, labelSelector: selectorOf(set) })).items) await teardown(set, a.metadata!.name!);
        for (const ns of (await client.list<KubeObject>(refs.namespaces, { labelSelector: selectorOf(set) })).items) await teardown(set, ns.metadata!.name!);
        await client.patch(previewSetsRef, set.metadata.name!, 'merge', { metadata: { resourceVersion: set.metadata.resourceVersion, finalizers: set.metadata.finalizers.filter((f) => f !== PREVIEWS_FINALIZER) } }, { namespace: set.metadata.namespace });
      }

      return {
        async reconcile(key) {
          const [namespace, name] = key.split('/');
          let set = await client.find<PreviewSet>(previewSetsRef, name, namespace);
          if (!set) return;
          if (set.metadata?.deletionTimestamp) return finalize(set);
          if (!set.metadata?.finalizers?.includes(PREVIEWS_FINALIZER)) {
            set = await client.patch<PreviewSet>(previewSetsRef, name, 'merge', { metadata: { resourceVersion: set.metadata!.resourceVersion, finalizers: [...(set.metadata?.finalizers ?? []), PREVIEWS_FINALIZER] } }, { namespace });
          }
          const now = Date.now();
          const nowIso = iso(now);
          const prevStatus = set.status ?? {};
          const status: PreviewSetStatus = { ...prevStatus, observedGeneration: set.metadata?.generation };
          const write = async () => {
            if (JSON.stringify(status) !== JSON.stringify(prevStatus)) await client.updateStatus(previewSetsRef, { ...set!, status });
          };

          let p: Plan;
          try {
            p = plan(set);
          } catch (e) {
            status.conditions = readyCondition(prevStatus.conditions, { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: (e as Error).message }, nowIso);
            await write();
            throw new StalledError(`${key}: ${(e as Error).message}`, 'InvalidSpec', set);
          }

          let listed: { ref: string; oid: string }[];
          try {
            listed = await opts.git.listRefs(set.spec.source.repoURL, await credentials(set));
          } catch (e) {
            if (!(e instanceof GitSourceError)) throw e;
            // previews stay as they are while the repository cannot be read: an outage deletes nothing
            status.conditions = readyCondition(prevStatus.conditions, { type: 'Ready', status: 'False', reason: e.code, message: e.message }, nowIso);
            await write();
            throw e;
          }

          const prev = new Map((prevStatus.previews ?? []).map((x) => [x.ref, x]));
          const deletedByHand = deletedRefs(set);
          const previews: PreviewStatus[] = [];
          const keep = new Set<string>();
          let soonest = now + p.pollMs + randomInt(0, Math.max(1, Math.floor(p.pollMs / 5)));
          let settling = false;
          let unhealthy = false;
          for (const { ref: r, oid } of listed.filter((x) => p.matches(x.ref)).sort((a, b) => (a.ref < b.ref ? -1 : 1))) {
            const old = prev.get(r);
            const previewNs = previewName({ set: p.setKey, ref: r, prefix: set.spec.namespace?.prefix ?? `${name}-`, maxLength: 62 - namespace.length });
            const gone = old?.phase === 'Expired' || old?.phase === 'Deleted';
            if (gone && old.commit === oid) {
              // an expired or deleted preview stays gone until its ref moves
              previews.push(old);
              continue;
            }
            const fresh = !old || gone;
            const entry: PreviewStatus = {
              ref: r,
              commit: oid,
              namespace: previewNs,
              application: previewNs,
              phase: 'Active',
              createdAt: fresh ? nowIso : old.createdAt,
              commitSeenAt: old && old.commit === oid ? old.commitSeenAt : nowIso,
            };
            if (deletedByHand[r] === oid) {
              await teardown(set, previewNs);
              previews.push({ ...entry, phase: 'Deleted', reason: 'Deleted', message: 'deleted with berth preview delete --ref; a new commit brings it back' });
              continue;
            }
            const exp = expiryOf({ createdAt: Date.parse(entry.createdAt), commitSeenAt: Date.parse(entry.commitSeenAt), ttlMs: p.ttlMs, idleMs: p.idleMs });
            if (exp) entry.expiresAt = iso(exp.at);
            if (exp && exp.at <= now) {
              await teardown(set, previewNs);
              previews.push({ ...entry, phase: 'Expired', reason: 'Expired', message: exp.reason === 'TTL' ? `older than spec.ttl ${set.spec.ttl}; a new commit brings it back` : `no new commit for spec.idleTimeout ${set.spec.idleTimeout}; a new commit brings it back` });
              continue;
            }
            if (exp) soonest = Math.min(soonest, exp.at);
            keep.add(previewNs);
            const failure = await ensure(p, entry);
            if (failure) Object.assign(entry, failure, failure.reason === 'NamespaceTaken' ? { phase: 'Failed' } : {});
            if (failure?.reason === 'Terminating' || !entry.sync) settling = true;
            if (entry.health !== 'Healthy') unhealthy = true;
            previews.push(entry);
          }

          // refs that disappeared (merged, deleted) and anything else labelled as ours: gone
          for (const a of (await client.list<Application>(applicationsRef, { namespace, labelSelector: selectorOf(set) })).items) {
            if (!keep.has(a.metadata!.name!)) await teardown(set, a.metadata!.name!);
          }
          for (const ns of (await client.list<KubeObject>(refs.namespaces, { labelSelector: selectorOf(set) })).items) {
            if (!keep.has(ns.metadata!.name!)) await teardown(set, ns.metadata!.name!);
          }

          status.previews = previews;
          const failed = previews.filter((x) => x.reason && x.phase !== 'Expired' && x.phase !== 'Deleted');
          status.conditions = readyCondition(
            prevStatus.conditions,
            failed.length
              ? { type: 'Ready', status: 'False', reason: failed[0].reason!, message: failed.map((x) => `${x.ref}: ${x.message}`).join('; ') }
              : { type: 'Ready', status: 'True', reason: 'Reconciled', message: `${previews.filter((x) => x.phase === 'Active').length} active previews of ${set.spec.source.repoURL}` },
            nowIso,
          );
          await write();
          if (settling) soonest = Math.min(soonest, now + progressMs);
          if (unhealthy) soonest = Math.min(soonest, now + unhealthyMs);
          return { requeueAfterMs: Math.max(0, soonest - now) };
        },
      };
    },
  };
}
