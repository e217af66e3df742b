/**
 * The resource-quota controller: keeps each ResourceQuota's `status.hard` (= spec.hard) and
 * `status.used` (counted from the objects in its namespace), so `kubectl get quota` and `kubectl
 * describe quota` show used/hard. Admission charges new objects to `status.used` itself
 * (src/policy/admission/resource-quota.ts); this controller recounts when a quota is created or its
 * hard limits change, when counted objects go away or stop counting (a pod that finished, a deleted
 * ConfigMap), and every five minutes, which also returns charges of requests that failed after
 * admission. The recount reads the quota and lists live (not from caches) and writes with a
 * compare-and-swap on the quota's resourceVersion, so it never overwrites a charge made meanwhile;
 * and it lowers a usage only after the quota has gone SETTLE_MS without a charge, so an object
 * charged by admission but not stored yet is not counted out (which would let another through).
 */
import { StatusError } from '../api/errors.js';
import { refs } from '../client/refs.js';
import { formatAmounts, maskAmounts, maxAmounts } from '../resources/quantities.js';
import { listIn, podCountsForCompute, quotaState, usedByListing } from '../resources/quota-usage.js';
import type { KubeObject } from '../resources/types.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';

/** Full recount period (kube-controller-manager's --resource-quota-sync-period default). */
export const QUOTA_RESYNC_MS = 5 * 60_000;

/** How long a quota must go without a charge before a recount may lower its usage. */
export const SETTLE_MS = 3000;

interface QuotaObject extends KubeObject {
  spec?: { hard?: Record<string, string> };
  status?: { hard?: Record<string, string>; used?: Record<string, string> };
}

const sameList = (a: Record<string, string> | undefined, b: Record<string, string> | undefined) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
const sortKeys = (o: Record<string, string> | undefined) => Object.fromEntries(Object.entries(o ?? {}).sort(([x], [y]) => x.localeCompare(y)));

export const resourceQuotaController = (): Controller => ({
  name: 'resourcequota-controller',
  setup(ctx: ControllerContext) {
    const quotas = ctx.informers.get<QuotaObject>(refs.resourcequotas);
    const key = (o: KubeObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;
    const enqueueNamespace = (o: KubeObject) => {
      const ns = o.metadata?.namespace;
      for (const q of quotas.list((q) => q.metadata?.namespace === ns)) ctx.enqueue(key(q));
    };
    quotas.on({
      onAdd: (q) => ctx.enqueue(key(q)),
      onUpdate: (_old, q) => {
        // admission's own charges change only status.used: no recount for those
        const missing = Object.keys(q.spec?.hard ?? {}).some((n) => !(n in (q.status?.used ?? {})));
        if (!sameList(q.spec?.hard, q.status?.hard) || missing) ctx.enqueue(key(q));
      },
      onDelete: enqueueNamespace,
    });
    ctx.informers.get(refs.pods).on({
      onUpdate: (old, pod) => {
        const now = Date.now();
        if (podCountsForCompute(old, now) && !podCountsForCompute(pod, now)) enqueueNamespace(pod);
      },
      onDelete: enqueueNamespace,
    });
    for (const ref of [refs.services, refs.persistentvolumeclaims]) ctx.informers.get(ref).on({ onUpdate: (_o, n) => enqueueNamespace(n), onDelete: enqueueNamespace });
    for (const ref of [refs.configmaps, refs.secrets, refs.replicationcontrollers]) ctx.informers.get(ref).on({ onDelete: enqueueNamespace });

    // quota key → the resourceVersion at which a recount first came out lower than status.used
    const settling = new Map<string, { rv: string; since: number }>();

    return {
      async reconcile(k: string): Promise<Result> {
        const [namespace, name] = k.split('/');
        const quota = await ctx.client.find<QuotaObject>(refs.resourcequotas, name, namespace);
        if (!quota) {
          settling.delete(k);
          return {};
        }
        const state = quotaState(quota);
        const counted = await usedByListing(state, listIn(ctx.client, namespace), Date.now());
        const rv = quota.metadata?.resourceVersion ?? '';
        // A lower count may only mean admission charged an object not stored yet: lower only once
        // no charge has come for SETTLE_MS (the quota's resourceVersion stayed the same), and
        // until then keep the higher of both.
        const lowers = Object.keys(counted).some((n) => n in state.used && counted[n].nano < state.used[n].nano);
        let settled = true;
        if (lowers) {
          const seen = settling.get(k);
          if (!seen || seen.rv !== rv) settling.set(k, { rv, since: Date.now() });
          settled = Date.now() - (settling.get(k)?.since ?? 0) >= SETTLE_MS;
        }
        const used = formatAmounts(settled ? counted : maskAmounts(maxAmounts(counted, state.used), Object.keys(counted)));
        const hard = quota.spec?.hard ?? {};
        const again = settled ? QUOTA_RESYNC_MS : SETTLE_MS;
        if (settled) settling.delete(k);
        if (sameList(hard, quota.status?.hard) && sameList(used, quota.status?.used)) return { requeueAfterMs: again };
        try {
          const written = await ctx.client.updateStatus(refs.resourcequotas, { ...quota, status: { hard, used } });
          if (!settled) settling.set(k, { rv: written.metadata?.resourceVersion ?? '', since: settling.get(k)!.since });
        } catch (e) {
          if (e instanceof StatusError && e.reason === 'NotFound') return {};
          // Conflict: admission charged it meanwhile; retried (with backoff) from the new state
          throw e;
        }
        return { requeueAfterMs: again };
      },
    };
  },
});
