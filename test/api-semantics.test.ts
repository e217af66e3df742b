/**
 * API semantics over HTTP on a real store: optimistic concurrency, bad input that must change
 * nothing, namespaces, deletion with finalizers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './harness/cluster.js';

let c: TestCluster;
beforeAll(async () => {
  c = await startCluster();
});
afterAll(async () => {
  await c?.stop();
});

async function call(method: string, path: string, body?: string | Buffer, contentType = 'application/json') {
  const res = await fetch(c.api.url + path, {
    method,
    headers: { authorization: `Bearer ${c.token}`, 'content-type': contentType, accept: 'application/json' },
    body: body as BodyInit | undefined,
  });
  const text = await res.text();
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json };
}

const CM = '/api/v1/namespaces/default/configmaps';

describe('optimistic concurrency', () => {
  it('50 parallel updates with the same resourceVersion: one succeeds, 49 get 409', async () => {
    const created = await call('POST', CM, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'race' }, data: { n: '0' } }));
    expect(created.status).toBe(201);
    const rv = created.json.metadata.resourceVersion;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call('PUT', `${CM}/race`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'race', resourceVersion: rv }, data: { n: String(i + 1) } })),
      ),
    );
    const codes = results.map((r) => r.status).sort();
    expect(codes.filter((s) => s === 200)).toHaveLength(1);
    expect(codes.filter((s) => s === 409)).toHaveLength(49);
    const conflict = results.find((r) => r.status === 409)!;
    expect(conflict.json.reason).toBe('Conflict');
    expect(conflict.json.message).toContain('the object has been modified');
  });
});

describe('bad input changes nothing and gets a 4xx Status', () => {
  const cases: [string, string, string | Buffer, string, number, RegExp][] = [
    ['malformed JSON', 'POST', '{"apiVersion": "v1", "kind": ', 'application/json', 400, /JSON/],
    ['malformed YAML', 'POST', 'apiVersion: v1\nkind: [ConfigMap\n', 'application/yaml', 400, /YAML/],
    ['wrong field type', 'POST', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad-type' }, data: { a: 1 } }), 'application/json', 422, /data\[a\]/],
    ['unknown kind for the endpoint', 'POST', JSON.stringify({ apiVersion: 'v1', kind: 'Widget', metadata: { name: 'w' } }), 'application/json', 400, /kind/],
    ['wrong version', 'POST', JSON.stringify({ apiVersion: 'v2', kind: 'ConfigMap', metadata: { name: 'v2' } }), 'application/json', 400, /API version/],
    ['missing name', 'POST', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }), 'application/json', 422, /metadata\.name/],
    ['invalid name', 'POST', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } }), 'application/json', 422, /RFC 1123/],
    ['invalid label', 'POST', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'badlabel', labels: { 'a b': 'c' } } }), 'application/json', 422, /metadata\.labels/],
    ['10 MB body', 'POST', Buffer.alloc(10 * 1024 * 1024, 32), 'application/json', 413, /limit/],
    ['JSON nested 10,000 deep', 'POST', '{"a":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}', 'application/json', 400, /nested/],
    ['not an object', 'POST', '[1,2,3]', 'application/json', 400, /object/],
  ];
  it.each(cases)('%s', async (_name, method, body, type, status, message) => {
    const before = await call('GET', CM);
    const res = await call(method, CM, body, type);
    expect(res.status).toBe(status);
    expect(res.json.kind).toBe('Status');
    expect(res.json.code).toBe(status);
    expect(res.json.message).toMatch(message);
    const after = await call('GET', CM);
    expect(after.json.metadata.resourceVersion).toBe(before.json.metadata.resourceVersion);
    expect(after.json.items.length).toBe(before.json.items.length);
  });

  it('unknown resource and version are 404', async () => {
    expect((await call('GET', '/api/v1/widgets')).status).toBe(404);
    expect((await call('GET', '/apis/apps/v9/deployments')).status).toBe(404);
  });

  it('the server keeps serving', async () => {
    expect((await call('GET', '/api/v1/namespaces')).status).toBe(200);
  });

  it('requests without a token are 401', async () => {
    const res = await fetch(c.api.url + '/api/v1/namespaces');
    expect(res.status).toBe(401);
  });
});

describe('namespaces', () => {
  it('refuses writes into a missing namespace', async () => {
    const res = await call('POST', '/api/v1/namespaces/nope/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }));
    expect(res.status).toBe(404);
    expect(res.json.message).toBe('namespaces "nope" not found');
  });

  it('refuses writes into a terminating namespace', async () => {
    expect((await call('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'going' } }))).status).toBe(201);
    const del = await call('DELETE', '/api/v1/namespaces/going');
    expect(del.status).toBe(202);
    expect(del.json.status.phase).toBe('Terminating');
    const res = await call('POST', '/api/v1/namespaces/going/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }));
    expect(res.status).toBe(403);
    expect(res.json.message).toContain('because it is being terminated');
  });
});

describe('deletion', () => {
  it('an object with finalizers stays until they are removed', async () => {
    await call('POST', CM, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fin', finalizers: ['example.com/hold'] } }));
    const del = await call('DELETE', `${CM}/fin`);
    expect(del.status).toBe(202);
    expect(del.json.metadata.deletionTimestamp).toBeTruthy();
    expect((await call('GET', `${CM}/fin`)).status).toBe(200);
    const patched = await call('PATCH', `${CM}/fin`, JSON.stringify({ metadata: { finalizers: null } }), 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    expect((await call('GET', `${CM}/fin`)).status).toBe(404);
  });

  it('foreground deletion adds the foregroundDeletion finalizer', async () => {
    await call('POST', CM, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fg' } }));
    const del = await call('DELETE', `${CM}/fg`, JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' }));
    expect(del.status).toBe(202);
    expect(del.json.metadata.finalizers).toEqual(['foregroundDeletion']);
  });

  it('a stale precondition is a 409', async () => {
    await call('POST', CM, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pre' } }));
    const del = await call('DELETE', `${CM}/pre`, JSON.stringify({ preconditions: { resourceVersion: '1' } }));
    expect(del.status).toBe(409);
    expect((await call('GET', `${CM}/pre`)).status).toBe(200);
  });
});

describe('generation and status', () => {
  it('bumps generation on spec changes only, and keeps status out of main-resource writes', async () => {
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'gen' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'gen' } }, template: { metadata: { labels: { app: 'gen' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      status: { replicas: 99 },
    };
    const D = '/apis/apps/v1/namespaces/default/deployments';
    const created = await call('POST', D, JSON.stringify(dep));
    expect(created.status).toBe(201);
    expect(created.json.metadata.generation).toBe(1);
    expect(created.json.status?.replicas).toBeUndefined();
    const labelled = await call('PATCH', `${D}/gen`, JSON.stringify({ metadata: { labels: { x: 'y' } } }), 'application/merge-patch+json');
    expect(labelled.json.metadata.generation).toBe(1);
    const scaled = await call('PATCH', `${D}/gen`, JSON.stringify({ spec: { replicas: 3 } }), 'application/merge-patch+json');
    expect(scaled.json.metadata.generation).toBe(2);
    const st = await call('PATCH', `${D}/gen/status`, JSON.stringify({ status: { replicas: 3 } }), 'application/merge-patch+json');
    expect(st.status).toBe(200);
    expect(st.json.status.replicas).toBe(3);
    expect(st.json.metadata.generation).toBe(2);
    const scale = await call('GET', `${D}/gen/scale`);
    expect(scale.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { replicas: 3, selector: 'app=gen' } });
  });

  it('a no-op update does not bump resourceVersion', async () => {
    const cm = await call('POST', CM, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'noop' }, data: { a: '1' } }));
    const same = await call('PATCH', `${CM}/noop`, JSON.stringify({ data: { a: '1' } }), 'application/merge-patch+json');
    expect(same.json.metadata.resourceVersion).toBe(cm.json.metadata.resourceVersion);
  });
});

describe('create strategies', () => {
  it('a Node keeps the status it is created with', async () => {
    const node = await call('POST', '/api/v1/nodes', JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { capacity: { cpu: '2' }, conditions: [{ type: 'Ready', status: 'True' }] } }));
    expect(node.status).toBe(201);
    expect(node.json.status.capacity).toEqual({ cpu: '2' });
    expect(node.json.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'True' });
  });
});
