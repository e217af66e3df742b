/**
 * One conformance suite for the typed client's two transports — in-process and HTTPS — over the
 * same API server: they must behave alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type ResourceRef } from '../src/controlplane/client/client.js';
import { HttpTransport, InProcessTransport } from '../src/controlplane/client/transport.js';
import { StatusError } from '../src/controlplane/api/errors.js';
import { ADMIN_USER } from '../src/policy/authn/tokens.js';
import { startCluster, type TestCluster } from './harness/cluster.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CM: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };

let c: TestCluster;
let http: HttpTransport;
beforeAll(async () => {
  c = await startCluster({ tls: true });
  http = new HttpTransport(c.api.url, c.token, readFileSync(join(c.dir, 'pki/ca.crt'), 'utf8'));
});
afterAll(async () => {
  http?.close();
  await c?.stop();
});

const transports: [string, () => Client][] = [
  ['in-process', () => new Client(new InProcessTransport(c.api.handler, ADMIN_USER, 'test'), { fieldManager: 'test' })],
  ['https', () => new Client(http, { fieldManager: 'test' })],
];

describe.each(transports)('client over %s', (name, make) => {
  it('creates, reads, lists, patches and deletes', async () => {
    const client = make();
    const cmName = `cm-${name}`;
    const created = await client.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cmName, namespace: 'default', labels: { t: name } }, data: { a: '1' } });
    expect((created.metadata as { uid?: string }).uid).toMatch(/^[0-9a-f-]{36}$/);
    expect((await client.get(CM, cmName, 'default')).data).toEqual({ a: '1' });
    const list = await client.list(CM, { namespace: 'default', labelSelector: `t=${name}` });
    expect(list.items.map((i) => i.metadata?.name)).toEqual([cmName]);
    const patched = await client.patch(CM, cmName, 'merge', { data: { a: '2' } }, { namespace: 'default' });
    expect(patched.data).toEqual({ a: '2' });
    await client.delete(CM, cmName, { namespace: 'default' });
    expect(await client.find(CM, cmName, 'default')).toBeUndefined();
  });

  it('maps errors to StatusError with the Kubernetes reason', async () => {
    const client = make();
    const err = await client.get(CM, 'missing', 'default').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).reason).toBe('NotFound');
    expect((err as StatusError).message).toBe('configmaps "missing" not found');
  });

  it('watches from a resourceVersion and sees every change in order', async () => {
    const client = make();
    const cmName = `w-${name}`;
    const start = await client.list(CM, { namespace: 'default' });
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const ev of client.watch(CM, { namespace: 'default', resourceVersion: start.metadata.resourceVersion, signal: ac.signal })) {
        if (ev.object.metadata?.name !== cmName) continue;
        seen.push(`${ev.type} ${(ev.object.data as Record<string, string> | undefined)?.v ?? ''}`);
        if (ev.type === 'DELETED') ac.abort();
      }
    })();
    await client.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cmName, namespace: 'default' }, data: { v: '1' } });
    await client.patch(CM, cmName, 'merge', { data: { v: '2' } }, { namespace: 'default' });
    await client.delete(CM, cmName, { namespace: 'default' });
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`saw only ${seen.join(', ')}`)), 10_000))]);
    expect(seen).toEqual(['ADDED 1', 'MODIFIED 2', 'DELETED 2']);
  });

  it('a selecting watch sees objects enter and leave the selection as ADDED and DELETED', async () => {
    const client = make();
    const cmName = `sel-${name}`;
    const start = await client.list(CM, { namespace: 'default' });
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const ev of client.watch(CM, { namespace: 'default', labelSelector: `pick=${name}`, resourceVersion: start.metadata.resourceVersion, signal: ac.signal })) {
        seen.push(`${ev.type} ${(ev.object.data as Record<string, string> | undefined)?.v ?? ''}`);
        if (seen.length === 3) ac.abort();
      }
    })();
    await client.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cmName, namespace: 'default', labels: { pick: name } }, data: { v: '1' } });
    await client.patch(CM, cmName, 'merge', { metadata: { labels: { pick: null } }, data: { v: '2' } }, { namespace: 'default' });
    await client.patch(CM, cmName, 'merge', { data: { v: '3' } }, { namespace: 'default' });
    await client.patch(CM, cmName, 'merge', { metadata: { labels: { pick: name } }, data: { v: '4' } }, { namespace: 'default' });
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`saw only ${seen.join(', ')}`)), 10_000))]);
    expect(seen).toEqual(['ADDED 1', 'DELETED 2', 'ADDED 4']);
  });
});
