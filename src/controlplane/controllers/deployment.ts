/**
 * The Deployment controller: one ReplicaSet per pod template (named by pod-template-hash), rolled
 * out RollingUpdate (maxSurge/maxUnavailable) or Recreate, with revisions kubectl's `rollout
 * history/undo` read, proportional scaling, paused rollouts, history cleanup and the status and
 * conditions `rollout status` waits on. The arithmetic is in deployment-rollout.ts.
 */
import { StatusError } from '../api/errors.js';
import type { Client } from '../client/client.js';
import { objectKey } from '../client/informer.js';
import { refs } from '../client/refs.js';
import type { KubeObject, OwnerReference } from '../resources/types.js';
import { labelSelectorFromObject, type LabelSelector } from '../store/selectors.js';
import {
  byCreation,
  canonicalJson,
  copiedAnnotations,
  DESIRED_REPLICAS,
  fenceposts,
  historyToPrune,
  MAX_REPLICAS,
  newReplicaSet,
  newRSReplicas,
  podTemplateHash,
  proportionalScale,
  REVISION,
  REVISION_HISTORY,
  revisionOf,
  rolloutStatus,
  sameTemplate,
  scaleDownOld,
  type Deployment,
  type ReplicaSet,
} from './deployment-rollout.js';
import { controllerOf, controllerRef, isTerminal, type PodObject as Pod } from '../resources/pod-state.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import { StalledError, type Result } from './runtime/reconciler.js';

const specReplicas = (rs: ReplicaSet | undefined) => rs?.spec?.replicas ?? 0;

function isStatus(e: unknown, reason: string): boolean {
  return e instanceof StatusError && e.reason === reason;
}

export const deploymentController = (): Controller => ({
  name: 'deployment-controller',
  setup(ctx: ControllerContext) {
    const deployments = ctx.informers.get<Deployment>(refs.deployments);
    const replicaSets = ctx.informers.get<ReplicaSet>(refs.replicasets);
    const pods = ctx.informers.get<Pod>(refs.pods);
    const enqueue = (o: KubeObject) => ctx.enqueue(objectKey(o));
    deployments.on({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });

    const ownersOfRS = (rs: ReplicaSet) => {
      const ref = controllerOf(rs);
      const ns = rs.metadata?.namespace;
      if (ref) {
        if (ref.kind === 'Deployment') ctx.enqueue(`${ns}/${ref.name}`);
        return;
      }
      for (const d of deployments.list((d) => d.metadata?.namespace === ns)) {
        if (selectorOf(d)?.matches(rs.metadata?.labels)) enqueue(d);
      }
    };
    replicaSets.on({ onAdd: ownersOfRS, onUpdate: (old, rs) => (ownersOfRS(old), ownersOfRS(rs)), onDelete: ownersOfRS });
    // Recreate waits for the old pods to be gone, which RS status does not show for terminating ones
    pods.on({
      onDelete: (p) => {
        const ref = controllerOf(p);
        if (ref?.kind !== 'ReplicaSet') return;
        const rs = replicaSets.get(`${p.metadata?.namespace}/${ref.name}`);
        if (rs) ownersOfRS(rs);
      },
    });

    return {
      async reconcile(key: string): Promise<Result> {
        const d = deployments.get(key);
        if (!d) return {};
        await ctx.expectations.await(key, refs.replicasets);
        const sync = new DeploymentSync(ctx, d);
        const selector = selectorOf(d);
        if (!selector || selector.empty) {
          throw new StalledError('a Deployment with an empty or invalid selector would select every pod', 'SelectingAll', d);
        }
        const ns = d.metadata?.namespace ?? '';
        const mine = await sync.claim(replicaSets.list((rs) => rs.metadata?.namespace === ns), selector);
        try {
          if (d.metadata?.deletionTimestamp) return await sync.status(mine);
          if (d.spec.paused || isScalingEvent(d, mine)) return await sync.scaleOnly(mine);
          if (d.spec.strategy?.type === 'Recreate') {
            const old = new Set(mine.map((rs) => rs.metadata?.uid));
            const running = pods.list((p) => p.metadata?.namespace === ns && old.has(controllerOf(p)?.uid) && !isTerminal(p));
            return await sync.recreate(mine, running.length);
          }
          return await sync.rolling(mine);
        } finally {
          await ctx.expectations.record(key, sync.written);
        }
      },
    };
  },
});

function selectorOf(d: Deployment): LabelSelector | undefined {
  try {
    return labelSelectorFromObject(d.spec?.selector);
  } catch {
    return undefined;
  }
}

/** Active ReplicaSets whose desired-replicas annotation lags spec.replicas: a scale, not a rollout. */
function isScalingEvent(d: Deployment, mine: ReplicaSet[]): boolean {
  const want = String(d.spec.replicas ?? 1);
  const active = mine.filter((rs) => specReplicas(rs) > 0);
  return active.some((rs) => {
    const a = rs.metadata?.annotations?.[DESIRED_REPLICAS];
    return a !== undefined && a !== want;
  });
}

/** One reconcile of one Deployment: each step acts through the client and remembers what it wrote. */
class DeploymentSync {
  readonly written: KubeObject[] = [];
  private createdNew = false;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly d: Deployment,
  ) {}

  private get client(): Client {
    return this.ctx.client;
  }

  private get ns(): string {
    return this.d.metadata?.namespace ?? '';
  }

  /** Adopts orphan ReplicaSets matching the selector, releases owned ones that stopped matching. */
  async claim(all: ReplicaSet[], selector: LabelSelector): Promise<ReplicaSet[]> {
    const uid = this.d.metadata?.uid;
    const mine: ReplicaSet[] = [];
    for (const rs of all) {
      const ref = controllerOf(rs);
      const matches = selector.matches(rs.metadata?.labels);
      if (ref?.uid === uid) {
        if (matches) mine.push(rs);
        else if (!rs.metadata?.deletionTimestamp) await this.setOwners(rs, (rs.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid));
      } else if (!ref && matches && !this.d.metadata?.deletionTimestamp && !rs.metadata?.deletionTimestamp) {
        const adopted = await this.setOwners(rs, [...(rs.metadata?.ownerReferences ?? []), controllerRef(this.d)]);
        if (adopted) mine.push(adopted);
      }
    }
    return mine;
  }

  private async setOwners(rs: ReplicaSet, owners: OwnerReference[]): Promise<ReplicaSet | undefined> {
    try {
      const out = await this.client.patch<ReplicaSet>(refs.replicasets, rs.metadata?.name ?? '', 'merge', { metadata: { resourceVersion: rs.metadata?.resourceVersion, ownerReferences: owners.length ? owners : null } }, { namespace: this.ns });
      this.written.push(out);
      return out;
    } catch (e) {
      if (isStatus(e, 'NotFound')) return undefined;
      throw e;
    }
  }

  /** Scales `rs` to `replicas` (and records desired/max replicas on it), with an event. */
  private async scale(rs: ReplicaSet, replicas: number): Promise<ReplicaSet> {
    const from = specReplicas(rs);
    const annotations = { [DESIRED_REPLICAS]: String(this.d.spec.replicas ?? 1), [MAX_REPLICAS]: String((this.d.spec.replicas ?? 1) + fenceposts(this.d.spec)[0]) };
    const sameAnnotations = Object.entries(annotations).every(([k, v]) => rs.metadata?.annotations?.[k] === v);
    if (from === replicas && sameAnnotations) return rs;
    const out = await this.client.patch<ReplicaSet>(refs.replicasets, rs.metadata?.name ?? '', 'merge', { metadata: { annotations }, spec: { replicas } }, { namespace: this.ns });
    this.written.push(out);
    if (from !== replicas) {
      const dir = replicas > from ? 'up' : 'down';
      void this.ctx.events.record(this.d, 'Normal', 'ScalingReplicaSet', `Scaled ${dir} replica set ${rs.metadata?.name} from ${from} to ${replicas}`);
    }
    return out;
  }

  private split(mine: ReplicaSet[]): { newRS?: ReplicaSet; olds: ReplicaSet[] } {
    const sorted = [...mine].sort(byCreation);
    const newRS = sorted.find((rs) => sameTemplate(rs.spec?.template, this.d.spec.template));
    return { newRS, olds: sorted.filter((rs) => rs !== newRS) };
  }

  /**
   * The new ReplicaSet: found (its revision brought to max(old)+1 and the Deployment's annotations
   * copied, as after `rollout undo`), or created with `replicas`. A name taken by a ReplicaSet with
   * another template bumps status.collisionCount, which changes the hash.
   */
  private async ensureNew(mine: ReplicaSet[], replicas: (newRS?: ReplicaSet) => number): Promise<{ newRS: ReplicaSet; olds: ReplicaSet[] }> {
    const { newRS, olds } = this.split(mine);
    const revision = Math.max(0, ...olds.map(revisionOf)) + 1;
    if (newRS) {
      const cur = revisionOf(newRS);
      const want: Record<string, string> = { ...copiedAnnotations(this.d) };
      if (cur < revision) {
        want[REVISION] = String(revision);
        const history = newRS.metadata?.annotations?.[REVISION_HISTORY];
        if (cur > 0) want[REVISION_HISTORY] = history ? `${history},${cur}` : String(cur);
      }
      const stale = Object.entries(want).some(([k, v]) => newRS.metadata?.annotations?.[k] !== v);
      const updated = stale ? await this.client.patch<ReplicaSet>(refs.replicasets, newRS.metadata?.name ?? '', 'merge', { metadata: { annotations: want } }, { namespace: this.ns }) : newRS;
      if (stale) this.written.push(updated);
      await this.syncRevision(updated);
      return { newRS: updated, olds };
    }
    const collisions = this.d.status?.collisionCount;
    const hash = podTemplateHash(this.d.spec.template, collisions);
    const rs = newReplicaSet(this.d, hash, revision, replicas(undefined));
    try {
      const created = await this.client.create(refs.replicasets, rs);
      this.written.push(created);
      this.createdNew = true;
      if (specReplicas(created) > 0) void this.ctx.events.record(this.d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata?.name} from 0 to ${specReplicas(created)}`);
      await this.syncRevision(created);
      return { newRS: created, olds };
    } catch (e) {
      if (!isStatus(e, 'AlreadyExists')) throw e;
      const existing = await this.client.get<ReplicaSet>(refs.replicasets, rs.metadata?.name ?? '', this.ns);
      if (controllerOf(existing)?.uid === this.d.metadata?.uid && sameTemplate(existing.spec?.template, this.d.spec.template)) {
        // our own, not yet in the cache
        return { newRS: existing, olds };
      }
      await this.client.patch(refs.deployments, this.d.metadata?.name ?? '', 'merge', { status: { collisionCount: (collisions ?? 0) + 1 } }, { namespace: this.ns, subresource: 'status' });
      throw new StatusError('Conflict', `hash collision for ReplicaSet ${rs.metadata?.name}; collisionCount raised`);
    }
  }

  /** The Deployment's revision annotation follows its new ReplicaSet's. */
  private async syncRevision(newRS: ReplicaSet): Promise<void> {
    const rev = newRS.metadata?.annotations?.[REVISION];
    if (!rev || this.d.metadata?.annotations?.[REVISION] === rev) return;
    await this.client.patch(refs.deployments, this.d.metadata?.name ?? '', 'merge', { metadata: { annotations: { [REVISION]: rev } } }, { namespace: this.ns });
  }

  async rolling(mine: ReplicaSet[]): Promise<Result> {
    const { newRS, olds } = await this.ensureNew(mine, (rs) => newRSReplicas(this.d, mine, rs));
    const all = [newRS, ...olds];
    const desired = this.d.spec.replicas ?? 1;
    if (!this.createdNew) {
      const cur = specReplicas(newRS);
      const target = cur > desired ? desired : newRSReplicas(this.d, all, newRS);
      if (target !== cur) {
        const scaled = await this.scale(newRS, target);
        return this.status([scaled, ...olds]);
      }
    }
    const down = scaleDownOld(this.d, newRS, olds);
    if (down.size > 0) {
      const next = await Promise.all(olds.map((rs) => (down.has(rs.metadata?.name ?? '') ? this.scale(rs, down.get(rs.metadata?.name ?? '')!) : rs)));
      return this.status([newRS, ...next]);
    }
    return this.finish(newRS, all);
  }

  async recreate(mine: ReplicaSet[], oldPodsRunning: number): Promise<Result> {
    const { newRS: found, olds } = this.split(mine);
    const active = olds.filter((rs) => specReplicas(rs) > 0);
    if (active.length > 0) {
      const next = await Promise.all(olds.map((rs) => (specReplicas(rs) > 0 ? this.scale(rs, 0) : rs)));
      return this.status(found ? [found, ...next] : next);
    }
    if (oldPodsRunning > 0) return this.status(mine);
    const { newRS } = await this.ensureNew(mine, () => this.d.spec.replicas ?? 1);
    const scaled = await this.scale(newRS, this.d.spec.replicas ?? 1);
    return this.finish(scaled, [scaled, ...olds]);
  }

  /** Paused, or spec.replicas changed: scale the active ReplicaSets proportionally, no rollout. */
  async scaleOnly(mine: ReplicaSet[]): Promise<Result> {
    const { newRS, olds } = this.split(mine);
    if (newRS) await this.syncRevision(newRS);
    const desired = this.d.spec.replicas ?? 1;
    const active = mine.filter((rs) => specReplicas(rs) > 0);
    let targets: Map<string, number>;
    if (active.length === 0 && newRS) targets = new Map([[newRS.metadata?.name ?? '', desired]]);
    else if (active.length === 1) targets = new Map([[active[0].metadata?.name ?? '', desired]]);
    else targets = proportionalScale(this.d, active);
    const next = await Promise.all(mine.map((rs) => (targets.has(rs.metadata?.name ?? '') || specReplicas(rs) > 0 ? this.scale(rs, targets.get(rs.metadata?.name ?? '') ?? specReplicas(rs)) : rs)));
    if (this.d.spec.paused) await this.cleanup(olds);
    return this.status(next);
  }

  private async finish(newRS: ReplicaSet, all: ReplicaSet[]): Promise<Result> {
    const { status } = rolloutStatus(this.d, newRS, all, Date.now());
    const desired = this.d.spec.replicas ?? 1;
    if (status.updatedReplicas === desired && status.availableReplicas === desired && status.replicas === desired) await this.cleanup(all.filter((rs) => rs !== newRS));
    return this.status(all);
  }

  /** Deletes old ReplicaSets beyond revisionHistoryLimit. */
  private async cleanup(olds: ReplicaSet[]): Promise<void> {
    for (const rs of historyToPrune(this.d, olds)) {
      try {
        await this.client.delete(refs.replicasets, rs.metadata?.name ?? '', { namespace: this.ns, preconditions: { uid: rs.metadata?.uid } });
      } catch (e) {
        if (!isStatus(e, 'NotFound') && !isStatus(e, 'Conflict')) throw e;
      }
    }
  }

  /** Writes status and conditions when they changed; asks to be requeued for the progress deadline. */
  async status(mine: ReplicaSet[]): Promise<Result> {
    const { newRS } = this.split(mine);
    const { status, requeueAfterMs } = rolloutStatus(this.d, newRS, mine, Date.now(), this.createdNew ? 'created' : undefined);
    if (canonicalJson(status) !== canonicalJson(this.d.status ?? {})) {
      try {
        await this.client.patch(refs.deployments, this.d.metadata?.name ?? '', 'merge', { status: { ...status, conditions: status.conditions } }, { namespace: this.ns, subresource: 'status' });
      } catch (e) {
        if (!isStatus(e, 'NotFound')) throw e;
      }
    }
    return requeueAfterMs !== undefined ? { requeueAfterMs } : {};
  }
}
