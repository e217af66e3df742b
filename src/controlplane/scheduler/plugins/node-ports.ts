/**
 * NodePorts filter: a pod's hostPorts must be free on the node. A port bound on 0.0.0.0 clashes with
 * the same port and protocol on any address.
 */
import { unschedulable, type FilterPlugin, type HostPort } from '../types.js';

export const ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

function clashes(a: HostPort, b: HostPort): boolean {
  return a.port === b.port && a.protocol === b.protocol && (a.ip === b.ip || a.ip === '0.0.0.0' || b.ip === '0.0.0.0');
}

export function nodePorts(): FilterPlugin {
  return {
    name: 'NodePorts',
    preFilter: (state) => (state.pod.hostPorts.length === 0 ? 'skip' : undefined),
    filter(state, node) {
      for (const want of state.pod.hostPorts) if (node.usedPorts.some((used) => clashes(want, used))) return unschedulable(ERR_NODE_PORTS);
      return undefined;
    },
  };
}
