/**
 * Against the real API server (real Redis, real admission, defaulting and field manager): every
 * seed manifest applied with server-side apply and read back is Synced, with the local prediction
 * and with the server's own dry-run; a `kubectl scale`-style write shows up as exactly that field.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { registry } from '../../controlplane/resources/registry.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { startCluster, type TestCluster } from '../../../test/harness/cluster.js';
import { diff, SYNC_FIELD_MANAGER } from './diff.js';
import { SEED_MANIFESTS } from '../../../test/harness/fixtures.js';

let c: TestCluster;
beforeAll(async () => {
  c = await startCluster();
}, 60_000);
afterAll(async () => {
  await c?.stop();
});

function urlOf(obj: KubeObject): string {
  const t = registry.findKind(obj.apiVersion!, obj.kind!)!;
  const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  return `${c.api.url}${base}${t.namespaced ? `/namespaces/${obj.metadata!.namespace}` : ''}/${t.resource}/${obj.metadata!.name}`;
}

async function call(method: string, url: string, body?: unknown, contentType = 'application/json'): Promise<KubeObject> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${c.token}`, 'content-type': contentType, accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as KubeObject;
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const apply = (obj: KubeObject, dryRun = false) =>
  call('PATCH', `${urlOf(obj)}?fieldManager=${SYNC_FIELD_MANAGER}&force=true${dryRun ? '&dryRun=All' : ''}`, obj, 'application/apply-patch+yaml');

const dir = SEED_MANIFESTS;
const objects = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => [f, d.toJSON() as KubeObject] as const));

describe('seed manifests through the real API server', () => {
  it.each(objects)('%s is Synced after apply, by local prediction and by server dry-run', async (_file, obj) => {
    if (registry.findKind(obj.apiVersion!, obj.kind!)!.namespaced) obj.metadata!.namespace = 'default';
    await apply(obj);
    const live = await call('GET', urlOf(obj));
    expect(diff(obj, live).fields).toEqual([]);
    const predicted = await apply(obj, true);
    const result = diff(obj, live, { predicted });
    expect(result.fields).toEqual([]);
    expect(result.synced).toBe(true);
  });

  it('a scale by another manager is drift at exactly .spec.replicas', async () => {
    const [, dep] = objects.find(([f]) => f === 'deployment-nginx.yaml')!;
    await call('PATCH', `${urlOf(dep)}?fieldManager=kubectl`, { spec: { replicas: 7 } }, 'application/merge-patch+json');
    const live = await call('GET', urlOf(dep));
    expect(diff(dep, live).fields).toEqual([{ path: '.spec.replicas', live: 7, desired: 3 }]);
    expect(diff(dep, live, { predicted: await apply(dep, true) }).fields).toEqual([{ path: '.spec.replicas', live: 7, desired: 3 }]);
  });
});
