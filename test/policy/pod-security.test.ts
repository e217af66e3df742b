/**
 * PodSecurity through the real API with the real kubectl: namespaces labelled
 * pod-security.kubernetes.io/enforce refuse pods with Kubernetes' message, warn labels and workload
 * templates produce warnings kubectl prints, labelling a namespace warns about its pods, and
 * unlabelled namespaces check nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPolicyCluster, type PolicyCluster } from './harness.js';

let c: PolicyCluster;

beforeAll(async () => {
  c = await startPolicyCluster({});
}, 60_000);
afterAll(async () => {
  await c?.stop();
});

const ok = (args: string[], input?: string) => c.kubectlOk(args, { input });

const privilegedPod = (name: string, ns: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  containers:
  - name: app
    image: busybox:1.36
    securityContext: {privileged: true}
`;

const RESTRICTED_MESSAGE =
  'violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

describe('PodSecurity', () => {
  it('refuses a pod in a namespace enforcing restricted, with Kubernetes message', async () => {
    await ok(['create', 'namespace', 'psa-restricted']);
    await ok(['label', 'namespace', 'psa-restricted', 'pod-security.kubernetes.io/enforce=restricted']);
    // the plugin reads namespaces from a cache: the label takes effect within moments
    await expect.poll(async () => (await c.kubectl(['run', 'nginx', '--image=nginx:1.27', '-n', 'psa-restricted'])).stderr.trim(), { timeout: 30_000 }).toBe(
      `Error from server (Forbidden): pods "nginx" is forbidden: ${RESTRICTED_MESSAGE}`,
    );
    const compliant = `
apiVersion: v1
kind: Pod
metadata: {name: ok, namespace: psa-restricted}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: busybox:1.36
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`;
    expect(await ok(['apply', '-f', '-'], compliant)).toContain('pod/ok created');
  });

  it('refuses a privileged pod under baseline, and warns at the warn level', async () => {
    await ok(['create', 'namespace', 'psa-baseline']);
    await ok(['label', 'namespace', 'psa-baseline', 'pod-security.kubernetes.io/enforce=baseline', 'pod-security.kubernetes.io/warn=restricted']);
    await expect.poll(async () => (await c.kubectl(['apply', '-f', '-'], { input: privilegedPod('priv', 'psa-baseline') })).stderr, { timeout: 30_000 }).toContain(
      'pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged (container "app" must not set securityContext.privileged=true)',
    );
    const r = await c.kubectl(['run', 'plain', '--image=busybox:1.36', '-n', 'psa-baseline']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "plain" must set securityContext.allowPrivilegeEscalation=false)');
  });

  it('warns (does not refuse) for a workload whose template fails the enforce level', async () => {
    const r = await c.kubectl(['create', 'deployment', 'web', '--image=nginx:1.27', '-n', 'psa-restricted']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false)');
  });

  it('warns about existing pods when a namespace starts enforcing, and checks nothing without labels', async () => {
    await ok(['create', 'namespace', 'psa-later']);
    await ok(['apply', '-f', '-'], privilegedPod('old', 'psa-later'));
    const r = await c.kubectl(['label', 'namespace', 'psa-later', 'pod-security.kubernetes.io/enforce=baseline']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Warning: existing pods in namespace "psa-later" violate the new PodSecurity enforce level "baseline:latest"');
    expect(r.stderr).toContain('Warning: old: privileged');
    await ok(['create', 'namespace', 'psa-none']);
    expect(await ok(['apply', '-f', '-'], privilegedPod('free', 'psa-none'))).toContain('pod/free created');
  });
});
