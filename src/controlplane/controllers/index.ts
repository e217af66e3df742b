/**
 * The controllers `berth controller-manager` and `berth up` run, by name.
 */
import type { Controller } from './runtime/controller.js';
import { createControllerManager as createManager, CONTROLLER_MANAGER_USER, type ControllerManager, type ControllerManagerOptions } from './runtime/controller-manager.js';
import { cronJobController } from './cronjob-controller.js';
import { daemonSetController } from './daemonset-controller.js';
import { jobController } from './job-controller.js';
import { statefulSetController } from './statefulset-controller.js';
import { ttlAfterFinishedController } from './ttl-after-finished-controller.js';
import { deploymentController } from './deployment.js';
import { disruptionController } from './disruption-controller.js';
import { endpointsController } from './endpoints.js';
import { garbageCollector } from './garbage-collector.js';
import { namespaceController } from './namespace.js';
import { persistentVolumeController } from './persistentvolume-controller.js';
import { pvcProtectionController, pvProtectionController } from './storage-protection.js';
import { replicaSetController } from './replicaset.js';
import { replicationControllerController } from './replicationcontroller.js';
import { serviceAccountController } from './serviceaccount.js';
import { resourceQuotaController } from './resourcequota.js';
import { rootCAPublisherController } from './root-ca-publisher.js';
import { podGCController } from './podgc.js';
import { createNodeLifecycleController, NODE_LIFECYCLE_CONTROLLER, type NodeLifecycleOptions } from './node-lifecycle.js';

/** Settings of the built-in controllers that `berth up` and `berth controller-manager` expose as flags. */
export interface ControllerSettings {
  /** the PEM of the CA the API server is served with: adds the root-ca-cert-publisher, which pods' service-account volumes need */
  rootCA?: string;
  /** how long a pod's Node must be missing before podgc deletes the pod (upstream: 40 s) */
  podGCQuarantineMs?: number;
  /** the node lifecycle controller's grace period, check period and default toleration */
  nodeLifecycle?: Omit<NodeLifecycleOptions, 'client' | 'log'>;
}

/** Every built-in queue-driven controller, in the order their queues are listed. */
export function defaultControllers(opts: ControllerSettings = {}): Controller[] {
  return [deploymentController(), replicaSetController(), replicationControllerController(), garbageCollector(), namespaceController(), serviceAccountController(), endpointsController(),
    daemonSetController(), jobController(), cronJobController(), statefulSetController(), ttlAfterFinishedController(), persistentVolumeController(), pvcProtectionController(), pvProtectionController(), resourceQuotaController(),
    disruptionController(), podGCController({ quarantineMs: opts.podGCQuarantineMs }), ...(opts.rootCA ? [rootCAPublisherController(opts.rootCA)] : [])];
}

/** The names `--controllers` accepts: the queue-driven controllers and the node lifecycle controller. */
export function controllerNames(opts: ControllerSettings = {}): string[] {
  return [...defaultControllers(opts).map((c) => c.name), NODE_LIFECYCLE_CONTROLLER];
}

/**
 * A controller-manager Runnable running `opts.controllers` (by default every built-in controller)
 * and, unless `nodeLifecycleController` is false, the node lifecycle controller (by default only
 * with the default controllers: tests that pick controllers do not get a scan of their Nodes).
 * `berth up` and `berth controller-manager` start it through here.
 */
export function createControllerManager(opts: Omit<ControllerManagerOptions, 'controllers' | 'loops'> & ControllerSettings & { controllers?: Controller[]; nodeLifecycleController?: boolean }): ControllerManager {
  const loops = (opts.nodeLifecycleController ?? !opts.controllers)
    ? [createNodeLifecycleController({ client: opts.client(`berth-controller-manager/${NODE_LIFECYCLE_CONTROLLER}`), ...opts.nodeLifecycle, log: opts.log })]
    : [];
  return createManager({ ...opts, controllers: opts.controllers ?? defaultControllers(opts), loops });
}

export { CONTROLLER_MANAGER_USER, type ControllerManager, type ControllerManagerOptions };
