/**
 * The node lifecycle controller: a Node whose Lease has not been renewed within the grace period
 * becomes Ready=Unknown and gets the node.kubernetes.io/unreachable taints (NoSchedule, NoExecute);
 * pods on it are evicted once their toleration of that taint runs out (pods without one get the
 * DefaultTolerationSeconds admission's 300 s); when the agent is back (fresh Lease, Ready=True
 * again) the taints go. Lease freshness is judged on this controller's clock, as upstream does.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../controlplane/api/errors.js';
import type { Client } from '../controlplane/client/client.js';
import { EventRecorder } from '../controlplane/client/events.js';
import { Informer } from '../controlplane/client/informer.js';
import { refs } from '../controlplane/client/refs.js';
import type { KubeObject } from '../controlplane/resources/types.js';
import type { Runnable } from '../controlplane/runtime/runnable.js';
import { LeanClient } from './lean-client.js';

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

export interface NodeLifecycleOptions {
  client: Client;
  /** a Lease older than this makes its Node unreachable (Kubernetes 1.32: 50 s) */
  gracePeriodMs?: number;
  /** how often nodes are checked (upstream: 5 s) */
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
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let done: Promise<void> = Promise.resolve();

  const check = async () => {
    const now = Date.now();
    const stamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const node of nodes.list()) {
      const name = node.metadata!.name!;
      const renew = leases.get(`kube-node-lease/${name}`)?.spec?.renewTime ?? node.metadata?.creationTimestamp ?? '';
      const s = seen.get(name);
      if (!s || s.renew !== renew) seen.set(name, { renew, at: now });
      const healthy = now - seen.get(name)!.at <= grace;
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      const taints = node.spec?.taints ?? [];
      const tainted = taints.some((t) => t.key === UNREACHABLE_TAINT);
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

  return {
    name: 'node-lifecycle-controller',
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
