/**
 * The kubeconfig (HTTPS) client when the server has closed a kept-alive connection the client is
 * about to reuse: a request that writes nothing (a read, a watch, a dry run) is sent again on a new
 * connection and succeeds; a write (a create, a PUT naming its resourceVersion, a DELETE) is not
 * repeated — the server may have applied it — and fails with the reset. A TCP proxy in front of a real API server closes the server side of the connections.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '../src/controlplane/client/client.js';
import { refs } from '../src/controlplane/client/refs.js';
import type { KubeObject } from '../src/controlplane/resources/types.js';
import { ADMIN_USER } from '../src/policy/authn/tokens.js';
import { connect } from '../src/sync/cli/connect.js';
import { startCluster, type TestCluster } from './harness/cluster.js';
import { startTcpProxy, type TcpProxy } from './harness/tcp-proxy.js';

type ConfigMap = KubeObject & { data?: Record<string, string> };

let c: TestCluster;
let proxy: TcpProxy;
let client: Client;
let admin: Client;
beforeAll(async () => {
  c = await startCluster({ tls: true });
  const api = new URL(c.api.url);
  proxy = await startTcpProxy({ host: api.hostname, port: Number(api.port) });
  client = connect(c.kubeconfig, `https://${proxy.address}`).client;
  admin = c.api.client(ADMIN_USER, 'test');
});
afterAll(async () => {
  await proxy?.close();
  await c?.stop();
});

const cm = (name: string, v = '1'): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { v } });

/** One request over the proxy so a kept-alive connection sits in the client's pool; returns the proxy's connection count. */
async function pooled(): Promise<number> {
  await client.list(refs.namespaces);
  return proxy.accepted;
}

describe('kubeconfig client on a kept-alive connection the server closed', () => {
  beforeEach(async () => {
    await admin.create(refs.configmaps, cm('kept'));
    return async () => {
      await admin.delete(refs.configmaps, 'kept', { namespace: 'default' }).catch(() => {});
    };
  });

  it.each(['reset', 'hangup'] as const)('sends a GET again on a new connection (%s)', async (how) => {
    const before = await pooled();
    proxy.dropAll(how);
    expect((await client.get<ConfigMap>(refs.configmaps, 'kept', 'default')).data).toEqual({ v: '1' });
    expect(proxy.accepted).toBe(before + 1);
  });

  it('starts a watch again on a new connection', async () => {
    await pooled();
    proxy.dropAll('reset');
    const ac = new AbortController();
    const list = await admin.list(refs.configmaps, { namespace: 'default' });
    const events = client.watch<ConfigMap>(refs.configmaps, { namespace: 'default', resourceVersion: list.metadata.resourceVersion, signal: ac.signal })[Symbol.asyncIterator]();
    const first = events.next();
    await admin.patch(refs.configmaps, 'kept', 'merge', { data: { v: '2' } }, { namespace: 'default' });
    const ev = (await first).value as { type: string; object: ConfigMap };
    ac.abort();
    expect([ev.type, ev.object.metadata?.name, ev.object.data]).toEqual(['MODIFIED', 'kept', { v: '2' }]);
  });

  it('sends a server-side apply dry run again', async () => {
    await pooled();
    proxy.dropAll('reset');
    const predicted = await client.patch<ConfigMap>(refs.configmaps, 'kept', 'apply', cm('kept', '4'), { namespace: 'default', fieldManager: 'test', force: true, dryRun: true });
    expect(predicted.data).toEqual({ v: '4' });
    expect((await admin.get<ConfigMap>(refs.configmaps, 'kept', 'default')).data).toEqual({ v: '1' });
  });

  it.each([
    ['create', () => client.create(refs.configmaps, cm('once'))],
    ['PUT naming its resourceVersion', async () => client.update(refs.configmaps, { ...(await admin.get<ConfigMap>(refs.configmaps, 'kept', 'default')), data: { v: '3' } })],
    ['DELETE', () => client.delete(refs.configmaps, 'kept', { namespace: 'default' })],
  ] as const)('does not send a %s again: it fails with the reset and writes nothing', async (_what, write) => {
    const before = await pooled();
    proxy.dropAll('reset');
    const err = await write().catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('ECONNRESET');
    expect(proxy.accepted).toBe(before);
    expect(await admin.find(refs.configmaps, 'once', 'default')).toBeUndefined();
    expect((await admin.get<ConfigMap>(refs.configmaps, 'kept', 'default')).data).toEqual({ v: '1' });
  });
});
