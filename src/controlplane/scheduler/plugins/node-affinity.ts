/**
 * NodeAffinity. Filter: the node's labels must satisfy `spec.nodeSelector` and the required node
 * affinity (terms ORed, a term's expressions and fields ANDed; In, NotIn, Exists, DoesNotExist, Gt,
 * Lt; matchFields on metadata.name). Score: the sum of the weights of the preferred terms the node
 * satisfies, normalised by the best node.
 */
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod } from 'kubernetes-types/core/v1.js';
import { defaultNormalize, unresolvable, type FilterPlugin, type NodeInfo, type ScorePlugin } from '../types.js';

export const ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

const INTEGER_RE = /^[+-]?\d+$/;

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1 || !INTEGER_RE.test(value) || !INTEGER_RE.test(values[0])) return false;
      const have = BigInt(value);
      const want = BigInt(values[0]);
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

/** What node selection reads of a node: its labels and name. */
export type NodeLabels = Pick<NodeInfo, 'labels' | 'name'>;

/** A node selector term; an empty term matches nothing, as in Kubernetes. */
export function termMatchesNode(term: NodeSelectorTerm, node: NodeLabels): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const r of exprs) if (!requirementMatches(r, node.labels[r.key])) return false;
  for (const f of fields) {
    if (f.key !== 'metadata.name' || (f.operator !== 'In' && f.operator !== 'NotIn')) return false;
    if (!requirementMatches(f, node.name)) return false;
  }
  return true;
}

/**
 * `spec.nodeSelector` and required node affinity: what NodeAffinity's filter checks (and what the
 * DaemonSet controller asks of each node).
 */
export function podMatchesNodeAffinity(pod: Pick<Pod, 'spec'>, node: NodeLabels): boolean {
  const selector = pod.spec?.nodeSelector;
  if (selector) for (const k in selector) if (node.labels[k] !== selector[k]) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return required.nodeSelectorTerms.some((t) => termMatchesNode(t, node));
}

export function nodeAffinity(): FilterPlugin & ScorePlugin {
  return {
    name: 'NodeAffinity',
    preFilter(state) {
      const spec = state.pod.pod.spec;
      const hasSelector = Object.keys(spec?.nodeSelector ?? {}).length > 0;
      return hasSelector || spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ? undefined : 'skip';
    },
    filter: (state, node) => (podMatchesNodeAffinity(state.pod.pod, node) ? undefined : unresolvable(ERR_NODE_AFFINITY)),
    preScore: (state) => (state.pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ? undefined : 'skip'),
    score(state, node) {
      let sum = 0;
      for (const p of state.pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
        if (p.weight !== 0 && termMatchesNode(p.preference, node)) sum += p.weight;
      }
      return sum;
    },
    normalize: (_state, scores) => defaultNormalize(scores, false),
  };
}
