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

/**
 * Every built-in controller, in the order their queues are listed. `rootCA` (the PEM of the CA the
 * API server is served with) adds the root-ca-cert-publisher, which pods' service-account volumes need.
 */
export function defaultControllers(opts: { rootCA?: string } = {}): Controller[] {
  return [deploymentController(), replicaSetController(), replicationControllerController(), garbageCollector(), namespaceController(), serviceAccountController(), endpointsController(),
    daemonSetController(), jobController(), cronJobController(), statefulSetController(), ttlAfterFinishedController(), persistentVolumeController(), pvcProtectionController(), pvProtectionController(), resourceQuotaController(),
    disruptionController(), ...(opts.rootCA ? [rootCAPublisherController(opts.rootCA)] : [])];
}

/**
 * A controller-manager Runnable running `opts.controllers`, by default every built-in controller.
 * `berth up` and `berth controller-manager` start it through here.
 */
export function createControllerManager(opts: Omit<ControllerManagerOptions, 'controllers'> & { controllers?: Controller[]; rootCA?: string }): ControllerManager {
  return createManager({ ...opts, controllers: opts.controllers ?? defaultControllers({ rootCA: opts.rootCA }) });
}

export { CONTROLLER_MANAGER_USER, type ControllerManager, type ControllerManagerOptions };
