/**
 * The Job controller on the controller runtime. Per key: read the Job and its pods, let `decideJob`
 * choose, then act in the order that keeps counting exact across crashes: the interim status (newly
 * finished pods listed as uncounted), the tracking finalizers off those pods, pod creates and
 * deletes, then the final status. Status writes carry the Job's resourceVersion, so a stale cache
 * makes a Conflict (retried), never a wrong count. Pods left with the tracking finalizer by a
 * deleted Job are released.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { refs } from '../client/refs.js';
import type { KubeObject } from '../resources/types.js';
import { decideJob, JOB_TRACKING_FINALIZER, type JobBackoff } from './job.js';
import { isControlledBy } from '../resources/pod-state.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';
import { asKube, recordAll, unlessGone, writeStatus } from './workload-io.js';
import { enqueueController, enqueueObject } from './runtime/enqueue.js';

export const JOB_CONTROLLER = 'job-controller';

export interface JobControllerOptions {
  now?: () => number;
  /** retry delay after failed pods (default 10 s doubling to 6 min); tests shorten it */
  backoff?: JobBackoff;
}

type KPod = Pod & KubeObject;
type KJob = Job & KubeObject;

export function jobController(opts: JobControllerOptions = {}): Controller {
  const now = opts.now ?? Date.now;
  return {
    name: JOB_CONTROLLER,
    setup(ctx: ControllerContext) {
      const jobs = ctx.informers.get<KJob>(refs.jobs);
      const pods = ctx.informers.get<KPod>(refs.pods);
      jobs.on(enqueueObject(ctx));
      pods.on(enqueueController(ctx, 'batch/v1', 'Job'));

      /** Removes the tracking finalizer, failing with Conflict if the pod changed since it was read. */
      const release = (p: KPod) =>
        unlessGone(
          ctx.client.patch<KPod>(
            refs.pods,
            p.metadata?.name ?? '',
            'merge',
            { metadata: { resourceVersion: p.metadata?.resourceVersion, finalizers: (p.metadata?.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER) } },
            { namespace: p.metadata?.namespace },
          ),
        );

      return {
        async reconcile(key: string): Promise<Result> {
          const [ns, name] = key.split('/');
          let job = jobs.get(key);
          await ctx.expectations.await(key, refs.pods);
          if (!job) {
            // the Job is gone: its pods must not keep our finalizer
            const orphans = pods.list((p) => p.metadata?.namespace === ns && (p.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER) && !!p.metadata?.ownerReferences?.some((r) => r.controller && r.kind === 'Job' && r.name === name) && !jobs.list().some((j) => isControlledBy(p, j.metadata?.uid)));
            await ctx.expectations.record(key, await Promise.all(orphans.map(release)));
            return {};
          }
          const mine = pods.list((p) => p.metadata?.namespace === ns && isControlledBy(p, job!.metadata?.uid));
          const d = decideJob({ job, pods: mine, now: now(), backoff: opts.backoff });
          const written: (KubeObject | undefined)[] = [];
          const byName = new Map(mine.map((p) => [p.metadata?.name, p]));

          if (d.interimStatus) job = (await writeStatus(ctx.client, refs.jobs, job, d.interimStatus, true)) ?? job;
          written.push(...(await Promise.all(d.removeFinalizers.map((n) => release(byName.get(n)!)))));

          const errors: unknown[] = [];
          await Promise.all(
            d.create.map(async (pod) => {
              try {
                const made = await ctx.client.create(refs.pods, asKube(pod), { namespace: ns });
                written.push(made);
                void ctx.events.record(job!, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata?.name}`);
              } catch (e) {
                errors.push(e);
                void ctx.events.record(job!, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
              }
            }),
          );
          await Promise.all(
            d.delete.map(async (n) => {
              try {
                const gone = await unlessGone(ctx.client.delete(refs.pods, n, { namespace: ns, preconditions: { uid: byName.get(n)?.metadata?.uid } }));
                written.push(gone);
                if (gone) void ctx.events.record(job!, 'Normal', 'SuccessfulDelete', `Deleted pod: ${n}`);
              } catch (e) {
                errors.push(e);
              }
            }),
          );
          await ctx.expectations.record(key, written);
          if (errors.length) throw errors[0];
          await writeStatus(ctx.client, refs.jobs, job, d.status, true);
          recordAll(ctx.events, job, d.events);
          return d.requeueAfterMs !== undefined ? { requeueAfterMs: d.requeueAfterMs } : {};
        },
      };
    },
  };
}
