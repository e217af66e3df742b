import type { ValidatingAdmissionPolicy } from 'kubernetes-types/admissionregistration/v1.js';
import { describe, expect, it } from 'vitest';
import { registry } from '../../controlplane/resources/registry.js';
import { matchedTypes, typeCheckPolicy, undefinedFields } from './type-checking.js';

const deployments = registry.find('apps', 'v1', 'deployments')!.schema();

describe('type checking against the matched kind', () => {
  const cases: [string, string[]][] = [
    ['object.spec.replicas > 1', []],
    ['object.spec.replica > 1', ['replica@1:13']],
    ["object.metadata.labels.team == 'a' && object.metadata.?labels.orValue({}).size() > 0", []],
    ["object.spec.template.spec.containers.all(c, c.image != '' && c.imagee != '')", ['imagee@1:64']],
    ['object.spec.template.spec.containers[0].resources.limits.cpu != ""', []],
    ['has(object.spec.strategy.rollingUpdat)', ['rollingUpdat@1:26']],
    ['oldObject.spek == null || variables.anything.goes', ['spek@1:11']],
    ["object.spec.template.metadata.annotations.exists(k, k.startsWith('x'))", []],
  ];
  for (const [src, want] of cases) {
    it(src, () => expect(undefinedFields(src, deployments).map((e) => `${e.field}@${e.line}:${e.column}`)).toEqual(want));
  }
});

const policy = (validations: string[], rules = [{ apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }]): ValidatingAdmissionPolicy => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name: 'p' },
  spec: { matchConstraints: { resourceRules: rules.map((r) => ({ ...r, operations: ['CREATE'] })) }, validations: validations.map((expression) => ({ expression })) },
});

describe('typeCheckPolicy', () => {
  it('warns per expression with the kind, the position and a marker, as Kubernetes words it', () => {
    expect(typeCheckPolicy(policy(['object.spec.replicas <= 5', 'object.spec.replica <= 5']))).toEqual([
      { fieldRef: 'spec.validations[1].expression', warning: "apps/v1, Kind=Deployment: ERROR: <input>:1:13: undefined field 'replica'\n | object.spec.replica <= 5\n | ............^" },
    ]);
  });

  it("skips the branch of `object.kind == 'K' ? … : …` a kind cannot take", () => {
    const rules = [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }, { apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }];
    expect(typeCheckPolicy(policy(["(object.kind == 'Pod' ? object.spec : object.spec.template.spec).containers.size() > 0"], rules))).toEqual([]);
    expect(typeCheckPolicy(policy(["object.kind != 'Pod' ? object.spec.template.spec.nodeName == '' : object.spec.nodeName == ''"], rules))).toEqual([]);
    // an unguarded selection is still checked for every kind
    expect(typeCheckPolicy(policy(['object.spec.template.spec.nodeName == ""'], rules)).map((w) => w.warning.split(':')[0])).toEqual(['v1, Kind=Pod']);
  });

  it('checks every matched kind and skips wildcards', () => {
    const p = policy(['object.spec.replicas > 0'], [{ apiGroups: ['apps'], apiVersions: ['*'], resources: ['deployments', 'statefulsets', 'daemonsets'] }, { apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }]);
    expect(matchedTypes(p).map((t) => t.kind).sort()).toEqual(['DaemonSet', 'Deployment', 'StatefulSet']);
    expect(typeCheckPolicy(p).map((w) => w.warning.split(':')[0])).toEqual(['apps/v1, Kind=DaemonSet']);
  });
});
