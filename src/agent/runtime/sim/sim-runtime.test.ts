/** Sim runtime termination and logs, on the runtime alone (the conformance suite covers it through an agent). */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import type { RuntimeHost } from '../runtime.js';
import { SimRuntime } from './sim-runtime.js';
import { ANNOTATIONS } from './stages.js';

const host: RuntimeHost = {
  statusChanged: () => {},
  event: () => {},
  lookup: async () => undefined,
  services: async () => [],
  lookupClaim: async () => ({}),
  serviceAccountToken: async () => 'token',
};

function pod(name: string, annotations: Record<string, string> = {}): Pod {
  return { metadata: { name, namespace: 'default', uid: `uid-${name}`, annotations }, spec: { nodeName: 'n', containers: [{ name: 'main', image: 'busybox' }] } };
}

async function running(rt: SimRuntime, p: Pod): Promise<void> {
  rt.sync(p);
  while (rt.status(p.metadata!.uid!)?.phase !== 'Running') await new Promise((r) => setTimeout(r, 5));
}

const terminated = (rt: SimRuntime, p: Pod) => rt.status(p.metadata!.uid!)?.containerStatuses?.[0]?.state?.terminated;

describe('sim runtime termination', () => {
  const rt = () => new SimRuntime({ nodeName: 'n', address: '127.0.0.1', allocatable: { cpu: '1', memory: '1Gi' } }, host);

  it('kills containers that outlast the grace period (exit code 137), unready while they stop', async () => {
    const r = rt();
    const p = pod('stubborn', { [ANNOTATIONS.stopAfter]: '1h' });
    await running(r, p);
    const done = r.terminate(p, 0.05);
    expect(r.status('uid-stubborn')?.containerStatuses?.[0]).toMatchObject({ ready: false, state: { running: {} } });
    await done;
    expect(terminated(r, p)).toMatchObject({ exitCode: 137, reason: 'Error' });
    await r.close();
  });

  it('lets containers that stop within the grace period end Completed, and a shorter grace given later wins', async () => {
    const r = rt();
    const quick = pod('quick', { [ANNOTATIONS.stopAfter]: '10ms' });
    await running(r, quick);
    await r.terminate(quick, 3600);
    expect(terminated(r, quick)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const slow = pod('slow', { [ANNOTATIONS.stopAfter]: '1h' });
    await running(r, slow);
    const first = r.terminate(slow, 3600);
    await r.terminate(slow, 0);
    await first;
    expect(terminated(r, slow)).toMatchObject({ exitCode: 137 });
    await r.close();
  });

  it('releases a termination still waiting when the pod is forgotten', async () => {
    const r = rt();
    const p = pod('gone', { [ANNOTATIONS.stopAfter]: '1h' });
    await running(r, p);
    const done = r.terminate(p, 3600);
    await r.forget('uid-gone');
    await done;
    expect(r.status('uid-gone')).toBeUndefined();
  });
});

describe('sim runtime logs', () => {
  it('serves empty logs and refuses as the process runtime does', async () => {
    const r = new SimRuntime({ nodeName: 'n', address: '127.0.0.1', allocatable: { cpu: '1', memory: '1Gi' } }, host);
    const p = pod('talker');
    await running(r, p);
    let text = '';
    await new Promise<void>((end) => void r.logs(p, {}).then((s) => s.start((c) => (text += c), end)));
    expect(text).toBe('');
    await expect(r.logs(p, { container: 'nope' })).rejects.toThrow('container nope is not valid for pod talker');
    await expect(r.logs(p, { previous: true })).rejects.toThrow('previous terminated container "main" in pod "talker" not found');
    await expect(r.logs(pod('elsewhere'), {})).rejects.toMatchObject({ reason: 'NotFound' });
    await r.close();
  });
});
