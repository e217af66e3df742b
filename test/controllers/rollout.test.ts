/**
 * `kubectl rollout status|history|undo|pause|resume|restart`, `kubectl set image` and `kubectl scale`
 * with the real kubectl against berth's Deployment controller; pods are made Ready as they appear.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { Deployment, ReplicaSet } from '../../src/controlplane/controllers/deployment-rollout.js';
import { autoReady, deploymentManifest, listPods, namespace, startEnv, waitUntil, type Env } from './helpers.js';

let env: Env;
let ns: string;
let stopReady: () => void;
beforeAll(async () => {
  env = await startEnv({ tls: true });
  ns = await namespace(env.admin, 'rollout');
  stopReady = autoReady(env.admin, ns);
});
afterAll(async () => {
  stopReady?.();
  await env?.stop();
});

async function kubectl(...args: string[]): Promise<string> {
  const r = await env.cluster.kubectl([...args, '-n', ns]);
  expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

const image = async () => ((await env.admin.get<Deployment>(refs.deployments, 'web', ns)).spec.template?.spec as { containers: { image: string }[] }).containers[0].image;
const rsCount = async () => (await env.admin.list<ReplicaSet>(refs.replicasets, { namespace: ns })).items.length;

describe('kubectl rollout', () => {
  it('status waits for the rollout; set image rolls; history lists revisions with change-cause', async () => {
    await env.admin.create(refs.deployments, deploymentManifest('web', ns, 3, 'nginx:1'));
    expect(await kubectl('rollout', 'status', 'deployment/web', '--timeout=20s')).toContain('deployment "web" successfully rolled out');
    await kubectl('set', 'image', 'deployment/web', 'c=nginx:2');
    await kubectl('annotate', 'deployment/web', 'kubernetes.io/change-cause=image nginx:2');
    expect(await kubectl('rollout', 'status', 'deployment/web', '--timeout=20s')).toContain('successfully rolled out');
    const history = await kubectl('rollout', 'history', 'deployment/web');
    expect(history).toMatch(/REVISION\s+CHANGE-CAUSE/);
    expect(history).toMatch(/^1\s+<none>$/m);
    expect(history).toMatch(/^2\s+image nginx:2$/m);
    expect(await kubectl('rollout', 'history', 'deployment/web', '--revision=1')).toContain('nginx:1');
    expect(await kubectl('describe', 'deployment', 'web')).toMatch(/ScalingReplicaSet\s+.*Scaled up replica set web-\w+ from 0 to 1/);
  });

  it('undo goes back to the previous template as a new revision; --to-revision picks one', async () => {
    expect(await kubectl('rollout', 'undo', 'deployment/web')).toContain('rolled back');
    expect(await kubectl('rollout', 'status', 'deployment/web', '--timeout=20s')).toContain('successfully rolled out');
    expect(await image()).toBe('nginx:1');
    const d = await env.admin.get<Deployment>(refs.deployments, 'web', ns);
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(await rsCount()).toBe(2);
    await kubectl('rollout', 'undo', 'deployment/web', '--to-revision=2');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=20s');
    expect(await image()).toBe('nginx:2');
    expect(await kubectl('rollout', 'history', 'deployment/web')).toMatch(/^3\s+<none>\n4\s+image nginx:2$/m);
  });

  it('pause holds a template change; resume rolls it out', async () => {
    await kubectl('rollout', 'pause', 'deployment/web');
    await kubectl('set', 'image', 'deployment/web', 'c=nginx:3');
    const paused = await waitUntil(env.admin, refs.deployments, ns, async () => {
      const d = await env.admin.get<Deployment>(refs.deployments, 'web', ns);
      return (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && d.status?.conditions?.some((c) => c.reason === 'DeploymentPaused') ? d : undefined;
    }, 'paused observed');
    expect(paused.status?.updatedReplicas).toBe(0);
    expect(await rsCount()).toBe(2);
    await kubectl('rollout', 'resume', 'deployment/web');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=20s');
    expect(await rsCount()).toBe(3);
    expect((await listPods(env.admin, ns)).every((p) => (p.spec as { containers: { image: string }[] }).containers[0].image === 'nginx:3')).toBe(true);
  });

  it('restart rolls new pods with the same image', async () => {
    const before = new Set((await listPods(env.admin, ns)).map((p) => p.metadata?.name));
    await kubectl('rollout', 'restart', 'deployment/web');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=20s');
    const after = await waitUntil(env.admin, refs.pods, ns, async () => {
      const pods = await listPods(env.admin, ns);
      return pods.length === 3 ? pods : undefined;
    }, '3 pods');
    expect(after.some((p) => before.has(p.metadata?.name))).toBe(false);
    expect(await image()).toBe('nginx:3');
  });

  it('scale changes the replicas of the current ReplicaSet', async () => {
    expect(await kubectl('scale', 'deployment/web', '--replicas=5')).toContain('scaled');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=20s');
    await waitUntil(env.admin, refs.pods, ns, async () => (await listPods(env.admin, ns)).length === 5, '5 pods');
    await kubectl('scale', 'deployment/web', '--replicas=1');
    await waitUntil(env.admin, refs.pods, ns, async () => (await listPods(env.admin, ns)).length === 1, '1 pod');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=20s');
    const d = await env.admin.get<Deployment>(refs.deployments, 'web', ns);
    expect(d.status).toMatchObject({ replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
  });
});
