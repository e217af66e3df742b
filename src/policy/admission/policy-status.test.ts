import type { ValidatingAdmissionPolicy } from 'kubernetes-types/admissionregistration/v1.js';
import { describe, expect, it } from 'vitest';
import { policyStatus, statusUpdate } from './policy-status.js';

type Writable<T> = { -readonly [K in keyof T]: T[K] };
const policy = (expression: string, generation = 1): Writable<ValidatingAdmissionPolicy> => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name: 'p', generation },
  spec: { matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'], operations: ['CREATE'] }] as never }, validations: [{ expression }] },
});

describe('policy status', () => {
  it('records the generation, no warnings and Ready/TypeChecked for a clean policy', () => {
    expect(policyStatus(policy('object.spec.replicas <= 5', 3), 'T1')).toEqual({
      observedGeneration: 3,
      typeChecking: { expressionWarnings: [] },
      conditions: [{ type: 'Ready', status: 'True', reason: 'TypeChecked', message: 'every expression compiled and type-checked against the matched kinds', observedGeneration: 3, lastTransitionTime: 'T1' }],
    });
  });

  it('lists the warnings and says so in the condition', () => {
    const s = policyStatus(policy('object.spec.replica <= 5'), 'T1');
    expect(s.typeChecking?.expressionWarnings?.map((w) => w.fieldRef)).toEqual(['spec.validations[0].expression']);
    expect(s.conditions?.[0]).toMatchObject({ reason: 'ExpressionWarnings', message: expect.stringContaining('spec.validations[0].expression') });
  });

  it('asks for no write when the stored status is current, keeps the transition time, and writes on a new generation', () => {
    const p = policy('object.spec.replicas <= 5');
    p.status = policyStatus(p, 'T1');
    expect(statusUpdate(p, 'T2')).toBeUndefined();
    const next = { ...p, metadata: { ...p.metadata, generation: 2 } };
    expect(statusUpdate(next, 'T2')).toMatchObject({ observedGeneration: 2, conditions: [{ lastTransitionTime: 'T1', observedGeneration: 2 }] });
  });
});
