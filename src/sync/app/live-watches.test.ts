/** Which live changes are status only (health re-read) and which need a full reconcile. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { onlyStatusChanged } from './live-watches.js';

const base = (): KubeObject & { spec: { replicas: number }; status?: Record<string, unknown> } => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', resourceVersion: '1', generation: 1, labels: { a: '1' }, managedFields: [{ manager: 'berth-sync' }] },
  spec: { replicas: 2 },
  status: { readyReplicas: 1 },
});

describe('onlyStatusChanged', () => {
  const cases: [string, (o: ReturnType<typeof base>) => void, boolean][] = [
    ['status moved (with a new resourceVersion and managedFields)', (o) => Object.assign(o, { status: { readyReplicas: 2 }, metadata: { ...o.metadata, resourceVersion: '2', managedFields: [{ manager: 'kube-controller-manager' }] } }), true],
    ['spec changed (kubectl scale)', (o) => Object.assign(o, { spec: { replicas: 7 }, metadata: { ...o.metadata, resourceVersion: '2', generation: 2 } }), false],
    ['a label changed', (o) => Object.assign(o, { metadata: { ...o.metadata, labels: { a: '2' } } }), false],
    ['deletion started', (o) => Object.assign(o, { metadata: { ...o.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } }), false],
  ];
  it.each(cases)('%s', (_n, change, want) => {
    const old = base();
    const cur = base();
    change(cur);
    expect(onlyStatusChanged(old, cur)).toBe(want);
  });
});
