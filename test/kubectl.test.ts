/**
 * The real kubectl from PATH against a real API server on a real redis-server: the commands users
 * run first, with every seed manifest.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './harness/cluster.js';
import { SEED_MANIFESTS } from './harness/fixtures.js';

const SEEDS = SEED_MANIFESTS;
const seedFiles = readdirSync(SEEDS).filter((f) => f.endsWith('.yaml')).sort();

let c: TestCluster;

beforeAll(async () => {
  c = await startCluster({ tls: true });
});
afterAll(async () => {
  await c?.stop();
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await c.kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

describe('kubectl', () => {
  it('lists the system namespaces', async () => {
    const out = await ok(['get', 'ns']);
    expect(out).toMatch(/^NAME\s+STATUS\s+AGE/m);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) expect(out).toMatch(new RegExp(`^${ns}\\s+Active`, 'm'));
  });

  it('creates a namespace', async () => {
    expect(await ok(['create', 'namespace', 'x'])).toContain('namespace/x created');
    expect(await ok(['get', 'ns', 'x', '-o', 'jsonpath={.status.phase}'])).toBe('Active');
  });

  it('folds a Secret\'s stringData into data, as kubectl users write Secrets by hand', async () => {
    const manifest = 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: default}\ndata: {user: YWRtaW4=}\nstringData: {password: "s3cr3t ünïcode"}\n';
    expect((await c.kubectl(['apply', '-f', '-'], manifest)).stdout).toBe('secret/db created\n');
    const got = JSON.parse((await c.kubectl(['get', 'secret', 'db', '-o', 'json'])).stdout) as { data: Record<string, string>; stringData?: unknown };
    expect(got.stringData).toBeUndefined();
    expect(Buffer.from(got.data.password, 'base64').toString('utf8')).toBe('s3cr3t ünïcode');
    expect(got.data.user).toBe('YWRtaW4=');
    await c.kubectl(['delete', 'secret', 'db']);
  });

  it('applies every seed manifest, and a second apply changes nothing', async () => {
    for (const f of seedFiles) {
      const out = await ok(['apply', '-f', join(SEEDS, f)]);
      expect(out, f).toMatch(/created/);
    }
    const versions = async () => ok(['get', 'all,ns,sa', '-A', '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}']);
    const before = await versions();
    for (const f of seedFiles) {
      const out = await ok(['apply', '-f', join(SEEDS, f)]);
      // kubectl's three-way patch for a Deployment whose manifest sets only strategy.type carries a
      // lone `$retainKeys` directive (upstream strategicpatch behaviour), so kubectl says
      // "configured"; the server sees a no-op and nothing is written (checked below).
      if (f === 'deployment-myapp.yaml') expect(out, f).toMatch(/unchanged|configured/);
      else expect(out, f).toMatch(/unchanged/);
    }
    expect(await versions()).toBe(before);
  });

  it('gets pods wide, by label, and as yaml', async () => {
    const wide = await ok(['get', 'pods', '-o', 'wide']);
    expect(wide).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/m);
    expect(wide).toMatch(/^kubia-manual\s+0\/1\s+Pending/m);
    const byLabel = await ok(['get', 'pods', '-l', 'env=test', '-o', 'name']);
    expect(byLabel.trim().split('\n')).toEqual(['pod/kubia-manual']);
    const yaml = await ok(['get', 'pod', 'kubia-manual', '-o', 'yaml']);
    expect(yaml).toContain('name: kubia-manual');
    expect(yaml).toMatch(/uid: [0-9a-f-]{36}/);
    expect(yaml).toContain('restartPolicy: Always');
  });

  it('labels and annotates, with --overwrite and key-', async () => {
    await ok(['label', 'pod', 'kubia-manual', 'tier=web']);
    expect(await ok(['get', 'pod', 'kubia-manual', '-o', 'jsonpath={.metadata.labels.tier}'])).toBe('web');
    const clash = await c.kubectl(['label', 'pod', 'kubia-manual', 'tier=db']);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toMatch(/already has a value/);
    await ok(['label', 'pod', 'kubia-manual', 'tier=db', '--overwrite']);
    expect(await ok(['get', 'pod', 'kubia-manual', '-o', 'jsonpath={.metadata.labels.tier}'])).toBe('db');
    await ok(['label', 'pod', 'kubia-manual', 'tier-']);
    expect(await ok(['get', 'pod', 'kubia-manual', '-o', 'jsonpath={.metadata.labels}'])).not.toContain('tier');
    await ok(['annotate', 'pod', 'kubia-manual', 'note=hello']);
    await ok(['annotate', 'pod', 'kubia-manual', 'note=bye', '--overwrite']);
    expect(await ok(['get', 'pod', 'kubia-manual', '-o', 'jsonpath={.metadata.annotations.note}'])).toBe('bye');
    await ok(['annotate', 'pod', 'kubia-manual', 'note-']);
    expect(await ok(['get', 'pod', 'kubia-manual', '-o', 'jsonpath={.metadata.annotations}'])).not.toContain('note');
  });

  it('sees ADDED then DELETED with get -w', async () => {
    const w = c.kubectlSpawn(['get', 'pods', '-w', '--output-watch-events']);
    let out = '';
    w.stdout!.on('data', (d) => (out += d));
    const waitFor = async (re: RegExp) => {
      const deadline = Date.now() + 20_000;
      while (!re.test(out)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; got:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await waitFor(/kubia-manual/);
      await ok(['run', 'watched', '--image=busybox', '--restart=Never', '--', 'sleep', '1']);
      await waitFor(/ADDED\s+watched/);
      await ok(['delete', 'pod', 'watched']);
      await waitFor(/DELETED\s+watched/);
    } finally {
      w.kill();
    }
    expect(out.indexOf('ADDED     watched') >= 0 || /ADDED\s+watched/.test(out)).toBe(true);
    expect(out.search(/ADDED\s+watched/)).toBeLessThan(out.search(/DELETED\s+watched/));
  });

  it('applies server-side, with conflicts against another manager', async () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: "1"\n';
    expect(await ok(['apply', '--server-side', '-f', '-'], cm)).toMatch(/serverside-applied/);
    const mf = await ok(['get', 'cm', 'ssa', '-o', 'jsonpath={.metadata.managedFields[0].manager}', '--show-managed-fields']);
    expect(mf).toBe('kubectl');
    const other = await c.kubectl(['apply', '--server-side', '--field-manager', 'other', '-f', '-'], cm.replace('"1"', '"2"'));
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/conflict/i);
    await ok(['apply', '--server-side', '--field-manager', 'other', '--force-conflicts', '-f', '-'], cm.replace('"1"', '"2"'));
    expect(await ok(['get', 'cm', 'ssa', '-o', 'jsonpath={.data.a}'])).toBe('2');
  });

  it('apply --dry-run=server writes nothing', async () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dry\ndata:\n  a: "1"\n';
    expect(await ok(['apply', '--dry-run=server', '-f', '-'], cm)).toMatch(/created \(server dry run\)/);
    const get = await c.kubectl(['get', 'cm', 'dry']);
    expect(get.code).not.toBe(0);
    expect(get.stderr).toMatch(/NotFound/);
  });

  it('gets all and lists api-resources', async () => {
    const all = await ok(['get', 'all']);
    expect(all).toMatch(/deployment\.apps\/nginx-deployment/);
    expect(all).toMatch(/pod\/kubia-manual/);
    expect(all).toMatch(/cronjob\.batch\/hello/);
    const res = await ok(['api-resources']);
    expect(res).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/m);
    expect(res).toMatch(/^pods\s+po\s+v1\s+true\s+Pod/m);
  });

  it('deletes every seed manifest', async () => {
    for (const f of seedFiles) {
      // A namespace waits in Terminating for the namespace controller to empty it; don't block on it.
      const args = f === 'namespace-gomo.yaml' ? ['delete', '--wait=false', '-f', join(SEEDS, f)] : ['delete', '-f', join(SEEDS, f)];
      const out = await ok(args);
      expect(out, f).toMatch(/deleted/);
    }
    const pods = await ok(['get', 'pods', '-o', 'name']);
    expect(pods).not.toContain('kubia-manual');
    expect(await ok(['get', 'deploy', '-o', 'name'])).toBe('');
    expect(await ok(['get', 'ns', 'gomo', '-o', 'jsonpath={.status.phase}'])).toBe('Terminating');
  });
});
