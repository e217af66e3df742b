/**
 * A ValidatingAdmissionPolicy's status through the real API and kubectl: compile errors refused at
 * create (422 naming the field, the expression and the position); a stored policy gets
 * observedGeneration, typeChecking.expressionWarnings for fields the matched kinds do not have,
 * and a Ready condition, updated when the policy changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPolicyCluster, type PolicyCluster } from './harness.js';

let c: PolicyCluster;
beforeAll(async () => {
  c = await startPolicyCluster({});
}, 120_000);
afterAll(async () => {
  await c?.stop();
});

const vap = (expression: string) =>
  JSON.stringify({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'replicas-typo' },
    spec: { matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }] }, validations: [{ expression }] },
  });

interface Status {
  observedGeneration?: number;
  typeChecking?: { expressionWarnings?: { fieldRef: string; warning: string }[] };
  conditions?: { type: string; status: string; reason: string }[];
}

async function status(): Promise<{ generation: number; status?: Status }> {
  const r = await c.kubectl(['get', 'validatingadmissionpolicy', 'replicas-typo', '-o', 'json']);
  const o = JSON.parse(r.stdout || '{}') as { metadata?: { generation?: number }; status?: Status };
  return { generation: o.metadata?.generation ?? 0, status: o.status };
}

describe('ValidatingAdmissionPolicy status', () => {
  it('refuses an expression that does not compile with 422, the field and the position', async () => {
    const r = await c.kubectl(['create', '-f', '-'], { input: vap('object.spec.replicas <=') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.validations[0].expression');
    expect(r.stderr).toContain('compilation failed');
    expect(r.stderr).toContain('^');
  }, 120_000);

  it('shows a misspelt field as an expression warning, and clears it when the policy is fixed', async () => {
    const created = await c.kubectl(['create', '-f', '-'], { input: vap('object.spec.replica <= 5') });
    expect(created.code, created.stderr).toBe(0);
    await expect.poll(async () => (await status()).status?.observedGeneration, { timeout: 60_000, interval: 300 }).toBe(1);
    const s1 = (await status()).status!;
    expect(s1.typeChecking?.expressionWarnings).toEqual([
      { fieldRef: 'spec.validations[0].expression', warning: "apps/v1, Kind=Deployment: ERROR: <input>:1:13: undefined field 'replica'\n | object.spec.replica <= 5\n | ............^" },
    ]);
    expect(s1.conditions).toMatchObject([{ type: 'Ready', status: 'True', reason: 'ExpressionWarnings' }]);

    const applied = await c.kubectl(['replace', '-f', '-'], { input: vap('object.spec.replicas <= 5') });
    expect(applied.code, applied.stderr).toBe(0);
    await expect.poll(async () => (await status()).status?.observedGeneration, { timeout: 60_000, interval: 300 }).toBe(2);
    const s2 = await status();
    expect(s2.generation).toBe(2);
    expect(s2.status?.typeChecking?.expressionWarnings).toEqual([]);
    expect(s2.status?.conditions).toMatchObject([{ type: 'Ready', status: 'True', reason: 'TypeChecked' }]);
  }, 120_000);
});
