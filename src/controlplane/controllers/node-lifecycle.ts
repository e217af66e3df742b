/**
 * The node lifecycle controller (kube-controller-manager's node-lifecycle-controller): a Node whose
 * Lease has not been renewed within the grace period (--node-monitor-grace-period) becomes
 * Ready=Unknown and gets the node.kubernetes.io/unreachable taints (NoSchedule, NoExecute); every pod
 * on a Node that is not Ready is marked not ready at once (upstream's MarkPodsNotReady; once per
 * not-ready episode, see `episodes`), so Endpoints and the Service proxy stop sending it traffic long
 * before eviction; pods are evicted once their toleration of the taint runs out (pods without one
 * get the DefaultTolerationSeconds admission's 300 s); when the agent is back (fresh Lease,
 * Ready=True again) the taints go and the agent posts its pods' readiness again. Lease freshness is
 * judged on this controller's clock, as upstream does.
 *
 * A periodic scan (upstream's monitorNodeHealth every --node-monitor-period), not a work queue: it
 * runs in each controller-manager that selects it, and its writes are idempotent (conditions and
 * taints computed from the same state, deletes and status writes preconditioned).
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, Pod, PodCondition, Taint } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../api/errors.js';
import type { Client } from '../client/client.js';
import { EventRecorder } from '../client/events.js';
import { Informer } from '../client/informer.js';
import { refs } from '../client/refs.js';
import type { KubeObject } from '../resources/types.js';
import type { Runnable } from '../runtime/runnable.js';
import { LeanClient } from '../client/lean-client.js';

export const NODE_LIFECYCLE_CONTROLLER = 'node-lifecycle-controller';

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

export interface NodeLifecycleOptions {
  client: Client;
  /** a Lease older than this makes its Node unreachable (Kubernetes 1.32: 50 s) */
  gracePeriodMs?: number;
  /** how often nodes are checked (upstream --node-monitor-period: 5 s) */
  checkIntervalMs?: number;
  /** tolerationSeconds for pods without a toleration of the unreachable taint (upstream: 300) */
  defaultTolerationSeconds?: number;
  log?: (line: string) => void;
}

/** When a pod on a node with these taints must go (ms since epoch), or undefined to keep it. */
export function evictionTime(pod: Pod, taints: Taint[], defaultTolerationSeconds: number): number | undefined {
  let at: number | undefined;
  for (const t of taints) {
    if (t.effect !== 'NoExecute') continue;
    const tol = (pod.spec?.tolerations ?? []).find(
      (x) => (x.effect === undefined || x.effect === '' || x.effect === t.effect) && (x.operator === 'Exists' ? !x.key || x.key === t.key : x.key === t.key && (x.value ?? '') === (t.value ?? '')),
    );
    const added = t.timeAdded ? Date.parse(t.timeAdded) : Date.now();
    let when: number | undefined;
    if (!tol) when = t.key === UNREACHABLE_TAINT || t.key === 'node.kubernetes.io/not-ready' ? added + defaultTolerationSeconds * 1000 : added;
    else if (tol.tolerationSeconds !== undefined && tol.tolerationSeconds !== null) when = added + Math.max(0, tol.tolerationSeconds) * 1000;
    if (when !== undefined) at = at === undefined ? when : Math.min(at, when);
  }
  return at;
}

/**
 * The pod's conditions with Ready turned False, as MarkPodsNotReady does (status only: reason and
 * message stay, lastTransitionTime is `now`); undefined when it has no Ready condition or it is
 * already False.
 */
export function notReadyConditions(pod: Pod, now: string): PodCondition[] | undefined {
  const conds = pod.status?.conditions;
  const ready = conds?.find((c) => c.type === 'Ready');
  if (!conds || !ready || ready.status === 'False') return undefined;
  return conds.map((c) => (c === ready ? { ...c, status: 'False', lastTransitionTime: now } : c));
}

function unknownConditions(conds: NodeCondition[] | undefined, now: string): NodeCondition[] {
  const types = new Set(['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure', ...(conds ?? []).map((c) => c.type)]);
  return [...types].map((type) => {
    const old = conds?.find((c) => c.type === type);
    return { ...old, type, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: old?.status === 'Unknown' ? old.lastTransitionTime : now, lastHeartbeatTime: old?.lastHeartbeatTime };
  });
}

type NodeObject = Node & KubeObject;

export function createNodeLifecycleController(opts: NodeLifecycleOptions): Runnable {
  const { client } = opts;
  const grace = opts.gracePeriodMs ?? 50_000;
  const every = opts.checkIntervalMs ?? 5000;
  const defaultToleration = opts.defaultTolerationSeconds ?? 300;
  const log = opts.log ?? (() => {});
  const lean = new LeanClient(client);
  const nodes = new Informer<NodeObject>(lean, refs.nodes, { log });
  const leases = new Informer<Lease & KubeObject>(lean, refs.leases, { namespace: 'kube-node-lease', log });
  const pods = new Informer<Pod & KubeObject>(lean, refs.pods, { fieldSelector: 'spec.nodeName!=', log });
  const events = new EventRecorder(client, 'node-controller');
  /** node → [last renewTime seen, when we saw it change (our clock)] */
  const seen = new Map<string, { renew: string; at: number }>();
  const evicted = new Set<string>();
  /**
   * Node → the pods (uids) already handled in its current not-ready episode. Upstream marks pods not
   * ready when their node turns not ready, and a pod bound to a node that is not ready once; a pod is
   * not marked again in the same episode, so an agent that is alive but renewing late and posts its
   * pods' readiness back is not answered with another write (two status writes and an event per pod
   * per check, and flapping Endpoints). The entry goes when the node is Ready again or gone.
   */
  const episodes = new Map<string, Set<string>>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let done: Promise<void> = Promise.resolve();

  const check = async () => {
    const now = Date.now();
    const stamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const notReady = new Set<string>();
    for (const node of nodes.list()) {
      const name = node.metadata!.name!;
      const renew = leases.get(`kube-node-lease/${name}`)?.spec?.renewTime ?? node.metadata?.creationTimestamp ?? '';
      const s = seen.get(name);
      if (!s || s.renew !== renew) seen.set(name, { renew, at: now });
      const healthy = now - seen.get(name)!.at <= grace;
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      const taints = node.spec?.taints ?? [];
      const tainted = taints.some((t) => t.key === UNREACHABLE_TAINT);
      if (!healthy || (ready !== undefined && ready.status !== 'True')) notReady.add(name);
      try {
        if (!healthy && ready?.status !== 'Unknown') {
          log(`node-lifecycle: node ${name} stopped renewing its Lease: Ready=Unknown`);
          await client.patch(refs.nodes, name, 'merge', { status: { conditions: unknownConditions(node.status?.conditions, stamp) } }, { subresource: 'status' });
          void events.record(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        }
        if (!healthy && !tainted) {
          const add: Taint[] = [
            { key: UNREACHABLE_TAINT, effect: 'NoSchedule', timeAdded: stamp },
            { key: UNREACHABLE_TAINT, effect: 'NoExecute', timeAdded: stamp },
          ];
          await client.patch(refs.nodes, name, 'merge', { spec: { taints: [...taints, ...add] } });
        }
        if (healthy && tainted && ready?.status === 'True') {
          log(`node-lifecycle: node ${name} is back`);
          await client.patch(refs.nodes, name, 'merge', { spec: { taints: taints.filter((t) => t.key !== UNREACHABLE_TAINT) } });
        }
      } catch (e) {
        if (!(e instanceof StatusError && e.reason === 'NotFound')) log(`node-lifecycle: node ${name}: ${(e as Error).message}`);
      }
    }
    for (const name of episodes.keys()) if (!notReady.has(name)) episodes.delete(name);
    const stillThere = new Set<string>();
    for (const pod of pods.list()) {
      const name = pod.spec?.nodeName ?? '';
      if (!notReady.has(name)) continue;
      const uid = pod.metadata?.uid ?? '';
      stillThere.add(uid);
      if (!episodes.has(name)) episodes.set(name, new Set());
      const handled = episodes.get(name)!;
      if (!handled.has(uid) && (await markNotReady(pod, stamp))) handled.add(uid);
    }
    for (const handled of episodes.values()) for (const uid of handled) if (!stillThere.has(uid)) handled.delete(uid);
    for (const pod of pods.list()) {
      const node = nodes.get(pod.spec?.nodeName ?? '');
      const uid = pod.metadata?.uid ?? '';
      if (!node || pod.metadata?.deletionTimestamp || evicted.has(uid)) continue;
      const at = evictionTime(pod, node.spec?.taints ?? [], defaultToleration);
      if (at === undefined || at > now) continue;
      evicted.add(uid);
      log(`node-lifecycle: evicting pod ${pod.metadata?.namespace}/${pod.metadata?.name} from node ${node.metadata?.name}`);
      void events.record(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata?.namespace}/${pod.metadata?.name}`);
      try {
        await client.delete(refs.pods, pod.metadata!.name!, { namespace: pod.metadata?.namespace, preconditions: { uid } });
      } catch (e) {
        if (!(e instanceof StatusError && (e.reason === 'NotFound' || e.reason === 'Conflict'))) {
          evicted.delete(uid);
          log(`node-lifecycle: evicting ${pod.metadata?.name}: ${(e as Error).message}`);
        }
      }
    }
    if (evicted.size > 10_000) evicted.clear();
  };

  /**
   * MarkPodsNotReady for one pod: Ready=False through pods/status, preconditioned on what was read.
   * True when the pod is handled (written, already not ready, or gone); false to try again at the
   * next check (a Conflict: the write was based on a stale read; or another error).
   */
  const markNotReady = async (pod: Pod & KubeObject, stamp: string): Promise<boolean> => {
    const conditions = notReadyConditions(pod, stamp);
    if (!conditions) return true;
    const rv = pod.metadata?.resourceVersion ?? '';
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    try {
      // the resourceVersion makes a write based on a stale read fail (Conflict) instead of undoing a newer status
      await client.patch(refs.pods, pod.metadata!.name!, 'merge', { metadata: { resourceVersion: rv }, status: { conditions } }, { namespace: pod.metadata?.namespace, subresource: 'status' });
      log(`node-lifecycle: pod ${key} on node ${pod.spec?.nodeName}: Ready=False`);
      void events.record(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      return true;
    } catch (e) {
      if (e instanceof StatusError && e.reason === 'NotFound') return true;
      if (!(e instanceof StatusError && e.reason === 'Conflict')) log(`node-lifecycle: marking pod ${key} not ready: ${(e as Error).message}`);
      return false;
    }
  };

  return {
    name: NODE_LIFECYCLE_CONTROLLER,
    async start(signal) {
      await Promise.all([nodes.start(signal), leases.start(signal), pods.start(signal)]);
      const tick = () => {
        running = check().catch((e: Error) => log(`node-lifecycle: ${e.message}`));
        void running.then(() => {
          if (!signal.aborted) timer = setTimeout(tick, every);
        });
      };
      timer = setTimeout(tick, every);
      done = new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          void Promise.all([running, nodes.stopped(), leases.stopped(), pods.stopped()]).then(() => resolve());
        }, { once: true });
      });
    },
    stopped: () => done,
  };
}
