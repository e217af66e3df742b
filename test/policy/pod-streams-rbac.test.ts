/**
 * RBAC on pods/exec, pods/attach and pods/portforward with the real kubectl: reading pods does not
 * let a user into them; `create` on the subresource does (a WebSocket upgrade is a GET, and berth
 * checks `create` as well, as Kubernetes does with AuthorizePodWebsocketUpgradeCreatePermission).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPolicyCluster, type PolicyCluster } from './harness.js';

let c: PolicyCluster;
const VIEWER = 'viewer-token-0123456789';
const OPERATOR = 'operator-token-0123456789';
const GETTER = 'getter-token-0123456789';

const ok = (args: string[]) => c.kubectlOk(args);

beforeAll(async () => {
  c = await startPolicyCluster({ [VIEWER]: { user: 'viewer' }, [OPERATOR]: { user: 'operator' }, [GETTER]: { user: 'getter' } });
  await ok(['create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods']);
  await ok(['create', 'role', 'pod-exec', '--verb=create,get', '--resource=pods,pods/exec']);
  await ok(['create', 'role', 'pod-exec-get', '--verb=get', '--resource=pods,pods/exec']);
  await ok(['create', 'rolebinding', 'viewer', '--role=pod-reader', '--user=viewer']);
  await ok(['create', 'rolebinding', 'operator', '--role=pod-exec', '--user=operator']);
  await ok(['create', 'rolebinding', 'getter', '--role=pod-exec-get', '--user=getter']);
  await ok(['run', 'target', '--image=busybox', '--restart=Never', '--overrides={"spec":{"nodeName":"elsewhere"}}', '--', 'sleep', '100']);
  // no agent runs the pod here; kubectl port-forward and attach only try Running pods
  await ok(['patch', 'pod', 'target', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running"}}']);
});
afterAll(async () => {
  await c?.stop();
});

describe('pods/exec authorization', () => {
  it('refuses a user who may only get pods', async () => {
    const r = await c.kubectl(['exec', 'target', '--', 'ls'], { token: VIEWER });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/forbidden: User "viewer" cannot (get|create) resource "pods\/exec"/);
  });

  it('refuses a user who may only get pods/exec: the upgrade needs create too', async () => {
    const r = await c.kubectl(['exec', 'target', '--', 'ls'], { token: GETTER });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('cannot create resource "pods/exec"');
  });

  it('lets a user with create on pods/exec through to the node (none serves this one here)', async () => {
    const r = await c.kubectl(['exec', 'target', '--', 'ls'], { token: OPERATOR });
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toContain('forbidden');
    expect(r.stderr).toContain('served by the node agent');
  });

  it('refuses port-forward and attach to the viewer', async () => {
    const pf = await c.kubectl(['port-forward', 'pod/target', '8080:80', '--pod-running-timeout=2s'], { token: VIEWER });
    expect(pf.stderr).toMatch(/cannot (get|create) resource "pods\/portforward"/);
    const at = await c.kubectl(['attach', 'target', '--pod-running-timeout=2s'], { token: VIEWER });
    expect(at.stderr).toMatch(/cannot (get|create) resource "pods\/attach"/);
  });
});
