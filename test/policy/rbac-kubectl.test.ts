/**
 * Authentication and RBAC through the real API with the real kubectl as different users: the
 * tokens file, `auth whoami`, `auth can-i` (and `--list`), a RoleBinding granting access,
 * escalation refused, `create token` and using that ServiceAccount token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPolicyCluster, type PolicyCluster } from './harness.js';

let c: PolicyCluster;
const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-0123456789';

beforeAll(async () => {
  c = await startPolicyCluster({ [ALICE]: { user: 'alice', uid: 'u-alice', groups: ['dev'] }, [BOB]: { user: 'bob', groups: ['ops'] } });
});
afterAll(async () => {
  await c?.stop();
});

async function ok(args: string[], token?: string, input?: string): Promise<string> {
  const r = await c.kubectl(args, { token, input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function canI(token: string | undefined, ...args: string[]): Promise<string> {
  const r = await c.kubectl(['auth', 'can-i', ...args], { token });
  return r.stdout.trim();
}

describe('authentication', () => {
  it('whoami names the user from the tokens file with uid and groups', async () => {
    const out = await ok(['auth', 'whoami', '-o', 'json'], ALICE);
    const info = JSON.parse(out).status.userInfo;
    expect(info).toEqual({ username: 'alice', uid: 'u-alice', groups: ['dev', 'system:authenticated'] });
  });

  it('refuses an unknown token as Unauthorized', async () => {
    const r = await c.kubectl(['get', 'ns'], { token: 'not-a-token' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Unauthorized|provide credentials/);
  });
});

describe('authorization', () => {
  it('answers can-i by the bindings: table of user, verb, resource, namespace', async () => {
    await ok(['create', 'namespace', 'team-a']);
    await ok(['create', 'rolebinding', 'alice-edit', '--clusterrole=edit', '--user=alice', '-n', 'team-a']);
    await ok(['create', 'clusterrolebinding', 'ops-view', '--clusterrole=view', '--group=ops']);
    const table: [string | undefined, string[], 'yes' | 'no'][] = [
      [undefined, ['delete', 'nodes'], 'yes'],
      [ALICE, ['create', 'deployments', '-n', 'team-a'], 'yes'],
      [ALICE, ['create', 'deployments', '-n', 'default'], 'no'],
      [ALICE, ['get', 'pods/log', '-n', 'team-a'], 'yes'],
      [ALICE, ['create', 'rolebindings', '-n', 'team-a'], 'no'],
      [ALICE, ['get', 'secrets', '-n', 'team-a'], 'yes'],
      [BOB, ['list', 'pods', '-A'], 'yes'],
      [BOB, ['get', 'secrets', '-n', 'team-a'], 'no'],
      [BOB, ['delete', 'pods', '-n', 'team-a'], 'no'],
      [BOB, ['get', '/healthz'], 'yes'],
    ];
    for (const [token, args, want] of table) expect(await canI(token, ...args), `${token ?? 'admin'} ${args.join(' ')}`).toBe(want);
  });

  it('enforces the decision on real requests, with the Kubernetes Forbidden message', async () => {
    expect(await ok(['create', 'configmap', 'c1', '-n', 'team-a', '--from-literal=a=b'], ALICE)).toContain('configmap/c1 created');
    const r = await c.kubectl(['create', 'configmap', 'c1', '-n', 'default', '--from-literal=a=b'], { token: ALICE });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('User "alice" cannot create resource "configmaps" in API group "" in the namespace "default"');
  });

  it('lists the rules with can-i --list', async () => {
    const out = await ok(['auth', 'can-i', '--list', '-n', 'team-a'], ALICE);
    expect(out).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/m);
    expect(out).toMatch(/^deployments\.apps\s+\[\]\s+\[\]\s+\[get list watch create delete deletecollection patch update\]/m);
    expect(out).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/m);
    expect(out).toMatch(/^\s+\[\/api\/\*\]\s+\[\]\s+\[get\]/m);
  });

  it('refuses escalation: a role or binding granting more than the writer holds', async () => {
    await ok(['create', 'rolebinding', 'bob-admin', '--clusterrole=admin', '--user=bob', '-n', 'team-a']);
    // bob is admin in team-a: he may bind edit there, but not cluster-admin, nor write a role with nodes
    expect(await ok(['create', 'rolebinding', 'x-edit', '--clusterrole=edit', '--user=x', '-n', 'team-a'], BOB)).toContain('created');
    const bind = await c.kubectl(['create', 'rolebinding', 'x-admin', '--clusterrole=cluster-admin', '--user=x', '-n', 'team-a'], { token: BOB });
    expect(bind.code).not.toBe(0);
    expect(bind.stderr).toContain('is attempting to grant RBAC permissions not currently held');
    const role = await c.kubectl(['create', 'role', 'r', '--verb=get', '--resource=nodes', '-n', 'team-a'], { token: BOB });
    expect(role.code).not.toBe(0);
    expect(role.stderr).toContain('is attempting to grant RBAC permissions not currently held');
    expect(await ok(['create', 'role', 'r', '--verb=get', '--resource=pods', '-n', 'team-a'], BOB)).toContain('created');
  });

  it('aggregates the default roles: admin holds what edit and view hold', async () => {
    const admin = JSON.parse(await ok(['get', 'clusterrole', 'admin', '-o', 'json']));
    const resources = new Set(admin.rules.flatMap((r: { resources?: string[] }) => r.resources ?? []));
    for (const r of ['pods', 'secrets', 'rolebindings', 'deployments', 'pods/log']) expect(resources.has(r), r).toBe(true);
  });
});

describe('service account tokens', () => {
  it('create token issues a JWT the API accepts as the ServiceAccount', async () => {
    await ok(['create', 'serviceaccount', 'robot', '-n', 'team-a']);
    const token = (await ok(['create', 'token', 'robot', '-n', 'team-a', '--duration=20m'])).trim();
    expect(token.split('.')).toHaveLength(3);
    const who = JSON.parse(await ok(['auth', 'whoami', '-o', 'json'], token)).status.userInfo;
    expect(who.username).toBe('system:serviceaccount:team-a:robot');
    expect(who.groups).toEqual(['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated']);
    expect(await canI(token, 'list', 'pods', '-n', 'team-a')).toBe('no');
    await ok(['create', 'rolebinding', 'robot-view', '--clusterrole=view', '--serviceaccount=team-a:robot', '-n', 'team-a']);
    await expect.poll(() => canI(token, 'list', 'pods', '-n', 'team-a')).toBe('yes');
    await ok(['delete', 'serviceaccount', 'robot', '-n', 'team-a']);
    await expect.poll(async () => (await c.kubectl(['get', 'pods', '-n', 'team-a'], { token })).stderr).toMatch(/Unauthorized|provide credentials/);
  });
});
