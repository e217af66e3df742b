/**
 * Everything node-side that `berth up` runs in its process, in one call: the pods/log registry on
 * the API handler, N node agents (process: one agent per node; sim: one process hosting all) and
 * the Service proxy — each a Runnable for the Manager, each with its own identity. (The node
 * lifecycle controller runs in the controller-manager, as in Kubernetes.)
 */
import { join } from 'node:path';
import type { RunningApiServer } from '../controlplane/apiserver.js';
import type { UserInfo } from '../controlplane/api/request.js';
import type { Runnable } from '../controlplane/runtime/runnable.js';
import { createAgent, createSimNodes, nodeUser } from './agent.js';
import { servePodSubresources } from './connector.js';
import type { SimRuntimeOptions } from './runtime/sim/sim-runtime.js';
import { createServiceProxy, type ServiceProxyOptions } from './proxy/service-proxy.js';
import { serviceHostFor } from './runtime/process/service-env.js';

export interface NodeComponentsOptions {
  /** node agents to start (0: none, but the proxy still runs) */
  nodes: number;
  runtime: 'process' | 'sim';
  /** the sim runtime's stages and back-off (runtime sim) */
  sim?: SimRuntimeOptions;
  /** agents keep pods' directories and logs under `<dataDir>/agents/<node>` */
  dataDir: string;
  /** node names: `<prefix><i>` from 1 (default `node-`) */
  namePrefix?: string;
  /** where the Service proxy listens and which range its ports come from */
  proxy?: Pick<ServiceProxyOptions, 'host' | 'nodePortAddresses' | 'portRange'>;
  log?: (line: string) => void;
}

const PROXY_USER: UserInfo = { username: 'system:kube-proxy', groups: ['system:authenticated'] };

/** The components in start order; add each to the Manager (`await manager.add(r)`). */
export function nodeComponents(api: RunningApiServer, opts: NodeComponentsOptions): Runnable[] {
  const registry = servePodSubresources(api.handler, { client: api.client() });
  const prefix = opts.namePrefix ?? 'node-';
  const out: Runnable[] = [];
  if (opts.runtime === 'sim' && opts.nodes > 0) {
    out.push(
      createSimNodes({
        client: api.client(nodeUser(`${prefix}sim`), 'berth-agent'),
        clientFor: (n) => api.client(nodeUser(n), 'berth-agent'),
        count: opts.nodes,
        namePrefix: prefix,
        firstIndex: 1,
        connectors: registry,
        sim: opts.sim,
        log: opts.log,
      }),
    );
  } else {
    for (let i = 1; i <= opts.nodes; i++) {
      const name = `${prefix}${i}`;
      out.push(createAgent({ client: api.client(nodeUser(name), 'berth-agent'), name, runtime: opts.runtime, dataDir: join(opts.dataDir, 'agents', name), connectors: registry, process: { gitRepos: join(opts.dataDir, 'repos'), serviceHost: serviceHostFor(opts.proxy?.host) }, log: opts.log }));
    }
  }
  out.push(createServiceProxy({ client: api.client(PROXY_USER, 'berth-proxy'), ...opts.proxy, log: opts.log }));
  return out;
}
