/**
 * The controllers `berth controller-manager` and `berth up` run, by name.
 */
import type { Controller } from './runtime/controller.js';
import { cronJobController } from './cronjob-controller.js';
import { daemonSetController } from './daemonset-controller.js';
import { jobController } from './job-controller.js';
import { statefulSetController } from './statefulset-controller.js';
import { ttlAfterFinishedController } from './ttl-after-finished-controller.js';
import { deploymentController } from './deployment.js';
import { endpointsController } from './endpoints.js';
import { garbageCollector } from './garbage-collector.js';
import { namespaceController } from './namespace.js';
import { replicaSetController } from './replicaset.js';
import { replicationControllerController } from './replicationcontroller.js';
import { serviceAccountController } from './serviceaccount.js';

/** Every built-in controller, in the order their queues are listed. */
export function defaultControllers(): Controller[] {
  return [deploymentController(), replicaSetController(), replicationControllerController(), garbageCollector(), namespaceController(), serviceAccountController(), endpointsController(),
    daemonSetController(), jobController(), cronJobController(), statefulSetController(), ttlAfterFinishedController()];
}

export { createControllerManager, CONTROLLER_MANAGER_USER, type ControllerManager, type ControllerManagerOptions } from './runtime/controller-manager.js';
