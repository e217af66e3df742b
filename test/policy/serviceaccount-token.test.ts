/**
 * ServiceAccount token mounting end to end in `berth up` with the process runtime: every namespace
 * gets the `kube-root-ca.crt` ConfigMap with the API's CA, a pod gets the `kube-api-access-*`
 * projected volume, and a process in the pod reads the token, CA and namespace from
 * /var/run/secrets/kubernetes.io/serviceaccount and calls the API as its ServiceAccount;
 * automountServiceAccountToken: false on the pod or its ServiceAccount leaves it out.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { up, type Cluster } from '../../src/cli/up.js';
import { until } from '../harness/wait.js';

const dataDir = mkdtempSync(join(tmpdir(), 'berth-satoken-'));
let cluster: Cluster | undefined;

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', join(dataDir, 'kubeconfig'), '--cache-dir', join(dataDir, 'kube-cache'), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? 1 : 0, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

const jsonpath = async (...args: string[]) => {
  const r = await kubectl(['get', ...args.slice(0, -1), '-o', `jsonpath=${args[args.length - 1]}`]);
  return r.code === 0 ? r.stdout : '';
};

// calls SelfSubjectReview with the mounted token and CA, prints the namespace file and the user
const SCRIPT = [
  "const fs = require('fs'), https = require('https');",
  "const d = '/var/run/secrets/kubernetes.io/serviceaccount';",
  "const token = fs.readFileSync(d + '/token', 'utf8'), ca = fs.readFileSync(d + '/ca.crt'), ns = fs.readFileSync(d + '/namespace', 'utf8');",
  'const u = new URL(process.env.API);',
  "const req = https.request({ host: u.hostname, port: u.port, path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', method: 'POST', ca, headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' } }, (r) => {",
  "  let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => console.log('namespace=' + ns + ' user=' + JSON.parse(b).status.userInfo.username));",
  '});',
  "req.end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }));",
].join(' ');

const pod = (name: string, extra = '') => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: sa-test}
spec:
  restartPolicy: Never
  ${extra}
  containers:
  - name: app
    image: node
    command: [node, -e, ${JSON.stringify(SCRIPT)}]
    env: [{name: API, value: "${cluster?.api.url ?? ''}"}]
`;

beforeAll(async () => {
  cluster = await up({ apiPort: 0, host: '127.0.0.1', dataDir, nodes: 1, runtime: 'process', fsync: 'everysec', demo: false, policies: 'off' }, () => {});
  expect((await kubectl(['create', 'namespace', 'sa-test'])).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('ServiceAccount token volume', () => {
  it('publishes kube-root-ca.crt with the CA berth serves with in every namespace', async () => {
    const ca = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
    const published = await until('kube-root-ca.crt in sa-test', async () => (await jsonpath('configmap', 'kube-root-ca.crt', '-n', 'sa-test', '{.data.ca\\.crt}')) || undefined);
    expect(published.trim()).toBe(ca.trim());
    expect(await jsonpath('configmap', 'kube-root-ca.crt', '-n', 'default', '{.metadata.name}')).toBe('kube-root-ca.crt');
  });

  it('mounts a token a process in the pod calls the API with', async () => {
    expect((await kubectl(['apply', '-f', '-'], pod('caller'))).code).toBe(0);
    const volumes = await jsonpath('pod', 'caller', '-n', 'sa-test', '{.spec.volumes[0].name} {.spec.containers[0].volumeMounts[0].mountPath}');
    expect(volumes).toMatch(/^kube-api-access-[a-z0-9]{5} \/var\/run\/secrets\/kubernetes\.io\/serviceaccount$/);
    await until('caller Succeeded', async () => ((await jsonpath('pod', 'caller', '-n', 'sa-test', '{.status.phase}')) === 'Succeeded' ? true : undefined), 90_000);
    const logs = await kubectl(['logs', 'caller', '-n', 'sa-test']);
    expect(logs.stdout.trim()).toBe('namespace=sa-test user=system:serviceaccount:sa-test:default');
  });

  it('leaves the volume out when automountServiceAccountToken is false on the pod or its ServiceAccount', async () => {
    expect((await kubectl(['apply', '-f', '-'], pod('no-token', 'automountServiceAccountToken: false'))).code).toBe(0);
    expect(await jsonpath('pod', 'no-token', '-n', 'sa-test', '{.spec.volumes}')).toBe('');
    const sa = 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: quiet, namespace: sa-test}\nautomountServiceAccountToken: false\n';
    expect((await kubectl(['apply', '-f', '-'], sa)).code).toBe(0);
    // the plugin reads ServiceAccounts from a cache
    await until('a pod of quiet without the volume', async () => {
      const name = `quiet-${Date.now()}`;
      await kubectl(['apply', '-f', '-'], pod(name, 'serviceAccountName: quiet'));
      return (await jsonpath('pod', name, '-n', 'sa-test', '{.spec.volumes}')) === '' ? true : undefined;
    });
  });
});
