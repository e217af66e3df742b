/** Pod phase, conditions and QoS class as the kubelet computes them: table tests. */
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { computePodStatus, podPhase, qosClass } from './pod-status.js';

const running: ContainerStatus = { name: 'c', image: '', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: 't' } } };
const ok: ContainerStatus = { ...running, ready: false, state: { terminated: { exitCode: 0 } } };
const failed: ContainerStatus = { ...running, ready: false, state: { terminated: { exitCode: 2 } } };
const creating: ContainerStatus = { ...running, ready: false, state: { waiting: { reason: 'ContainerCreating' } } };
const backoff: ContainerStatus = { ...running, ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } };

describe('podPhase', () => {
  it.each([
    ['Always', [], [running], 'Running'],
    ['Always', [], [creating], 'Pending'],
    ['Always', [], [backoff], 'Running'],
    ['Always', [], [ok], 'Running'],
    ['OnFailure', [], [ok], 'Succeeded'],
    ['OnFailure', [], [failed], 'Running'],
    ['Never', [], [ok], 'Succeeded'],
    ['Never', [], [ok, failed], 'Failed'],
    ['Never', [], [ok, running], 'Running'],
    ['Always', [creating], [creating], 'Pending'],
    ['Never', [failed], [creating], 'Failed'],
    ['OnFailure', [backoff], [creating], 'Pending'],
    ['Always', [ok], [running], 'Running'],
  ] as const)('%s init=%j app=%j → %s', (policy, init, app, want) => {
    expect(podPhase(policy, [...init], [...app])).toBe(want);
  });

  it.each([
    [{ ...running, name: 'side', started: true }, [creating], 'Pending'],
    [{ ...running, name: 'side', started: true }, [running], 'Running'],
    [{ ...creating, name: 'side', started: false }, [creating], 'Pending'],
    [{ ...failed, name: 'side' }, [ok], 'Succeeded'],
    // terminal only once every container stopped, sidecars too (kubelet since 1.27)
    [{ ...running, name: 'side', started: true }, [ok], 'Running'],
    [{ ...running, name: 'side', started: true }, [failed], 'Running'],
  ] as const)('a sidecar %j counts as initialized once started; app=%j → %s', (side, app, want) => {
    expect(podPhase('Never', [side], [...app], new Set(['side']))).toBe(want);
  });
});

describe('computePodStatus', () => {
  const pod: Pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, status: { conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: 'sched' }] } };
  const base = { pod, init: [], hostIP: '10.0.0.1', podIP: '10.0.0.1', startTime: 's', now: 'now' };

  it('keeps PodScheduled and reports every condition', () => {
    const st = computePodStatus({ ...base, containers: [running] });
    expect(st.phase).toBe('Running');
    expect(Object.fromEntries(st.conditions!.map((c) => [c.type, c.status]))).toEqual({ PodReadyToStartContainers: 'True', Initialized: 'True', Ready: 'True', ContainersReady: 'True', PodScheduled: 'True' });
    expect(st.conditions!.find((c) => c.type === 'PodScheduled')?.lastTransitionTime).toBe('sched');
  });

  it('names unready containers and marks completed pods', () => {
    expect(computePodStatus({ ...base, containers: [creating] }).conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [c]' });
    expect(computePodStatus({ ...base, pod: { ...pod, spec: { ...pod.spec!, restartPolicy: 'Never' } }, containers: [ok] }).conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });

  it('keeps lastTransitionTime while a condition holds', () => {
    const prev: Pod = { ...pod, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 'earlier' }] } };
    expect(computePodStatus({ ...base, pod: prev, containers: [running] }).conditions!.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('earlier');
  });
});

describe('qosClass', () => {
  it.each([
    [{}, 'BestEffort'],
    [{ requests: { cpu: '100m' } }, 'Burstable'],
    [{ limits: { cpu: '1', memory: '1Gi' } }, 'Guaranteed'],
    [{ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } }, 'Burstable'],
  ])('%j → %s', (resources, want) => {
    expect(qosClass({ spec: { containers: [{ name: 'c', resources }] } })).toBe(want);
  });
});
