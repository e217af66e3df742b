/** Table tests of dependsOn: ready at the current revision, once per revision, missing, cycles. */
import { describe, expect, it } from 'vitest';
import type { Application, ApplicationStatus } from './types.js';
import { checkDependencies, readyAtCurrentRevision } from './dependencies.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const app = (name: string, status?: ApplicationStatus, dependsOn?: { name: string; namespace?: string }[], ns = 'default'): Application => ({
  apiVersion: 'berth.dev/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: ns, generation: 1 },
  spec: { source: { repoURL: '/r' }, destination: { namespace: ns }, dependsOn },
  status,
});
const healthy = (rev: string, extra: ApplicationStatus = {}): ApplicationStatus => ({ observedGeneration: 1, sourceRevision: rev, sync: { status: 'Synced', revision: rev }, health: { status: 'Healthy' }, ...extra });

describe('readyAtCurrentRevision', () => {
  const cases: [string, ApplicationStatus | undefined, boolean][] = [
    ['Synced and Healthy at the source head', healthy(A), true],
    ['never reconciled', undefined, false],
    ['Healthy at an older commit than the head', { ...healthy(A), sourceRevision: B }, false],
    ['Progressing', { ...healthy(A), health: { status: 'Progressing' } }, false],
    ['OutOfSync', { ...healthy(A), sync: { status: 'OutOfSync', revision: A } }, false],
    ['spec changed and not yet observed', { ...healthy(A), observedGeneration: 0 }, false],
    ['pinned by a rollback, Healthy at the pin', { ...healthy(A), sourceRevision: B, pinned: { revision: A, sourceRevision: B, historyId: 1 } }, true],
  ];
  it.each(cases)('%s', (_n, status, want) => expect(readyAtCurrentRevision(app('db', status))).toBe(want));
});

describe('checkDependencies', () => {
  const world = (...apps: Application[]) => (key: string) => apps.find((a) => `${a.metadata!.namespace}/${a.metadata!.name}` === key);
  it('no dependsOn: never blocked', () => {
    expect(checkDependencies(app('web'), world())).toEqual({ ready: {} });
  });
  it('a ready dependency is recorded at its revision', () => {
    expect(checkDependencies(app('web', undefined, [{ name: 'db' }]), world(app('db', healthy(A))))).toEqual({ ready: { 'default/db': A } });
  });
  it('a dependency in another namespace', () => {
    const v = checkDependencies(app('web', undefined, [{ name: 'db', namespace: 'data' }]), world(app('db', healthy(A), undefined, 'data')));
    expect(v).toEqual({ ready: { 'data/db': A } });
  });
  it('a missing dependency blocks and says so', () => {
    expect(checkDependencies(app('web', undefined, [{ name: 'db' }]), world()).blocked).toEqual({ reason: 'DependencyNotFound', message: 'waiting for Application default/db: it does not exist' });
  });
  it('a Progressing dependency blocks with its state and revision', () => {
    const v = checkDependencies(app('web', undefined, [{ name: 'db' }]), world(app('db', { ...healthy(A), health: { status: 'Progressing' } })));
    expect(v.blocked).toEqual({ reason: 'DependencyNotReady', message: 'waiting for Application default/db to be Synced and Healthy (it is Synced and Progressing at aaaaaaa)' });
  });
  it('a dependency still on an older commit names the commit it should reach', () => {
    const v = checkDependencies(app('web', undefined, [{ name: 'db' }]), world(app('db', { ...healthy(A), sourceRevision: B })));
    expect(v.blocked!.message).toBe('waiting for Application default/db to be Synced and Healthy (it is Synced and Healthy at aaaaaaa; its current revision is bbbbbbb)');
  });
  it('once ready at a revision, a dependency does not block again at that revision', () => {
    const web = app('web', { dependencies: { 'default/db': A } }, [{ name: 'db' }]);
    const v = checkDependencies(web, world(app('db', { ...healthy(A), health: { status: 'Degraded' } })));
    expect(v).toEqual({ ready: { 'default/db': A } });
  });
  it('…but blocks again at a new revision', () => {
    const web = app('web', { dependencies: { 'default/db': A } }, [{ name: 'db' }]);
    const v = checkDependencies(web, world(app('db', { ...healthy(B), health: { status: 'Progressing' } })));
    expect(v.blocked?.reason).toBe('DependencyNotReady');
  });
  it('the first dependency not ready is named; the ready ones are still recorded', () => {
    const v = checkDependencies(app('web', undefined, [{ name: 'db' }, { name: 'cache' }, { name: 'queue' }]), world(app('db', healthy(A)), app('cache')));
    expect(v.ready).toEqual({ 'default/db': A });
    expect(v.blocked!.message).toMatch(/^waiting for Application default\/cache .*Unknown and Unknown/);
  });
  it('a cycle blocks with its path', () => {
    const a = app('a', healthy(A), [{ name: 'b' }]);
    const b = app('b', healthy(A), [{ name: 'c' }]);
    const c = app('c', healthy(A), [{ name: 'a' }]);
    expect(checkDependencies(a, world(a, b, c)).blocked).toEqual({ reason: 'DependencyCycle', message: 'dependency cycle default/a → default/b → default/c → default/a: remove one dependsOn entry' });
  });
  it('a diamond is not a cycle', () => {
    const top = app('top', undefined, [{ name: 'l' }, { name: 'r' }]);
    const l = app('l', healthy(A), [{ name: 'base' }]);
    const r = app('r', healthy(A), [{ name: 'base' }]);
    expect(checkDependencies(top, world(top, l, r, app('base', healthy(A)))).blocked).toBeUndefined();
  });
});

describe('checkDependencies through a chain', () => {
  it('a dependency that is itself blocked says what it waits for', () => {
    const mid = app('mid', { ...healthy(A), sourceRevision: B, conditions: [{ type: 'BlockedOn', status: 'True', reason: 'DependencyNotReady', message: 'waiting for Application default/db …', lastTransitionTime: '' }] }, [{ name: 'db' }]);
    const v = checkDependencies(app('top', undefined, [{ name: 'mid' }]), (k) => (k === 'default/mid' ? mid : undefined));
    expect(v.blocked).toEqual({ reason: 'DependencyNotReady', message: 'waiting for Application default/mid, which is itself blocked: waiting for Application default/db …' });
  });
});
