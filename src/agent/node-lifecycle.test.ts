/** When NoExecute taints evict a pod, by its tolerations: table tests. */
import type { Pod, Taint } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { evictionTime, UNREACHABLE_TAINT } from './node-lifecycle.js';

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
