/**
 * The runtime cut-off of CEL through the real API server and kubectl: a ValidatingAdmissionPolicy
 * whose expression passes the per-call cost limit denies with a clear error under failurePolicy
 * Fail and lets the request through under Ignore; one whose validations together pass the
 * per-evaluation budget says so; and while those expensive creates run, GETs over HTTPS keep being
 * answered.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPolicyCluster, type PolicyCluster } from './harness.js';

let c: PolicyCluster;

beforeAll(async () => {
  c = await startPolicyCluster({});
  for (const ns of ['costly', 'lenient', 'budget']) await ok(['create', 'namespace', ns]);
  await ok(['apply', '-f', '-'], [policy('cost-fail', 'Fail', 'costly', [NESTED]), policy('cost-ignore', 'Ignore', 'lenient', [NESTED]), policy('cost-budget', 'Fail', 'budget', Array(11).fill(NEAR_LIMIT))].join(''));
}, 120_000);
afterAll(async () => {
  await c?.stop();
});

const ok = (args: string[], input?: string) => c.kubectlOk(args, { input });

const range = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
/** 1,000,000 comprehension steps: under the static limit, over the per-call runtime limit. */
const NESTED = `${range(100)}.all(x, ${range(100)}.all(y, ${range(100)}.all(z, x + y + z >= 0)))`;
/** about 960,000 units: under the per-call limit; eleven of them pass the 10,000,000 budget. */
const NEAR_LIMIT = `${range(100)}.all(x, ${range(100)}.all(y, ${range(15)}.all(z, z >= 0)))`;

function policy(name: string, failurePolicy: string, namespace: string, expressions: string[]): string {
  return JSON.stringify({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: {
      failurePolicy,
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
      validations: expressions.map((expression) => ({ expression })),
    },
  }) + '\n' + JSON.stringify({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: `${name}-binding` },
    spec: { policyName: name, validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } } },
  }) + '\n';
}

/** GET over HTTPS as the admin; resolves with the status code. */
function get(path: string): Promise<number> {
  const url = new URL(path, c.api.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: readFileSync(join(c.dir, 'pki', 'ca.crt')), headers: { authorization: `Bearer ${c.adminToken}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const configmap = (name: string, ns: string) => ['create', 'configmap', name, '-n', ns, '--from-literal=k=v'];

describe('CEL runtime cost limit through the API server', () => {
  it('denies under failurePolicy Fail with the policy and the cut-off named', async () => {
    await expect
      .poll(async () => (await c.kubectl(configmap('a', 'costly'))).stderr, { timeout: 60_000, interval: 500 })
      .toContain("ValidatingAdmissionPolicy 'cost-fail' with binding 'cost-fail-binding' denied request: expression '");
    const r = await c.kubectl(configmap('b', 'costly'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('resulted in error: operation cancelled: actual cost limit exceeded (evaluation cost budget exceeded');
  }, 120_000);

  it('lets the request through under failurePolicy Ignore', async () => {
    expect(await ok(configmap('a', 'lenient'))).toContain('configmap/a created');
  }, 120_000);

  it('says when the validations together run out of the evaluation budget', async () => {
    await expect
      .poll(async () => (await c.kubectl(configmap('a', 'budget'))).stderr, { timeout: 60_000, interval: 500 })
      .toContain("ValidatingAdmissionPolicy 'cost-budget' with binding 'cost-budget-binding' denied request: validation failed due to running out of cost budget");
  }, 120_000);

  it('keeps answering GETs while expensive creates are cut off', async () => {
    let creating = true;
    const creates = Promise.all([0, 1, 2].map((i) => c.kubectl(configmap(`x${i}`, i === 2 ? 'budget' : 'costly')))).finally(() => (creating = false));
    const codes: number[] = [];
    while (creating || codes.length < 5) codes.push(await get('/api/v1/namespaces/default'));
    const results = await creates;
    expect(results.map((r) => r.code)).not.toContain(0);
    expect(results.map((r) => r.stderr).join('')).toContain('evaluation cost budget exceeded');
    expect(codes.length).toBeGreaterThanOrEqual(5);
    expect(new Set(codes)).toEqual(new Set([200]));
  }, 120_000);
});
