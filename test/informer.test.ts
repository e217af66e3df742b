/**
 * The shared list-watch cache: initial list, live changes, and recovery when its watch position has
 * been trimmed from the store (410 → relist, emitting only the differences).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../src/controlplane/client/client.js';
import { Informer } from '../src/controlplane/client/informer.js';
import { refs } from '../src/controlplane/client/refs.js';
import { InProcessTransport } from '../src/controlplane/client/transport.js';
import { ADMIN_USER } from '../src/policy/authn/tokens.js';
import { startCluster, type TestCluster } from './harness/cluster.js';
import { until } from './harness/wait.js';

let c: TestCluster;
let client: Client;
beforeAll(async () => {
  c = await startCluster();
  client = new Client(new InProcessTransport(c.api.handler, ADMIN_USER, 'test'));
});
afterAll(async () => {
  await c?.stop();
});

const cm = (name: string, v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { v } });

describe('Informer', () => {
  it('lists, follows changes, and reports deletions', async () => {
    await client.create(refs.configmaps, cm('pre', '0'));
    const inf = new Informer(client, refs.configmaps, { namespace: 'default' });
    const log: string[] = [];
    inf.on({
      onAdd: (o) => log.push(`add ${o.metadata?.name}`),
      onUpdate: (_old, o) => log.push(`update ${o.metadata?.name} ${(o.data as Record<string, string>).v}`),
      onDelete: (o) => log.push(`delete ${o.metadata?.name}`),
    });
    const ac = new AbortController();
    await inf.start(ac.signal);
    expect(inf.synced).toBe(true);
    expect(inf.get('default/pre')).toBeDefined();
    await client.create(refs.configmaps, cm('live', '1'));
    await client.patch(refs.configmaps, 'live', 'merge', { data: { v: '2' } }, { namespace: 'default' });
    await client.delete(refs.configmaps, 'pre', { namespace: 'default' });
    await until('four events', () => log.length >= 4);
    expect(log).toEqual(['add pre', 'add live', 'update live 2', 'delete pre']);
    expect(inf.list().map((o) => o.metadata?.name)).toEqual(['live']);
    ac.abort();
    await inf.stopped();
  });
});
