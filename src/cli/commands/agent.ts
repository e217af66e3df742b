/**
 * `berth agent`: a node agent joining a cluster from another process or machine. Registers the
 * Node, renews its Lease, runs the pods bound to it (process or sim runtime), and serves pods/log
 * to the API server on its own port. With the process runtime it also runs the Service proxy, as
 * kube-proxy runs on every node: Services' ports on this machine, nodePorts on its addresses.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Taint } from 'kubernetes-types/core/v1.js';
import { Client } from '../../controlplane/client/client.js';
import { HttpTransport } from '../../controlplane/client/transport.js';
import { createAgent, createSimNodes, type Agent } from '../../agent/agent.js';
import { publishAgentKey, startAgentServer } from '../../agent/agent-server.js';
import { machineAddress, parseLabels, parseTaint } from '../../agent/node-object.js';
import { parseQuantity } from '../../agent/quantity.js';
import { loadStages } from '../../agent/runtime/sim/stages.js';
import { createServiceProxy } from '../../agent/proxy/service-proxy.js';
import { serviceHostFor } from '../../agent/runtime/process/service-env.js';
import type { Runnable } from '../../controlplane/runtime/runnable.js';
import { nodePortAddressesArg } from '../main.js';

interface AgentFlags {
  server: string;
  token: string;
  ca?: string;
  name: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  runtime: 'process' | 'sim';
  dataDir: string;
  address?: string;
  port: number;
  cpu?: string;
  memory?: string;
  pods?: number;
  simNodes?: number;
  simStages?: string;
  leaseRenewSeconds: number;
  gitRepos?: string;
  serviceProxy: boolean;
  proxyHost: string;
  nodeportAddresses?: string[];
}

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be a whole number ≥ 1 (got "${v}")`);
  return n;
}

/** A capacity quantity (`4`, `1500m`, `8Gi`), checked here so a typo stops the agent before it registers. */
function quantity(v: string): string {
  let n: number;
  try {
    n = parseQuantity(v);
  } catch {
    throw new InvalidArgumentError(`must be a Kubernetes quantity such as 4, 1500m or 8Gi (got "${v}")`);
  }
  if (n < 0) throw new InvalidArgumentError(`must be a quantity ≥ 0 (got "${v}")`);
  return v.trim();
}

/** Runs a node-object parser as a commander argument parser, so its error names the flag and value. */
function flag<T>(parse: (v: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

export function register(program: Command): void {
  program
    .command('agent')
    .description('run a node agent that joins the cluster at --server')
    .requiredOption('--server <url>', 'API server URL (https://host:6443)')
    .requiredOption('--token <token>', 'bearer token of the node identity (system:node:NAME)')
    .option('--ca <file>', 'PEM of the CA that signed the API server certificate')
    .option('--name <name>', 'node name', hostname().toLowerCase())
    .option('--labels <k=v,...>', 'extra node labels', flag(parseLabels))
    .option('--taints <k=v:Effect,...>', 'taints to register the node with', flag((v) => v.split(',').filter(Boolean).map(parseTaint)))
    .addOption(new Option('--runtime <runtime>', 'how pods run').choices(['process', 'sim']).default('process'))
    .option('--data-dir <dir>', "where pods' directories and logs live", '.berth-agent')
    .option('--git-repos <dir>', "berth's hosted repositories (the server's <data dir>/repos), for git.berth.local/NAME@REV images")
    .option('--address <ip>', "the node's InternalIP (and pods' IP); default: the first non-loopback IPv4")
    .option('--port <port>', 'port of the agent server the API server reaches for pods/log (0 = any free)', (v) => Number(v), 10250)
    .option('--cpu <quantity>', 'cpu capacity (default: the cores of this machine)', quantity)
    .option('--memory <quantity>', 'memory capacity (default: the memory of this machine)', quantity)
    .option('--pods <n>', 'pod capacity (default 110)', count)
    .option('--sim-nodes <n>', 'with --runtime sim: host this many nodes named NAME-0..NAME-(n-1)', count)
    .option('--lease-renew-seconds <s>', 'Lease renewal period', (v) => Number(v), 10)
    .option('--sim-stages <file>', 'with --runtime sim: stage documents (YAML) instead of the defaults')
    .option('--no-service-proxy', 'with --runtime process: run no Service proxy (e.g. on the machine of `berth up`, which runs one)')
    .option('--proxy-host <address>', "address the Service proxy serves ClusterIP Services' ports on", '127.0.0.1')
    .option('--nodeport-addresses <cidrs>', "serve nodePorts only on this machine's addresses in these CIDRs (kube-proxy's flag; default: every address)", nodePortAddressesArg)
    .action(async (o: AgentFlags) => {
      const ca = o.ca ? readFileSync(o.ca, 'utf8') : undefined;
      const client = new Client(new HttpTransport(o.server, o.token, ca, `berth-agent/${o.name}`));
      const { labels, taints } = o;
      const capacity = { ...(o.cpu && { cpu: o.cpu }), ...(o.memory && { memory: o.memory }), ...(o.pods && { pods: String(o.pods) }) };
      const sim = o.simStages ? { stages: loadStages(o.simStages) } : undefined;
      let agent: Agent | undefined;
      const server = await startAgentServer(() => agent, { port: o.port });
      if (o.simNodes) {
        if (o.runtime !== 'sim') throw new Error('--sim-nodes needs --runtime sim');
        agent = createSimNodes({ client, count: o.simNodes, namePrefix: `${o.name}-`, labels, taints, capacity, sim, leaseRenewMs: o.leaseRenewSeconds * 1000, log: console.log });
      } else {
        agent = createAgent({ client, name: o.name, runtime: o.runtime, labels, taints, capacity, sim, dataDir: resolve(o.dataDir), process: { gitRepos: o.gitRepos && resolve(o.gitRepos), serviceHost: serviceHostFor(o.proxyHost) }, address: o.address ?? machineAddress(), agentPort: server.port, leaseRenewMs: o.leaseRenewSeconds * 1000, log: console.log });
        await publishAgentKey(client, o.name, server.key);
      }
      // the node's identity may not write Services: this proxy serves the ports berth up's proxy records
      const proxy: Runnable | undefined =
        o.runtime === 'process' && o.serviceProxy
          ? createServiceProxy({ client, host: o.proxyHost, nodePortAddresses: o.nodeportAddresses, allocate: false, nodeName: o.name, log: console.log })
          : undefined;
      const ac = new AbortController();
      await agent.start(ac.signal);
      await proxy?.start(ac.signal);
      console.log(`${agent.name}: running (${o.runtime} runtime; pods/log on port ${server.port}${proxy ? `; Service proxy on ${o.proxyHost}, nodePorts on ${o.nodeportAddresses?.join(',') ?? 'every address'}` : ''})`);
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`\n${signal}: stopping the agent (its pods stop with it)`);
        ac.abort();
        await Promise.all([agent!.stopped(), proxy?.stopped()]);
        await server.close();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });
}
