import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { carriedStatus } from './pod-worker.js';

const fresh: ContainerStatus = { name: 'c', image: 'i', imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } };
const now = '2026-01-01T00:10:00Z';

describe('carriedStatus (an agent restarted)', () => {
  it.each<[string, ContainerStatus | undefined, { restartCount: number; ranBefore: boolean; completed: boolean; lastState?: unknown; state?: unknown }]>([
    ['a new pod: nothing carried', undefined, { restartCount: 0, ranBefore: false, completed: false }],
    ['never started yet: the first run is run 0', { ...fresh }, { restartCount: 0, ranBefore: false, completed: false }],
    [
      'was running: its run ended with the agent (Unknown, 255), the count carries on',
      { ...fresh, restartCount: 4, containerID: 'process://12', state: { running: { startedAt: '2026-01-01T00:00:00Z' } } },
      { restartCount: 4, ranBefore: true, completed: false, lastState: { terminated: { exitCode: 255, reason: 'Unknown', message: 'the node agent restarted', startedAt: '2026-01-01T00:00:00Z', finishedAt: now, containerID: 'process://12' } } },
    ],
    [
      'in back-off after a failure: lastState kept',
      { ...fresh, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 3, reason: 'Error' } } },
      { restartCount: 2, ranBefore: true, completed: false, lastState: { terminated: { exitCode: 3, reason: 'Error' } } },
    ],
    [
      'completed (an init container): stays completed',
      { ...fresh, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { restartCount: 0, ranBefore: true, completed: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
    ],
  ])('%s', (_name, prev, want) => {
    const got = carriedStatus(prev, fresh, now);
    expect(got.status.restartCount).toBe(want.restartCount);
    expect(got.ranBefore).toBe(want.ranBefore);
    expect(got.completed).toBe(want.completed);
    if (want.lastState) expect(got.status.lastState).toEqual(want.lastState);
    else expect(got.status.lastState).toBeUndefined();
    expect(got.status.state).toEqual(want.state ?? fresh.state);
  });
});
