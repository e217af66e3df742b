/**
 * The whole stack for workload tests: the agent harness (API server on real Redis, process agents,
 * pods/log through the registry) plus a controller-manager and the scheduler, so objects users
 * create (Jobs, DaemonSets, Deployments) reach real processes the way they do under `berth up`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentOptions } from '../../src/agent/agent.js';
import { createControllerManager, CONTROLLER_MANAGER_USER, type ControllerManager } from '../../src/controlplane/controllers/index.js';
import type { Controller } from '../../src/controlplane/controllers/runtime/controller.js';
import { rootCAPublisherController } from '../../src/controlplane/controllers/root-ca-publisher.js';
import { serviceAccountController } from '../../src/controlplane/controllers/serviceaccount.js';
import { Manager } from '../../src/controlplane/runtime/runnable.js';
import { createScheduler, SCHEDULER_USER } from '../../src/controlplane/scheduler/scheduler.js';
import { startAgentCluster, type AgentCluster } from './agent-harness.js';

export interface StackCluster extends AgentCluster {
  manager: ControllerManager;
}

/**
 * Starts an agent cluster with one process agent per name in `nodes`, the `controllers` given (plus
 * the ServiceAccount and root-CA publishers every pod's token volume needs) and the scheduler.
 */
export async function startStack(nodes: string[], controllers: Controller[], agent: Partial<AgentOptions> = {}): Promise<StackCluster> {
  const c = await startAgentCluster({ name: nodes[0], ...agent });
  for (const name of nodes.slice(1)) await c.addAgent({ name, ...agent });
  const components = new Manager();
  const prefix = `{stack-${process.pid}-${Date.now()}}`;
  const ca = readFileSync(join(c.cluster.dir, 'pki', 'ca.crt'), 'utf8');
  const manager = createControllerManager({
    client: (ua) => c.cluster.api.client(CONTROLLER_MANAGER_USER, ua),
    redisUrl: c.cluster.redis.url,
    prefix,
    controllers: [...controllers, serviceAccountController(), rootCAPublisherController(ca)],
  });
  await components.add(manager);
  await components.add(createScheduler({ client: c.cluster.api.client(SCHEDULER_USER, 'default-scheduler'), redisUrl: c.cluster.redis.url, prefix }));
  return {
    ...c,
    manager,
    async stop() {
      await components.stop();
      await c.stop();
    },
  };
}
