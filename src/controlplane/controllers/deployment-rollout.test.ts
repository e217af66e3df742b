import { describe, expect, it } from 'vitest';
import {
  fenceposts,
  fnv32a,
  historyToPrune,
  newRSReplicas,
  podTemplateHash,
  proportionalScale,
  rolloutStatus,
  safeEncode,
  sameTemplate,
  scaled,
  scaleDownOld,
  type Deployment,
  type DeploymentSpec,
  type ReplicaSet,
} from './deployment-rollout.js';

function dep(spec: Partial<DeploymentSpec>, status?: Deployment['status']): Deployment {
  return { metadata: { name: 'web', generation: 1, uid: 'd' }, spec: { replicas: 10, template: { metadata: { labels: { app: 'web' } } }, ...spec }, status };
}
function rs(name: string, replicas: number, available = replicas, created = `2024-01-01T00:0${name.length % 10}:00Z`, rev?: number): ReplicaSet {
  return { metadata: { name, creationTimestamp: created, annotations: rev ? { 'deployment.kubernetes.io/revision': String(rev) } : {} }, spec: { replicas }, status: { replicas, availableReplicas: available, readyReplicas: available } };
}

describe('hashing', () => {
  it('fnv32a matches the reference vectors', () => {
    const enc = new TextEncoder();
    expect(fnv32a(enc.encode(''))).toBe(0x811c9dc5);
    expect(fnv32a(enc.encode('a'))).toBe(0xe40c292c);
    expect(fnv32a(enc.encode('foobar'))).toBe(0xbf9cf968);
  });
  it('safe-encodes like rand.SafeEncodeString', () => expect(safeEncode('0123456789')).toBe('456789bcdf'));
  it('is stable under key order and changes with collisionCount', () => {
    const a = podTemplateHash({ metadata: { labels: { a: '1', b: '2' } }, spec: { x: 1 } });
    expect(podTemplateHash({ spec: { x: 1 }, metadata: { labels: { b: '2', a: '1' } } })).toBe(a);
    expect(podTemplateHash({ metadata: { labels: { a: '1', b: '2' } }, spec: { x: 1 } }, 1)).not.toBe(a);
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });
  it('compares templates ignoring pod-template-hash', () => {
    expect(sameTemplate({ metadata: { labels: { app: 'a', 'pod-template-hash': 'x' } } }, { metadata: { labels: { app: 'a' } } })).toBe(true);
    expect(sameTemplate({ metadata: { labels: { app: 'a' } }, spec: { i: 1 } }, { metadata: { labels: { app: 'a' } }, spec: { i: 2 } })).toBe(false);
    // as `kubectl rollout undo` writes a ReplicaSet's template back
    expect(sameTemplate({ metadata: { creationTimestamp: null, labels: { app: 'a' } }, spec: { containers: [{ name: 'c', resources: {} }] } }, { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c' }] } })).toBe(true);
  });
});

describe('fenceposts', () => {
  const cases: [string, Partial<DeploymentSpec>, [number, number]][] = [
    ['defaults 25%/25% of 10: surge rounds up, unavailable down', {}, [3, 2]],
    ['numbers', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 1 } } }, [2, 1]],
    ['both zero becomes unavailable 1', { strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }, [0, 1]],
    ['percent of 3 replicas', { replicas: 3, strategy: { rollingUpdate: { maxSurge: '50%', maxUnavailable: '50%' } } }, [2, 1]],
    ['unavailable capped at replicas', { replicas: 1, strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 5 } } }, [0, 1]],
    ['Recreate has none', { strategy: { type: 'Recreate' } }, [0, 0]],
  ];
  for (const [name, spec, want] of cases) it(name, () => expect(fenceposts(dep(spec).spec)).toEqual(want));
  it('scaled rejects garbage', () => expect(() => scaled('x%', 10, true)).toThrow());
});

describe('rolling steps', () => {
  const ru = (s: number, u: number): Partial<DeploymentSpec> => ({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: s, maxUnavailable: u } } });
  const cases: { name: string; spec: Partial<DeploymentSpec>; newRS?: ReplicaSet; olds: ReplicaSet[]; up: number; down: Record<string, number> }[] = [
    { name: 'first step surges the new RS', spec: ru(3, 2), newRS: rs('new', 0, 0), olds: [rs('old', 10)], up: 3, down: { old: 8 } },
    { name: 'no surge room left; old scaled within availability', spec: ru(3, 2), newRS: rs('new', 3, 0), olds: [rs('old', 10)], up: 3, down: { old: 8 } },
    { name: 'old pods still deleting hold the surge', spec: { replicas: 4, ...ru(1, 1) }, newRS: rs('new', 2, 2), olds: [{ ...rs('old', 2), status: { replicas: 3, availableReplicas: 3 } }], up: 2, down: { old: 1 } },
    { name: 'unhealthy old pods go first, beyond availability', spec: ru(0, 1), newRS: rs('new', 0, 0), olds: [rs('old', 10, 7)], up: 0, down: { old: 9 } },
    { name: 'oldest old RS scaled down first', spec: ru(0, 2), newRS: rs('new', 0, 0), olds: [rs('b', 5, 5, '2024-01-01T00:02:00Z'), rs('a', 5, 5, '2024-01-01T00:01:00Z')], up: 0, down: { a: 3 } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = dep(c.spec);
      const all = c.newRS ? [c.newRS, ...c.olds] : c.olds;
      expect(newRSReplicas(d, all, c.newRS)).toBe(c.up);
      expect(Object.fromEntries(scaleDownOld(d, c.newRS, c.olds))).toEqual(c.down);
    });
  }
});

describe('proportionalScale', () => {
  it('spreads a scale-up by size with the remainder to the largest', () => {
    const d = dep({ replicas: 15, strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } });
    expect(Object.fromEntries(proportionalScale(d, [rs('a', 6), rs('b', 4)]))).toEqual({ a: 9, b: 6 });
  });
  it('scales down proportionally', () => {
    const d = dep({ replicas: 5, strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } });
    expect(Object.fromEntries(proportionalScale(d, [rs('a', 6), rs('b', 4)]))).toEqual({ a: 3, b: 2 });
  });
});

describe('rolloutStatus', () => {
  const now = Date.parse('2024-01-01T01:00:00Z');
  it('complete: Available and NewReplicaSetAvailable', () => {
    const d = dep({ replicas: 2, progressDeadlineSeconds: 600 });
    const n = rs('web-x', 2);
    const { status } = rolloutStatus(d, n, [n], now);
    expect(status).toMatchObject({ replicas: 2, updatedReplicas: 2, availableReplicas: 2, unavailableReplicas: 0, observedGeneration: 1 });
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
  });
  it('past the deadline without progress: ProgressDeadlineExceeded', () => {
    const prog = { type: 'Progressing', status: 'True' as const, reason: 'ReplicaSetUpdated', lastUpdateTime: '2024-01-01T00:00:00Z', lastTransitionTime: '2024-01-01T00:00:00Z' };
    const d = dep({ replicas: 2, progressDeadlineSeconds: 60 }, { replicas: 2, updatedReplicas: 2, availableReplicas: 0, readyReplicas: 0, conditions: [prog] });
    const n = rs('web-x', 2, 0);
    expect(rolloutStatus(d, n, [n], now).status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
  });
  it('within the deadline: requeued for the rest of it', () => {
    const prog = { type: 'Progressing', status: 'True' as const, reason: 'ReplicaSetUpdated', lastUpdateTime: '2024-01-01T00:59:30Z', lastTransitionTime: '2024-01-01T00:59:30Z' };
    const d = dep({ replicas: 2, progressDeadlineSeconds: 60 }, { replicas: 2, updatedReplicas: 2, availableReplicas: 0, readyReplicas: 0, conditions: [prog] });
    const n = rs('web-x', 2, 0);
    expect(rolloutStatus(d, n, [n], now).requeueAfterMs).toBe(30_000);
  });
  it('paused: Progressing Unknown DeploymentPaused', () => {
    const d = dep({ replicas: 2, paused: true, progressDeadlineSeconds: 600 });
    expect(rolloutStatus(d, undefined, [], now).status.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused' });
  });
});

describe('historyToPrune', () => {
  it('deletes the oldest idle revisions beyond the limit', () => {
    const d = dep({ revisionHistoryLimit: 1 });
    const olds = [rs('a', 0, 0, undefined, 1), rs('b', 0, 0, undefined, 3), rs('c', 0, 0, undefined, 2), rs('d', 2, 2, undefined, 4)];
    expect(historyToPrune(d, olds).map((r) => r.metadata?.name)).toEqual(['a', 'c']);
  });
});
