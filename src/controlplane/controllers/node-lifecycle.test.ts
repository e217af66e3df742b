/** When NoExecute taints evict a pod, by its tolerations, and how a pod is marked not ready: table tests. */
import type { Pod, Taint } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { evictionTime, notReadyConditions, UNREACHABLE_TAINT } from './node-lifecycle.js';

const added = '2025-01-01T00:00:00Z';
const t0 = Date.parse(added);
const unreachable: Taint = { key: UNREACHABLE_TAINT, effect: 'NoExecute', timeAdded: added };

describe('evictionTime', () => {
  it.each([
    ['no NoExecute taint', [], [], undefined],
    ['no toleration: the default toleration', [unreachable], [], t0 + 300_000],
    ['tolerationSeconds', [unreachable], [{ key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }], t0 + 5000],
    ['tolerated forever', [unreachable], [{ key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute' }], undefined],
    ['wildcard toleration', [unreachable], [{ operator: 'Exists' }], undefined],
    ['other taint without toleration: now', [{ key: 'dedicated', value: 'x', effect: 'NoExecute', timeAdded: added }], [], t0],
    ['Equal toleration by value', [{ key: 'dedicated', value: 'x', effect: 'NoExecute', timeAdded: added }], [{ key: 'dedicated', operator: 'Equal', value: 'x', tolerationSeconds: 1 }], t0 + 1000],
  ] as const)('%s', (_what, taints, tolerations, want) => {
    const pod: Pod = { spec: { containers: [], tolerations: [...tolerations] } };
    expect(evictionTime(pod, [...taints], 300)).toBe(want);
  });
});

describe('notReadyConditions (MarkPodsNotReady)', () => {
  const now = '2025-01-01T00:01:00Z';
  it('turns Ready False, keeping reason and message, with a new transition time', () => {
    const pod: Pod = { status: { conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True', reason: 'r', message: 'm', lastTransitionTime: added }] } };
    expect(notReadyConditions(pod, now)).toEqual([{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False', reason: 'r', message: 'm', lastTransitionTime: now }]);
  });
  it('leaves a pod already not ready, or without a Ready condition, alone', () => {
    expect(notReadyConditions({ status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: added }] } }, now)).toBeUndefined();
    expect(notReadyConditions({ status: { conditions: [{ type: 'PodScheduled', status: 'True' }] } }, now)).toBeUndefined();
    expect(notReadyConditions({}, now)).toBeUndefined();
  });
});
