/**
 * CEL admission through the real API with the real kubectl: the Kubernetes documentation's
 * ValidatingAdmissionPolicy examples (replicas limit, messageExpression, a Warn action, a param),
 * compile errors refused at create time, and AccessPolicy rules (a protected namespace only group
 * sre may delete — even over a cluster-admin binding — and team-a editing only its labelled objects).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPolicyCluster, type PolicyCluster } from './harness.js';

let c: PolicyCluster;
const SRE = 'sre-token-0123456789';
const DEV = 'dev-token-0123456789';
const ROOT = 'root-token-0123456789';

beforeAll(async () => {
  c = await startPolicyCluster({ [SRE]: { user: 'sam', groups: ['sre'] }, [DEV]: { user: 'dana', groups: ['team-a'] }, [ROOT]: { user: 'rita', groups: ['root'] } });
  await ok(['create', 'clusterrolebinding', 'sre-admin', '--clusterrole=cluster-admin', '--group=sre']);
  await ok(['create', 'clusterrolebinding', 'root-admin', '--clusterrole=cluster-admin', '--group=root']);
});
afterAll(async () => {
  await c?.stop();
});

const ok = (args: string[], token?: string, input?: string) => c.kubectlOk(args, { token, input });

const deployment = (name: string, replicas: number, ns = 'default', labels: Record<string, string> = {}) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name, ...labels } },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } },
  });

const REPLICAS_POLICY = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: demo-policy.example.com}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["deployments"]
  validations:
  - expression: "object.spec.replicas <= 5"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: demo-binding-test.example.com}
spec:
  policyName: demo-policy.example.com
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels: {environment: test}
`;

describe('ValidatingAdmissionPolicy', () => {
  it('denies a Deployment with more than 5 replicas in a matching namespace, with the policy, binding and message', async () => {
    await ok(['create', 'namespace', 'test-env']);
    await ok(['label', 'namespace', 'test-env', 'environment=test']);
    await ok(['apply', '-f', '-'], undefined, REPLICAS_POLICY);
    await expect.poll(async () => (await c.kubectl(['create', '-f', '-'], { input: deployment('big', 6, 'test-env') })).stderr).toContain(
      "ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding-test.example.com' denied request: failed expression: object.spec.replicas <= 5",
    );
    expect(await ok(['create', '-f', '-'], undefined, deployment('small', 5, 'test-env'))).toContain('created');
    // the binding selects only namespaces labelled environment=test
    expect(await ok(['create', '-f', '-'], undefined, deployment('big', 6, 'default'))).toContain('created');
  });

  it('uses messageExpression and a param, and warns with the Warn action', async () => {
    await ok(['create', 'namespace', 'warn-env']);
    await ok(['create', 'configmap', 'limits', '-n', 'warn-env', '--from-literal=maxReplicas=3']);
    await ok(['apply', '-f', '-'], undefined, `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-limit}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - {apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"]}
  variables:
  - name: max
    expression: "int(params.data.maxReplicas)"
  validations:
  - expression: "object.spec.replicas <= variables.max"
    messageExpression: "'replicas ' + string(object.spec.replicas) + ' exceed the limit of ' + string(variables.max)"
    reason: Forbidden
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replica-limit-warn}
spec:
  policyName: replica-limit
  paramRef: {name: limits, parameterNotFoundAction: Allow}
  validationActions: [Warn]
  matchResources:
    namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [warn-env]}]}
`);
    await ok(['label', 'namespace', 'warn-env', 'kubernetes.io/metadata.name=warn-env', '--overwrite']);
    await expect.poll(async () => ok(['create', '-f', '-', '--dry-run=server'], undefined, deployment('w', 4, 'warn-env'))).toContain(
      "Warning: Validation failed for ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-warn': replicas 4 exceed the limit of 3",
    );
  });

  it('refuses a policy whose expression does not compile, naming the field', async () => {
    const r = await c.kubectl(['apply', '-f', '-'], {
      input: `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: broken}
spec:
  matchConstraints: {resourceRules: [{apiGroups: ["*"], apiVersions: ["*"], operations: ["*"], resources: ["*"]}]}
  validations: [{expression: "object.spec.replicas <="}]
`,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.validations[0].expression');
    expect(r.stderr).toContain('compilation failed');
  });
});

describe('AccessPolicy', () => {
  it('nobody deletes a namespace labelled protected=true unless in group sre, even with cluster-admin; can-i agrees', async () => {
    await ok(['apply', '-f', '-'], undefined, `
apiVersion: berth.dev/v1alpha1
kind: AccessPolicy
metadata: {name: protect-namespaces}
spec:
  rules:
  - name: only-sre-deletes-protected
    effect: Deny
    condition: >-
      request.verb == 'delete' && request.resource == 'namespaces' &&
      object.metadata.?labels.?protected.orValue('') == 'true' && !('sre' in request.groups)
    message: protected namespaces are deleted by SRE only
`);
    await ok(['create', 'namespace', 'prod']);
    await ok(['label', 'namespace', 'prod', 'protected=true']);
    await ok(['create', 'namespace', 'scratch']);
    await expect.poll(async () => (await c.kubectl(['auth', 'can-i', 'delete', 'namespace/prod'], { token: ROOT })).stdout.trim()).toMatch(/^no - denied by AccessPolicy "protect-namespaces"/);
    const r = await c.kubectl(['delete', 'namespace', 'prod'], { token: ROOT });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('denied by AccessPolicy "protect-namespaces" rule "only-sre-deletes-protected": protected namespaces are deleted by SRE only');
    expect((await c.kubectl(['auth', 'can-i', 'delete', 'namespace/scratch'], { token: ROOT })).stdout.trim()).toBe('yes');
    expect((await c.kubectl(['auth', 'can-i', 'delete', 'namespace/prod'], { token: SRE })).stdout.trim()).toBe('yes');
    expect(await ok(['delete', 'namespace', 'prod', '--wait=false'], SRE)).toContain('deleted');
  });

  it('members of team-a may edit only objects labelled team=team-a', async () => {
    await ok(['create', 'namespace', 'shared']);
    await ok(['apply', '-f', '-'], undefined, `
apiVersion: berth.dev/v1alpha1
kind: AccessPolicy
metadata: {name: team-a-owns-its-objects}
spec:
  rules:
  - name: team-a-edits-labelled
    effect: Allow
    condition: >-
      'team-a' in request.groups && request.namespace == 'shared' && request.resource == 'configmaps' &&
      object.metadata.?labels.?team.orValue('') == 'team-a'
`);
    const cm = (name: string, team: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shared', labels: { team } }, data: { a: 'b' } });
    await expect.poll(async () => (await c.kubectl(['create', '-f', '-'], { token: DEV, input: cm('mine', 'team-a') })).stdout).toContain('created');
    const other = await c.kubectl(['create', '-f', '-'], { token: DEV, input: cm('theirs', 'team-b') });
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('no AccessPolicy Allow rule holds');
    await ok(['create', '-f', '-'], undefined, cm('theirs', 'team-b'));
    expect((await c.kubectl(['auth', 'can-i', 'delete', 'configmap/mine', '-n', 'shared'], { token: DEV })).stdout.trim()).toBe('yes');
    expect((await c.kubectl(['auth', 'can-i', 'delete', 'configmap/theirs', '-n', 'shared'], { token: DEV })).stdout.trim()).toMatch(/^no/);
    expect(await ok(['delete', 'configmap', 'mine', '-n', 'shared'], DEV)).toContain('deleted');
  });
});

describe('MutatingAdmissionPolicy', () => {
  it('adds a label with an ApplyConfiguration written as Object{...}, and JSONPatch', async () => {
    await ok(['apply', '-f', '-'], undefined, `
apiVersion: admissionregistration.k8s.io/v1beta1
kind: MutatingAdmissionPolicy
metadata: {name: add-labels}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}]
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >-
        Object{metadata: Object.metadata{labels: {"managed-by": "berth"}}}
  - patchType: JSONPatch
    jsonPatch:
      expression: >-
        [JSONPatch{op: "add", path: "/data/added", value: "by-" + request.userInfo.username}]
---
apiVersion: admissionregistration.k8s.io/v1beta1
kind: MutatingAdmissionPolicyBinding
metadata: {name: add-labels}
spec:
  policyName: add-labels
  matchResources: {namespaceSelector: {matchLabels: {mutate: "yes"}}}
`);
    await ok(['create', 'namespace', 'mut']);
    await ok(['label', 'namespace', 'mut', 'mutate=yes']);
    await expect.poll(async () => {
      await c.kubectl(['delete', 'configmap', 'm', '-n', 'mut', '--ignore-not-found']);
      await ok(['create', 'configmap', 'm', '-n', 'mut', '--from-literal=a=b']);
      return ok(['get', 'configmap', 'm', '-n', 'mut', '-o', 'jsonpath={.metadata.labels.managed-by} {.data.added}']);
    }).toBe('berth by-berth-admin');
  });
});
