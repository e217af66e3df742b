/**
 * The DaemonSet controller on the controller runtime: reads a DaemonSet, its pods, the nodes and its
 * ControllerRevisions from the shared informers, lets `decideDaemonSet` choose, and carries it out
 * (revision first, then pod creates and deletes, then status). Node changes requeue every DaemonSet,
 * so nodes that join or are relabelled get (or lose) their pods.
 */
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { objectKey } from '../client/informer.js';
import { refs } from '../client/refs.js';
import type { KubeObject } from '../resources/types.js';
import { REVISION_HASH_LABEL } from './controller-revision.js';
import { decideDaemonSet } from './daemonset.js';
import { isControlledBy } from '../resources/pod-state.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';
import { asKube, ensureRevision, pruneRevisions, recordAll, unlessGone, writeStatus } from './workload-io.js';
import { enqueueController, enqueueObject } from './runtime/enqueue.js';

export const DAEMONSET_CONTROLLER = 'daemonset-controller';

export function daemonSetController(opts: { now?: () => number } = {}): Controller {
  const now = opts.now ?? Date.now;
  return {
    name: DAEMONSET_CONTROLLER,
    setup(ctx: ControllerContext) {
      const sets = ctx.informers.get<DaemonSet & KubeObject>(refs.daemonsets);
      const pods = ctx.informers.get<Pod & KubeObject>(refs.pods);
      const nodes = ctx.informers.get<Node & KubeObject>(refs.nodes);
      const revisions = ctx.informers.get<ControllerRevision & KubeObject>(refs.controllerrevisions);
      sets.on(enqueueObject(ctx));
      pods.on(enqueueController(ctx, 'apps/v1', 'DaemonSet'));
      const all = () => {
        for (const ds of sets.list()) ctx.enqueue(objectKey(ds));
      };
      nodes.on({
        onAdd: all,
        // resyncs replay every node: only real changes concern the DaemonSets
        onUpdate: (o, n) => {
          if (o !== n) all();
        },
        onDelete: all,
      });

      return {
        async reconcile(key: string): Promise<Result> {
          const ds = sets.get(key);
          if (!ds || ds.metadata?.deletionTimestamp) return {};
          await ctx.expectations.await(key, refs.pods);
          const ns = ds.metadata?.namespace;
          const uid = ds.metadata?.uid;
          const owned = revisions.list((r) => r.metadata?.namespace === ns && isControlledBy(r, uid));
          const plan = await ensureRevision(ctx.client, { owner: ds, apiVersion: 'apps/v1', kind: 'DaemonSet', revisions: owned, template: ds.spec?.template, collisionCount: ds.status?.collisionCount ?? 0 });
          const mine = pods.list((p) => p.metadata?.namespace === ns && isControlledBy(p, uid));
          const d = decideDaemonSet({ ds, nodes: nodes.list(), pods: mine, hash: plan.hash, collisionCount: plan.collisionCount, now: now() });

          const written: (KubeObject | undefined)[] = [];
          const errors: unknown[] = [];
          await Promise.all(
            d.create.map(async ({ nodeName, pod }) => {
              try {
                const made = await ctx.client.create(refs.pods, asKube(pod), { namespace: ns });
                written.push(made);
                void ctx.events.record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata?.name}`);
              } catch (e) {
                errors.push(e);
                void ctx.events.record(ds, 'Warning', 'FailedCreate', `Error creating pod on node ${nodeName}: ${(e as Error).message}`);
              }
            }),
          );
          await Promise.all(
            d.delete.map(async (name) => {
              const p = mine.find((x) => x.metadata?.name === name);
              try {
                const gone = await unlessGone(ctx.client.delete(refs.pods, name, { namespace: ns, preconditions: { uid: p?.metadata?.uid } }));
                written.push(gone);
                if (gone) void ctx.events.record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
              } catch (e) {
                errors.push(e);
              }
            }),
          );
          await ctx.expectations.record(key, written);
          recordAll(ctx.events, ds, d.events);
          await writeStatus(ctx.client, refs.daemonsets, ds, d.status);
          const live = new Set([plan.name, ...owned.filter((r) => mine.some((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === r.metadata?.labels?.[REVISION_HASH_LABEL])).map((r) => r.metadata?.name ?? '')]);
          await pruneRevisions(ctx.client, owned, live, ds.spec?.revisionHistoryLimit ?? 10, ns);
          if (errors.length) throw errors[0];
          return d.requeueAfterMs !== undefined ? { requeueAfterMs: d.requeueAfterMs } : {};
        },
      };
    },
  };
}
