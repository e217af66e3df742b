/**
 * `berth policy test` and `berth policy eval`, run as a user runs them (node bin/berth.js).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'berth-policy-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A one-policy library with a case that fails. */
const dir = join(tmp, 'lib');
mkdirSync(join(dir, 'no-latest'), { recursive: true });
writeFileSync(
  join(dir, 'no-latest', 'policy.yaml'),
  `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-latest}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"]}
  validations:
  - expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))"
    message: "no latest"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-latest}
spec: {policyName: no-latest, validationActions: [Deny]}
`,
);
writeFileSync(
  join(dir, 'no-latest', 'tests.yaml'),
  `cases:
- name: latest is denied
  expect: deny
  message: no latest
  object: {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: default}, spec: {containers: [{name: c, image: "nginx:latest"}]}}
- name: wrongly expected to be denied
  expect: deny
  object: {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: default}, spec: {containers: [{name: c, image: "nginx:1"}]}}
`,
);

function berth(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/berth.js', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const deployment = (name: string, image: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: shop, labels: {app: ${name}, team: a}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: c
        image: ${image}${extra}
`;

describe('berth policy test', () => {
  it('runs the library in policies/ and passes every case', async () => {
    const r = await berth('policy', 'test');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^POLICY\s+CASE\s+EXPECTED\s+GOT\s+RESULT\s+REASON$/);
    expect(r.stdout).toMatch(/disallow-privileged\s+hostPID is denied\s+DENY\s+DENY\s+PASS/);
    expect(r.stdout).toMatch(/require-probes\s+/);
    expect(r.stdout).toMatch(/\d+ passed, 0 failed/);
  }, 60_000);

  it('exits 1 and names the failing case and why', async () => {
    const r = await berth('policy', 'test', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/no-latest\s+latest is denied\s+DENY\s+DENY\s+PASS/);
    expect(r.stdout).toMatch(/no-latest\s+wrongly expected to be denied\s+DENY\s+ALLOW\s+FAIL\s+expected deny, got allow/);
    expect(r.stdout).toContain('1 passed, 1 failed');
  }, 60_000);
});

describe('berth policy eval', () => {
  it("prints each policy's verdict per object with file:line, and exits 1 on a denial", async () => {
    const file = join(tmp, 'app.yaml');
    const probes = '\n        readinessProbe: {tcpSocket: {port: 80}}\n        livenessProbe: {tcpSocket: {port: 80}}\n        resources: {requests: {cpu: 10m, memory: 8Mi}, limits: {memory: 16Mi}}';
    writeFileSync(file, `${deployment('good', 'nginx:1.27', probes)}---\n${deployment('bad', 'nginx:latest', probes)}`);
    const r = await berth('policy', 'eval', '-f', file);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^LOCATION\s+OBJECT\s+POLICY\s+VERDICT\s+MESSAGE$/);
    expect(r.stdout).toMatch(new RegExp(`${file}:1\\s+Deployment/shop/good\\s+disallow-latest-tag\\s+ALLOW`));
    expect(r.stdout).toMatch(new RegExp(`${file}:16\\s+Deployment/shop/bad\\s+disallow-latest-tag\\s+DENY\\s+.*the :latest tag is not allowed`));
    expect(r.stdout).toMatch(/Deployment\/shop\/good\s+add-default-labels\s+MUTATE/);
    expect(r.stdout).not.toMatch(/good\s+\S+\s+DENY/);
  }, 60_000);

  it('exits 0 when every policy allows, reading another library', async () => {
    const file = join(tmp, 'pod.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec: {containers: [{name: c, image: "nginx:1"}]}\n');
    const r = await berth('policy', 'eval', '-f', file, '--policies', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${file}:1\\s+Pod/default/p\\s+no-latest\\s+ALLOW`));
  }, 60_000);
});
