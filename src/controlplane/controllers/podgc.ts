/**
 * Pod garbage collection (kube-controller-manager's pod-garbage-collector-controller) for the pods
 * no agent will ever finalize: a pod bound to a Node that no longer exists (`kubectl delete node`, a
 * machine gone for good) is marked Failed with a DisruptionTarget condition and force-deleted once the
 * Node has been missing for a quarantine (upstream: 40 s, so a Node re-registering after a slow
 * watch is not mistaken for a deleted one). Without it such pods stay Terminating (or Running)
 * forever: no agent will ever finalize them. (A pod deleted before it was scheduled needs no
 * collector: the API server deletes an unbound pod at once.)
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { objectKey } from '../client/informer.js';
import { refs } from '../client/refs.js';
import type { KubeObject } from '../resources/types.js';
import type { Controller, ControllerContext } from './runtime/controller.js';
import type { Result } from './runtime/reconciler.js';
import { isNotFound, unlessGone } from './workload-io.js';

export const POD_GC_CONTROLLER = 'pod-garbage-collector-controller';

/** Upstream podgc's quarantineTime: how long a Node must be missing before its pods are deleted. */
export const ORPHAN_QUARANTINE_MS = 40_000;

export interface PodGCOptions {
  /** how long a Node must be missing before its pods are collected (default ORPHAN_QUARANTINE_MS) */
  quarantineMs?: number;
  now?: () => number;
}

export function podGCController(opts: PodGCOptions = {}): Controller {
  const quarantine = opts.quarantineMs ?? ORPHAN_QUARANTINE_MS;
  const now = opts.now ?? Date.now;
  return {
    name: POD_GC_CONTROLLER,
    setup(ctx: ControllerContext) {
      const pods = ctx.informers.get<Pod & KubeObject>(refs.pods);
      const nodes = ctx.informers.get<Node & KubeObject>(refs.nodes);
      /** node name → when this process first saw it missing (while it is missing and has pods) */
      const missingSince = new Map<string, number>();
      const consider = (p: Pod & KubeObject) => {
        const node = p.spec?.nodeName;
        if (node && !nodes.get(node)) ctx.enqueue(objectKey(p));
      };
      const podGone = (p: Pod & KubeObject) => {
        const node = p.spec?.nodeName ?? '';
        if (missingSince.has(node) && pods.list((x) => x.spec?.nodeName === node).length === 0) missingSince.delete(node);
      };
      pods.on({ onAdd: consider, onUpdate: (_o, p) => consider(p), onDelete: podGone });
      nodes.on({
        onAdd: (n) => missingSince.delete(n.metadata?.name ?? ''),
        onDelete: (n) => {
          const name = n.metadata?.name ?? '';
          for (const p of pods.list((x) => x.spec?.nodeName === name)) ctx.enqueue(objectKey(p));
        },
      });

      return {
        async reconcile(key: string): Promise<Result> {
          const pod = pods.get(key);
          if (!pod) return {};
          const nodeName = pod.spec?.nodeName;
          if (!nodeName || nodes.get(nodeName)) return {};
          const since = missingSince.get(nodeName) ?? now();
          missingSince.set(nodeName, since);
          const wait = since + quarantine - now();
          if (wait > 0) return { requeueAfterMs: wait };
          // the cache may lag: ask the API server before deleting anything (as upstream does)
          if (await ctx.client.find(refs.nodes, nodeName)) {
            missingSince.delete(nodeName);
            return {};
          }
          ctx.log(`podgc: deleting pod ${key}: its node ${nodeName} no longer exists`);
          const phase = pod.status?.phase;
          if (phase !== 'Succeeded' && phase !== 'Failed') {
            const at = new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
            const disruption = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: at };
            try {
              // strategic merge: conditions merge by type, so one another writer added meanwhile stays
              await ctx.client.patch(refs.pods, pod.metadata!.name!, 'strategic', { status: { phase: 'Failed', conditions: [disruption] } }, { namespace: pod.metadata?.namespace, subresource: 'status' });
            } catch (e) {
              if (isNotFound(e)) return {};
              throw e;
            }
          }
          await unlessGone(ctx.client.delete(refs.pods, pod.metadata!.name!, { namespace: pod.metadata?.namespace, gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } }));
          return {};
        },
      };
    },
  };
}
