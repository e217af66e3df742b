/**
 * NodeName filter: a pod that names its node (`spec.nodeName`) fits only there.
 */
import { unresolvable, type FilterPlugin } from '../types.js';

export const ERR_NODE_NAME = "node(s) didn't match the requested node name";

export function nodeName(): FilterPlugin {
  return {
    name: 'NodeName',
    preFilter: (state) => (state.pod.pod.spec?.nodeName ? undefined : 'skip'),
    filter: (state, node) => (state.pod.pod.spec?.nodeName === node.name ? undefined : unresolvable(ERR_NODE_NAME)),
  };
}
