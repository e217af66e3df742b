/**
 * How a controller plugs into the controller-manager: a name (its queue) and a `setup` that
 * registers informer handlers mapping events to keys and returns the reconciler. Controllers of
 * other kinds (DaemonSet, Job, CronJob, StatefulSet) are written against this interface.
 */
import type { Client } from '../../client/client.js';
import type { EventRecorder } from '../../client/events.js';
import type { Expectations } from './expectations.js';
import type { SharedInformers } from './informers.js';
import type { Reconciler } from './reconciler.js';

export interface ControllerContext {
  /** acts as the controller-manager's identity; user agent names the controller */
  client: Client;
  /** shared with the other controllers of this manager; request informers in `setup` only */
  informers: SharedInformers;
  /** queues a key for this controller (coalesced; safe to call from informer handlers) */
  enqueue(key: string): void;
  /** records Events with this controller's name as the source component */
  events: EventRecorder;
  /** this controller's write watermarks (see expectations.ts) */
  expectations: Expectations;
  /** Redis URL and key prefix, for controllers that need BullMQ themselves (CronJob schedules) */
  redisUrl: string;
  prefix: string;
  log(line: string): void;
}

export interface Controller {
  /** queue name and event source, e.g. `replicaset-controller` */
  readonly name: string;
  setup(ctx: ControllerContext): Reconciler;
}
