/**
 * The CronJob controller on the controller runtime: reads a CronJob and the Jobs it controls, lets
 * `decideCronJob` choose, deletes (replaced and expired history), creates the scheduled Job, writes
 * status, and asks to be requeued at the next schedule time (see cronjob.ts for why a requeue and
 * not a BullMQ job scheduler). Job changes requeue their CronJob, so `status.active` follows them.
 */
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { refs } from '../client/refs.js';
import type { KubeObject } from '../resources/types.js';
import { decideCronJob } from './cronjob.js';
import { isControlledBy } from '../resources/pod-state.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';
import { asKube, isAlreadyExists, recordAll, unlessGone, writeStatus } from './workload-io.js';
import { enqueueController, enqueueObject } from './runtime/enqueue.js';

export const CRONJOB_CONTROLLER = 'cronjob-controller';

export function cronJobController(opts: { now?: () => number } = {}): Controller {
  const now = opts.now ?? Date.now;
  return {
    name: CRONJOB_CONTROLLER,
    setup(ctx: ControllerContext) {
      const cronjobs = ctx.informers.get<CronJob & KubeObject>(refs.cronjobs);
      const jobs = ctx.informers.get<Job & KubeObject>(refs.jobs);
      cronjobs.on(enqueueObject(ctx));
      jobs.on(enqueueController(ctx, 'batch/v1', 'CronJob'));

      return {
        async reconcile(key: string): Promise<Result> {
          const cj = cronjobs.get(key);
          if (!cj) return {};
          await ctx.expectations.await(key, refs.jobs);
          const ns = cj.metadata?.namespace;
          const mine = jobs.list((j) => j.metadata?.namespace === ns && isControlledBy(j, cj.metadata?.uid));
          const d = decideCronJob({ cj, jobs: mine, now: now() });
          const written: (KubeObject | undefined)[] = [];
          for (const name of d.delete) {
            const gone = await unlessGone(ctx.client.delete(refs.jobs, name, { namespace: ns, propagationPolicy: 'Background' }));
            written.push(gone);
            if (gone) void ctx.events.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${name}`);
          }
          const status = d.status;
          if (d.create) {
            try {
              const made = await ctx.client.create<KubeObject>(refs.jobs, asKube(d.create), { namespace: ns });
              written.push(made);
              status.active = [...(status.active ?? []), { apiVersion: 'batch/v1', kind: 'Job', name: made.metadata?.name, namespace: ns, uid: made.metadata?.uid, resourceVersion: made.metadata?.resourceVersion }];
              void ctx.events.record(cj, 'Normal', 'SuccessfulCreate', `Created job ${made.metadata?.name}`);
            } catch (e) {
              // made before a crash or by a stale cache: the Job informer will list it as active
              if (!isAlreadyExists(e)) {
                void ctx.events.record(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
                throw e;
              }
            }
          }
          await ctx.expectations.record(key, written);
          await writeStatus(ctx.client, refs.cronjobs, cj, status, true);
          recordAll(ctx.events, cj, d.events);
          return d.requeueAfterMs !== undefined ? { requeueAfterMs: d.requeueAfterMs } : {};
        },
      };
    },
  };
}
