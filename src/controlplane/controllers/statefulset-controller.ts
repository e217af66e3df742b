/**
 * The StatefulSet controller on the controller runtime: reads a StatefulSet, its pods, claims and
 * ControllerRevisions from the shared informers, lets `decideStatefulSet` choose, and acts in the
 * order that keeps storage safe: revision, claim owner references (retention policy), claims, pods
 * (claims before the pods that mount them), deletions, then status.
 */
import type { ControllerRevision, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { refs } from '../client/refs.js';
import type { KubeObject } from '../resources/types.js';
import { REVISION_HASH_LABEL } from './controller-revision.js';
import { isControlledBy } from '../resources/pod-state.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';
import { decideStatefulSet, type StatefulSetRevision } from './statefulset.js';
import { asKube, ensureRevision, isAlreadyExists, pruneRevisions, recordAll, unlessGone, writeStatus } from './workload-io.js';
import { enqueueController, enqueueObject } from './runtime/enqueue.js';

export const STATEFULSET_CONTROLLER = 'statefulset-controller';

/** The template a revision stores (its data is `{spec: {template: {..., $patch: replace}}}`). */
function revisionTemplate(rev: ControllerRevision): PodTemplateSpec | undefined {
  const t = (rev.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined)?.spec?.template;
  if (!t) return undefined;
  const { $patch: _patch, ...template } = t;
  return template;
}

export function statefulSetController(opts: { now?: () => number } = {}): Controller {
  const now = opts.now ?? Date.now;
  return {
    name: STATEFULSET_CONTROLLER,
    setup(ctx: ControllerContext) {
      const sets = ctx.informers.get<StatefulSet & KubeObject>(refs.statefulsets);
      const pods = ctx.informers.get<Pod & KubeObject>(refs.pods);
      const claims = ctx.informers.get<PersistentVolumeClaim & KubeObject>(refs.persistentvolumeclaims);
      const revisions = ctx.informers.get<ControllerRevision & KubeObject>(refs.controllerrevisions);
      sets.on(enqueueObject(ctx));
      pods.on(enqueueController(ctx, 'apps/v1', 'StatefulSet'));

      return {
        async reconcile(key: string): Promise<Result> {
          const sts = sets.get(key);
          if (!sts || sts.metadata?.deletionTimestamp) return {};
          await ctx.expectations.await(key, refs.pods);
          const ns = sts.metadata?.namespace;
          const uid = sts.metadata?.uid;
          const owned = revisions.list((r) => r.metadata?.namespace === ns && isControlledBy(r, uid));
          const plan = await ensureRevision(ctx.client, { owner: sts, apiVersion: 'apps/v1', kind: 'StatefulSet', revisions: owned, template: sts.spec?.template, collisionCount: sts.status?.collisionCount ?? 0 });
          const update: StatefulSetRevision = { name: plan.name, template: sts.spec?.template };
          const currentRev = owned.find((r) => r.metadata?.name === sts.status?.currentRevision);
          const current: StatefulSetRevision = currentRev ? { name: currentRev.metadata?.name ?? '', template: revisionTemplate(currentRev) } : update;
          const mine = pods.list((p) => p.metadata?.namespace === ns && isControlledBy(p, uid));
          const prefixes = (sts.spec?.volumeClaimTemplates ?? []).map((t) => `${t.metadata?.name}-${sts.metadata?.name}-`);
          const theirClaims = claims.list((c) => c.metadata?.namespace === ns && prefixes.some((p) => (c.metadata?.name ?? '').startsWith(p)));
          const d = decideStatefulSet({ sts, pods: mine, claims: theirClaims, currentRevision: current, updateRevision: update, collisionCount: plan.collisionCount, now: now() });

          for (const u of d.updateClaims) {
            await unlessGone(ctx.client.patch(refs.persistentvolumeclaims, u.name, 'merge', { metadata: { ownerReferences: u.ownerReferences.length ? u.ownerReferences : null } }, { namespace: ns }));
          }
          for (const c of d.createClaims) {
            try {
              await ctx.client.create(refs.persistentvolumeclaims, asKube(c), { namespace: ns });
              void ctx.events.record(sts, 'Normal', 'SuccessfulCreate', `create Claim ${c.metadata?.name} Pod ${sts.metadata?.name} in StatefulSet ${sts.metadata?.name} success`);
            } catch (e) {
              if (!isAlreadyExists(e)) {
                void ctx.events.record(sts, 'Warning', 'FailedCreate', `create Claim ${c.metadata?.name} for StatefulSet ${sts.metadata?.name} failed error: ${(e as Error).message}`);
                throw e;
              }
            }
          }
          const written: (KubeObject | undefined)[] = [];
          try {
            for (const p of d.create) {
              try {
                written.push(await ctx.client.create(refs.pods, asKube(p), { namespace: ns }));
                void ctx.events.record(sts, 'Normal', 'SuccessfulCreate', `create Pod ${p.metadata?.name} in StatefulSet ${sts.metadata?.name} successful`);
              } catch (e) {
                // a pod our cache has not shown yet; the pod event will requeue this key
                if (!isAlreadyExists(e)) {
                  void ctx.events.record(sts, 'Warning', 'FailedCreate', `create Pod ${p.metadata?.name} in StatefulSet ${sts.metadata?.name} failed error: ${(e as Error).message}`);
                  throw e;
                }
              }
            }
            for (const name of d.delete) {
              const uidOf = mine.find((p) => p.metadata?.name === name)?.metadata?.uid;
              const gone = await unlessGone(ctx.client.delete(refs.pods, name, { namespace: ns, preconditions: { uid: uidOf } }));
              written.push(gone);
              if (gone) void ctx.events.record(sts, 'Normal', 'SuccessfulDelete', `delete Pod ${name} in StatefulSet ${sts.metadata?.name} successful`);
            }
          } finally {
            await ctx.expectations.record(key, written);
          }
          recordAll(ctx.events, sts, d.events);
          await writeStatus(ctx.client, refs.statefulsets, sts, d.status);
          const live = new Set([plan.name, current.name, ...owned.filter((r) => mine.some((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === r.metadata?.name)).map((r) => r.metadata?.name ?? '')]);
          await pruneRevisions(ctx.client, owned, live, sts.spec?.revisionHistoryLimit ?? 10, ns);
          return d.requeueAfterMs !== undefined ? { requeueAfterMs: d.requeueAfterMs } : {};
        },
      };
    },
  };
}
