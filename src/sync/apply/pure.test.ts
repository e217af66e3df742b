/** Table tests of the pure apply decisions: order and prune. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { applyOrder } from './order.js';
import { planPrune, type InventoryItem } from './prune.js';

const o = (kind: string, name: string, wave?: string): KubeObject => ({ apiVersion: 'v1', kind, metadata: { name, annotations: wave ? { 'app.berth.dev/sync-wave': wave } : undefined } });

describe('applyOrder', () => {
  it('orders by wave, then kind, then name', () => {
    const objs = [o('Deployment', 'web'), o('Service', 'web'), o('ConfigMap', 'b'), o('ConfigMap', 'a'), o('Namespace', 'x'), o('Widget', 'w'), o('RoleBinding', 'rb'), o('ServiceAccount', 'sa'), o('Job', 'migrate', '-1')];
    expect(applyOrder(objs).map((x) => `${x.kind}/${x.metadata!.name}`)).toEqual(['Job/migrate', 'Namespace/x', 'ServiceAccount/sa', 'RoleBinding/rb', 'ConfigMap/a', 'ConfigMap/b', 'Service/web', 'Deployment/web', 'Widget/w']);
  });
});

describe('planPrune', () => {
  const item = (name: string): InventoryItem => ({ group: '', version: 'v1', kind: 'ConfigMap', namespace: 'ns', name });
  const mine = { labels: { 'app.berth.dev/instance': 'ns.app' }, annotations: {} };
  const live = (entries: [string, typeof mine | undefined][]) => new Map(entries.map(([n, v]) => [`/ConfigMap/ns/${n}`, v]));
  const base = { instance: 'ns.app', budget: 0.25, allowPrune: false };
  it.each([
    { name: 'deletes what Git dropped and is still ours', previous: ['a', 'b', 'c', 'd', 'e'], desired: ['a', 'b', 'c', 'd'], live: [['e', mine]] as [string, typeof mine][], want: { delete: ['e'] } },
    { name: "never another app's object", previous: ['a', 'b', 'c', 'd', 'e'], desired: ['a', 'b', 'c', 'd'], live: [['e', { labels: { 'app.berth.dev/instance': 'ns.other' }, annotations: {} }]] as [string, typeof mine][], want: { delete: [], skipped: 1 } },
    { name: 'protected by annotation', previous: ['a', 'b', 'c', 'd', 'e'], desired: ['a', 'b', 'c', 'd'], live: [['e', { ...mine, annotations: { 'app.berth.dev/prune': 'false' } }]] as [string, typeof mine][], want: { delete: [], skipped: 1 } },
    { name: 'over the budget stops', previous: ['a', 'b', 'c', 'd'], desired: ['a', 'b'], live: [['c', mine], ['d', mine]] as [string, typeof mine][], want: { delete: [], blocked: /over the deletion budget of 25%/ } },
    { name: 'all objects stops', previous: ['a'], desired: [], live: [['a', mine]] as [string, typeof mine][], want: { delete: [], blocked: /delete all 1 objects/ } },
    { name: 'allowPrune lifts the budget', previous: ['a'], desired: [], live: [['a', mine]] as [string, typeof mine][], allow: true, want: { delete: ['a'] } },
  ])('$name', (c) => {
    const plan = planPrune({ ...base, allowPrune: c.allow ?? false, previous: c.previous.map(item), desired: c.desired.map(item), live: live(c.live) });
    expect(plan.delete.map((i) => i.name)).toEqual(c.want.delete);
    if ('blocked' in c.want) expect(plan.blocked).toMatch(c.want.blocked as RegExp);
    else expect(plan.blocked).toBeUndefined();
    if ('skipped' in c.want) expect(plan.skipped).toHaveLength(c.want.skipped as number);
  });
});
