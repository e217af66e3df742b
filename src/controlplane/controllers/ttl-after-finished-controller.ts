/**
 * The TTL-after-finished controller on the controller runtime: deletes finished Jobs whose
 * `ttlSecondsAfterFinished` has passed, with foreground propagation so the pods go first, and is
 * requeued for the moment a finished Job expires.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import { objectKey } from '../client/informer.js';
import { refs } from '../client/refs.js';
import type { KubeObject } from '../resources/types.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';
import { decideTtlAfterFinished } from './ttl-after-finished.js';
import { unlessGone } from './workload-io.js';

export const TTL_AFTER_FINISHED_CONTROLLER = 'ttl-after-finished-controller';

export function ttlAfterFinishedController(opts: { now?: () => number } = {}): Controller {
  const now = opts.now ?? Date.now;
  return {
    name: TTL_AFTER_FINISHED_CONTROLLER,
    setup(ctx: ControllerContext) {
      const jobs = ctx.informers.get<Job & KubeObject>(refs.jobs);
      const enqueue = (j: Job & KubeObject) => {
        if (j.spec?.ttlSecondsAfterFinished != null) ctx.enqueue(objectKey(j));
      };
      jobs.on({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
      return {
        async reconcile(key: string): Promise<Result> {
          const job = jobs.get(key);
          if (!job) return {};
          const d = decideTtlAfterFinished(job, now());
          if (d.action === 'wait') return { requeueAfterMs: d.requeueAfterMs };
          if (d.action === 'delete') {
            // the uid precondition keeps a re-created Job of the same name safe
            await unlessGone(ctx.client.delete(refs.jobs, job.metadata?.name ?? '', { namespace: job.metadata?.namespace, propagationPolicy: 'Foreground', preconditions: { uid: job.metadata?.uid } }));
          }
          return {};
        },
      };
    },
  };
}
