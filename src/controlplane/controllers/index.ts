/**
 * The controllers `berth controller-manager` and `berth up` run, by name.
 */
import type { Controller } from './runtime/controller.js';
import { deploymentController } from './deployment.js';
import { replicaSetController } from './replicaset.js';
import { replicationControllerController } from './replicationcontroller.js';

/** Every built-in controller, in the order their queues are listed. */
export function defaultControllers(): Controller[] {
  return [deploymentController(), replicaSetController(), replicationControllerController()];
}

export { createControllerManager, CONTROLLER_MANAGER_USER, type ControllerManager, type ControllerManagerOptions } from './runtime/controller-manager.js';
