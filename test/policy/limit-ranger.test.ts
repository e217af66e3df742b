/**
 * LimitRanger through the real API with the real kubectl: a LimitRange's defaults showing up in
 * `kubectl get pod -o yaml`, pods and claims outside min/max refused with Kubernetes' messages, and a
 * LimitRange default supplying what a ResourceQuota requires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPolicyCluster, type PolicyCluster } from './harness.js';

let c: PolicyCluster;

beforeAll(async () => {
  c = await startPolicyCluster({});
  await ok(['create', 'namespace', 'limits']);
  await ok(['apply', '-f', '-'], LIMITS);
  // the plugin reads LimitRanges from a cache: wait until a dry-run pod gets the default
  for (let i = 0; i < 300; i++) {
    if ((await c.kubectl(['run', 'probe', '--image=busybox:1.36', '-n', 'limits', '--dry-run=server', '-o', 'yaml'])).stdout.includes('kubernetes.io/limit-ranger')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);
afterAll(async () => {
  await c?.stop();
});

const ok = (args: string[], input?: string) => c.kubectlOk(args, { input });

const LIMITS = `
apiVersion: v1
kind: LimitRange
metadata: {name: bounds, namespace: limits}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m, memory: 128Mi}
    max: {cpu: 800m}
  - type: PersistentVolumeClaim
    max: {storage: 2Gi}
`;

const podYaml = (name: string, cpuLimit: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: limits}
spec:
  containers:
  - name: app
    image: busybox:1.36
    resources: {limits: {cpu: ${cpuLimit}}}
`;

describe('LimitRanger', () => {
  it('gives a container without resources the defaults, visible in kubectl get pod -o yaml', async () => {
    await ok(['run', 'plain', '--image=busybox:1.36', '-n', 'limits']);
    const yaml = await ok(['get', 'pod', 'plain', '-n', 'limits', '-o', 'yaml']);
    expect(yaml).toMatch(/limits:\n\s+cpu: 500m\n\s+memory: 256Mi\n\s+requests:\n\s+cpu: 100m\n\s+memory: 128Mi/);
    expect(await ok(['get', 'pod', 'plain', '-n', 'limits', '-o', 'jsonpath={.metadata.annotations.kubernetes\\.io/limit-ranger}'])).toBe(
      'LimitRanger plugin set: cpu, memory request for container plain; cpu, memory limit for container plain',
    );
    expect(await ok(['get', 'pod', 'plain', '-n', 'limits', '-o', 'jsonpath={.spec.containers[0].resources}'])).toBe('{"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}}');
  });

  it('refuses a container over max with Kubernetes message', async () => {
    const r = await c.kubectl(['apply', '-f', '-'], { input: podYaml('big', '1500m') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('pods "big" is forbidden: maximum cpu usage per Container is 800m, but limit is 1500m');
    await ok(['apply', '-f', '-'], podYaml('fits', '800m'));
  });

  it('refuses a claim over max', async () => {
    const claim = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: limits}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 5Gi}}}
`;
    const r = await c.kubectl(['apply', '-f', '-'], { input: claim });
    expect(r.stderr).toContain('persistentvolumeclaims "data" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi');
  });

  it('supplies the limits a ResourceQuota requires', async () => {
    await ok(['create', 'quota', 'compute', '--hard=limits.cpu=4,limits.memory=4Gi', '-n', 'limits']);
    // without the LimitRange default this pod would be refused with "must specify limits.cpu"
    await expect.poll(async () => (await c.kubectl(['run', 'counted', '--image=busybox:1.36', '-n', 'limits'])).code, { timeout: 30_000 }).toBe(0);
    expect(await ok(['get', 'quota', 'compute', '-n', 'limits', '-o', 'jsonpath={.status.used.limits\\.cpu}'])).toMatch(/^\d/);
  });
});
