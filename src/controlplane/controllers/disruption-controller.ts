/**
 * The disruption controller: keeps every PodDisruptionBudget's status (currentHealthy,
 * desiredHealthy, expectedPods, disruptionsAllowed, disruptedPods, observedGeneration and the
 * DisruptionAllowed condition) current as its pods come, go and change readiness, which is what
 * the eviction subresource decides on. Expected pods for percentages and maxUnavailable come from
 * the scale of the pods' controllers (Deployment through its ReplicaSet, ReplicaSet,
 * ReplicationController, StatefulSet), as Kubernetes' `getExpectedScale` finds them.
 */
import type { Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Pod, ReplicationController } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { objectKey, type Informer } from '../client/informer.js';
import { refs } from '../client/refs.js';
import type { KubeObject } from '../resources/types.js';
import { budgetStatus, needsExpectedScale, selectsPod } from '../resources/disruption-budget.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';
import { unlessGone } from './workload-io.js';

export const DISRUPTION_CONTROLLER = 'disruption-controller';

type Obj<T> = T & KubeObject;

interface Scales {
  replicaSets: Informer<Obj<ReplicaSet>>;
  deployments: Informer<Obj<Deployment>>;
  statefulSets: Informer<Obj<StatefulSet>>;
  replicationControllers: Informer<Obj<ReplicationController>>;
}

/**
 * Σ spec.replicas of the distinct controllers of `pods` (a ReplicaSet owned by a Deployment counts
 * as the Deployment); pods without a known controller count for nothing.
 */
function expectedScale(pods: Pod[], s: Scales): { scale: number; unmanaged: string[] } {
  const seen = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ns = pod.metadata?.namespace ?? '';
    const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
    let found: { uid?: string; replicas?: number } | undefined;
    if (ref?.kind === 'ReplicaSet') {
      const rs = s.replicaSets.get(`${ns}/${ref.name}`);
      const dref = rs?.metadata?.ownerReferences?.find((r) => r.controller && r.kind === 'Deployment');
      const dep = dref && s.deployments.get(`${ns}/${dref.name}`);
      if (dep && dep.metadata?.uid === dref?.uid) found = { uid: dep.metadata?.uid, replicas: dep.spec?.replicas ?? 1 };
      else if (rs && rs.metadata?.uid === ref.uid) found = { uid: rs.metadata?.uid, replicas: rs.spec?.replicas ?? 1 };
    } else if (ref?.kind === 'StatefulSet') {
      const sts = s.statefulSets.get(`${ns}/${ref.name}`);
      if (sts && sts.metadata?.uid === ref.uid) found = { uid: sts.metadata?.uid, replicas: sts.spec?.replicas ?? 1 };
    } else if (ref?.kind === 'ReplicationController') {
      const rc = s.replicationControllers.get(`${ns}/${ref.name}`);
      if (rc && rc.metadata?.uid === ref.uid) found = { uid: rc.metadata?.uid, replicas: rc.spec?.replicas ?? 1 };
    }
    if (!found?.uid) unmanaged.push(pod.metadata?.name ?? '');
    else seen.set(found.uid, found.replicas ?? 0);
  }
  return { scale: [...seen.values()].reduce((a, b) => a + b, 0), unmanaged };
}

/** The status without the condition's timestamps, to skip writes that change nothing. */
function comparable(st: PodDisruptionBudget['status']): string {
  return JSON.stringify({ ...st, conditions: st?.conditions?.map((c) => ({ ...c, lastTransitionTime: undefined })) });
}

export function disruptionController(opts: { now?: () => number } = {}): Controller {
  const now = opts.now ?? Date.now;
  return {
    name: DISRUPTION_CONTROLLER,
    setup(ctx: ControllerContext) {
      const budgets = ctx.informers.get<Obj<PodDisruptionBudget>>(refs.poddisruptionbudgets);
      const pods = ctx.informers.get<Obj<Pod>>(refs.pods);
      const scales: Scales = {
        replicaSets: ctx.informers.get<Obj<ReplicaSet>>(refs.replicasets),
        deployments: ctx.informers.get<Obj<Deployment>>(refs.deployments),
        statefulSets: ctx.informers.get<Obj<StatefulSet>>(refs.statefulsets),
        replicationControllers: ctx.informers.get<Obj<ReplicationController>>(refs.replicationcontrollers),
      };
      const warned = new Set<string>();
      const enqueueFor = (...ps: Pod[]) => {
        for (const b of budgets.list((b) => ps.some((p) => selectsPod(b, p)))) ctx.enqueue(objectKey(b));
      };
      budgets.on({ onAdd: (b) => ctx.enqueue(objectKey(b)), onUpdate: (_o, b) => ctx.enqueue(objectKey(b)) });
      pods.on({ onAdd: (p) => enqueueFor(p), onUpdate: (o, p) => enqueueFor(o, p), onDelete: (p) => enqueueFor(p) });
      // a scale change moves expectedPods of percentage and maxUnavailable budgets
      const enqueueScaled = (o: KubeObject) => {
        for (const b of budgets.list((b) => b.metadata?.namespace === o.metadata?.namespace && needsExpectedScale(b))) ctx.enqueue(objectKey(b));
      };
      for (const inf of Object.values(scales) as Informer<KubeObject>[]) inf.on({ onAdd: enqueueScaled, onUpdate: (_o, n) => enqueueScaled(n) });
      return {
        async reconcile(key: string): Promise<Result> {
          const pdb = budgets.get(key);
          if (!pdb) return {};
          const selected = pods.list((p) => selectsPod(pdb, p));
          let scale = 0;
          if (needsExpectedScale(pdb)) {
            const e = expectedScale(selected, scales);
            scale = e.scale;
            if (e.unmanaged.length && !warned.has(pdb.metadata?.uid ?? '')) {
              warned.add(pdb.metadata?.uid ?? '');
              void ctx.events.record(pdb as never, 'Warning', 'UnmanagedPods', `Pods selected by this PodDisruptionBudget were found to be unmanaged (${e.unmanaged.join(', ')}). As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`);
            }
          }
          const { status, requeueAfterMs } = budgetStatus({ pdb, pods: selected, expectedScale: scale, now: now() });
          if (comparable(status) !== comparable(pdb.status)) {
            // a conflict (an eviction charged the budget meanwhile) is retried with the newer object
            await unlessGone(ctx.client.updateStatus(refs.poddisruptionbudgets, { ...pdb, status } as Obj<PodDisruptionBudget>));
          }
          return requeueAfterMs !== undefined ? { requeueAfterMs } : {};
        },
      };
    },
  };
}
