/**
 * Sync operations with hooks and waves on a cluster with a scheduler and a sim node: a PreSync Job
 * runs and succeeds before anything is applied, wave N+1 waits until wave N is Healthy, PostSync
 * runs once everything is Healthy; a failed PreSync Job fails the sync with a condition naming the
 * Job and its reason, applies nothing, and its outcome stays in history after the Job is deleted;
 * a hook Job the API server would refuse fails the dry run before any hook runs.
 * A Sync hook runs after PreSync, with the apply of its wave, and before the next wave and PostSync,
 * and when it fails neither runs; a Job that is the hook of two phases runs in each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import type { Application } from '../../src/sync/app/types.js';
import { makeRepo, type TestRepo } from './git-repo.js';
import { configMap, startSyncCluster, type SyncCluster } from './sync-harness.js';

let c: SyncCluster;
let repo: TestRepo;
beforeAll(async () => {
  c = await startSyncCluster({ simNode: { jobMs: 300 } });
  repo = makeRepo();
}, 120_000);
afterAll(async () => {
  await c?.stop();
  repo?.remove();
});

/** `completeAfter`: how long its pod runs (sim); `invalid`: a Job the API server refuses (restartPolicy Always) */
function hookJob(name: string, hook: string, opts: { deletePolicy?: string; fail?: boolean; completeAfter?: string; invalid?: boolean } = {}): string {
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  annotations:
    argocd.argoproj.io/hook: ${hook}
${opts.deletePolicy ? `    argocd.argoproj.io/hook-delete-policy: ${opts.deletePolicy}\n` : ''}spec:
  backoffLimit: 0
  template:
    metadata:
      annotations: { ${opts.fail ? 'sim.berth.dev/result: Failed' : 'sim.berth.dev/result: Succeeded'}${opts.completeAfter ? `, sim.berth.dev/complete-after: ${opts.completeAfter}` : ''} }
    spec:
      restartPolicy: ${opts.invalid ? 'Always' : 'Never'}
      containers: [{ name: main, image: busybox }]
`;
}

const slowDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata:
      labels: { app: web }
      annotations: { sim.berth.dev/running-after: 5s }
    spec:
      containers: [{ name: main, image: busybox }]
`;

const waveAnnotated = (yaml: string, wave: number) => yaml.replace(/^metadata:\n/m, `metadata:\n  annotations: { argocd.argoproj.io/sync-wave: "${wave}" }\n`);
const cmData = async (name: string) => (await c.admin.find<KubeObject & { data?: Record<string, string> }>(refs.configmaps, name, 'default'))?.data;

describe('a sync operation with hooks and waves', () => {
  it('runs PreSync first, waits for each wave to be Healthy, then runs PostSync', async () => {
    repo.commit('app with hooks and waves', {
      'app/migrate.yaml': hookJob('migrate', 'PreSync', { deletePolicy: 'HookSucceeded' }),
      'app/settings.yaml': waveAnnotated(configMap('settings', { v: '1' }), -1),
      'app/web.yaml': slowDeployment,
      'app/after-web.yaml': waveAnnotated(configMap('after-web'), 1),
      'app/smoke.yaml': hookJob('smoke', 'PostSync'),
    });
    await c.createApp('hooked', { source: { repoURL: repo.bare, targetRevision: 'main', path: 'app' }, destination: { namespace: 'default' }, syncPolicy: { automated: { prune: true, selfHeal: true } } });

    const waiting = await c.waitApp('hooked', (a) => a.status?.operationState?.message?.startsWith('waiting for wave 0 to be Healthy') ?? false);
    expect(waiting.status!.operationState).toMatchObject({ phase: 'Running', hooks: [expect.objectContaining({ name: 'migrate', phase: 'PreSync', status: 'Succeeded', reason: 'CompletionsReached', deleted: true })] });
    expect(waiting.status!.conditions!.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', reason: 'Syncing' });
    expect(await cmData('settings')).toEqual({ v: '1' });
    expect(await cmData('after-web')).toBeUndefined();
    // HookSucceeded deleted the Job; its outcome is in the operation state
    expect(await c.admin.find(refs.jobs, 'migrate', 'default')).toBeUndefined();

    const done = await c.waitApp('hooked', (a) => a.status?.operationState?.phase === 'Succeeded', 'default');
    expect(done.status!.sync!.status).toBe('Synced');
    expect(done.status!.health!.status).toBe('Healthy');
    expect(await cmData('after-web')).toBeDefined();
    const last = done.status!.history!.at(-1)!;
    expect(last.result).toBe('Succeeded');
    expect(last.hooks!.map((h) => `${h.phase} ${h.name} ${h.status}${h.deleted ? ' deleted' : ''}`)).toEqual(['PreSync migrate Succeeded deleted', 'PostSync smoke Succeeded']);
    // hooks are not part of the Application's objects
    expect(done.status!.resources!.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(['ConfigMap/after-web', 'ConfigMap/settings', 'Deployment/web']);
    // the default delete policy (BeforeHookCreation) keeps the Job until the next sync
    expect(await c.admin.find(refs.jobs, 'smoke', 'default')).toBeDefined();
  }, 120_000);

  it('a failed PreSync Job fails the sync, names the Job and its reason, applies nothing, and is remembered after deletion', async () => {
    const sha = repo.commit('failing migration', {
      'app/migrate.yaml': hookJob('migrate', 'PreSync', { deletePolicy: 'HookFailed', fail: true }),
      'app/settings.yaml': waveAnnotated(configMap('settings', { v: '2' }), -1),
    });
    await c.sync.pokeRepo(repo.bare);
    const failed = await c.waitApp('hooked', (a: Application) => a.status?.operationState?.revision === sha && a.status.operationState.phase === 'Failed');
    const ready = failed.status!.conditions!.find((x) => x.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', reason: 'HookFailed' });
    expect(ready.message).toMatch(/^PreSync hook Job default\/migrate failed: BackoffLimitExceeded/);
    expect(failed.status!.operationState!.terminal).toBe(true);
    expect(await cmData('settings')).toEqual({ v: '1' });
    expect(await c.admin.find(refs.jobs, 'migrate', 'default')).toBeUndefined();
    const last = failed.status!.history!.at(-1)!;
    expect(last).toMatchObject({ revision: sha, result: 'Failed', hooks: [expect.objectContaining({ name: 'migrate', status: 'Failed', reason: 'BackoffLimitExceeded', deleted: true })] });
  }, 120_000);

  it('a hook Job the API server would refuse fails the dry run of the whole set: no hook runs and nothing is applied', async () => {
    const smokeBefore = await c.admin.get(refs.jobs, 'smoke', 'default');
    const sha = repo.commit('a Sync hook and a PostSync hook with restartPolicy Always', {
      'app/migrate.yaml': hookJob('migrate', 'PreSync', { deletePolicy: 'HookSucceeded' }),
      'app/settings.yaml': waveAnnotated(configMap('settings', { v: '3' }), -1),
      // a Job named smoke is still there from the first sync (BeforeHookCreation); no Job named seed is
      'app/smoke.yaml': hookJob('smoke', 'PostSync', { invalid: true }),
      'app/seed.yaml': hookJob('seed', 'Sync', { invalid: true }),
    });
    await c.sync.pokeRepo(repo.bare);
    // the dry run fails, or an operation starts at this commit
    const failed = await c.waitApp('hooked', (a) => a.status?.conditions?.find((x) => x.type === 'Ready')?.reason === 'DryRunFailed' || a.status?.operationState?.revision === sha);
    const { reason, message } = failed.status!.conditions!.find((x) => x.type === 'Ready')!;
    expect(reason).toBe('DryRunFailed');
    expect(message).toMatch(/^nothing applied: /);
    expect(message).toMatch(/Job\/default\/seed \(Sync hook\): .*restartPolicy/);
    expect(message).toMatch(/Job\/default\/smoke \(PostSync hook\): .*restartPolicy/);
    // the PreSync hook did not run, the ConfigMap was not applied, the earlier smoke Job was left alone
    expect(await c.admin.find(refs.jobs, 'migrate', 'default')).toBeUndefined();
    expect(await cmData('settings')).toEqual({ v: '1' });
    expect((await c.admin.get(refs.jobs, 'smoke', 'default')).metadata?.uid).toBe(smokeBefore.metadata?.uid);
    expect(await c.admin.find(refs.jobs, 'seed', 'default')).toBeUndefined();
  }, 120_000);

  it('runs a Sync hook after PreSync, with the apply of its wave, and before the next wave and PostSync', async () => {
    const sha = repo.commit('a Sync hook that runs longer than the rest', {
      'app/migrate.yaml': hookJob('migrate', 'PreSync', { deletePolicy: 'HookSucceeded' }),
      'app/settings.yaml': waveAnnotated(configMap('settings', { v: '4' }), -1),
      'app/web.yaml': slowDeployment.replace(/\n\s+annotations: \{ sim\.berth\.dev\/running-after: 5s \}/, ''),
      'app/seed.yaml': hookJob('seed', 'Sync', { completeAfter: '4s' }),
      'app/after-web.yaml': waveAnnotated(configMap('after-web', { a: '2' }), 1),
      'app/smoke.yaml': hookJob('smoke', 'PostSync'),
    });
    await c.sync.pokeRepo(repo.bare);
    const seeding = await c.waitApp('hooked', (a) => a.status?.operationState?.revision === sha && !!a.status.operationState.hooks?.some((h) => h.name === 'seed' && h.status === 'Running'));
    const hooks = () => seeding.status!.operationState!.hooks!.map((h) => `${h.phase} ${h.name} ${h.status}`);
    // PreSync finished first; nothing of PostSync yet
    expect(hooks()).toEqual(['PreSync migrate Succeeded', 'Sync seed Running']);
    // the Sync hook's wave (0) was applied with it, the wave before it too, the wave after it not yet
    expect(await cmData('settings')).toEqual({ v: '4' });
    const web = await c.admin.get<KubeObject & { spec: { template: { metadata: { annotations?: Record<string, string> } } } }>(refs.deployments, 'web', 'default');
    expect(web.spec.template.metadata.annotations?.['sim.berth.dev/running-after']).toBeUndefined();
    expect(await cmData('after-web')).toEqual({ a: '1' });
    expect((await c.admin.get(refs.jobs, 'smoke', 'default')).metadata?.labels?.['app.berth.dev/hook-operation']).not.toBe(seeding.status!.operationState!.id);

    const done = await c.waitApp('hooked', (a) => a.status?.operationState?.revision === sha && a.status.operationState.phase !== 'Running');
    expect(done.status!.operationState!.phase).toBe('Succeeded');
    expect(await cmData('after-web')).toEqual({ a: '2' });
    const ran = done.status!.history!.at(-1)!.hooks!;
    expect(ran.map((h) => `${h.phase} ${h.name} ${h.status}`)).toEqual(['PreSync migrate Succeeded', 'Sync seed Succeeded', 'PostSync smoke Succeeded']);
    const [migrate, seed, smoke] = ran;
    expect(seed.startedAt >= migrate.finishedAt!).toBe(true);
    expect(smoke.startedAt >= seed.finishedAt!).toBe(true);
    // a Sync hook is not one of the Application's objects either
    expect(done.status!.resources!.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(['ConfigMap/after-web', 'ConfigMap/settings', 'Deployment/web']);
  }, 120_000);

  it('a Job that is the hook of two phases runs in each', async () => {
    const before = await c.admin.list(refs.jobs, { namespace: 'default' });
    const created = new Set<string>();
    const ac = new AbortController();
    const watching = (async () => {
      for await (const ev of c.admin.watch(refs.jobs, { namespace: 'default', fieldSelector: 'metadata.name=check', resourceVersion: before.metadata.resourceVersion, signal: ac.signal })) {
        if (ev.type === 'ADDED') created.add(ev.object.metadata!.uid!);
      }
    })();
    const sha = repo.commit('one Job as the PreSync and the PostSync hook', {
      'app/migrate.yaml': undefined,
      'app/seed.yaml': undefined,
      'app/smoke.yaml': undefined,
      'app/check.yaml': hookJob('check', 'PreSync,PostSync'),
      'app/settings.yaml': waveAnnotated(configMap('settings', { v: '5' }), -1),
    });
    await c.sync.pokeRepo(repo.bare);
    const done = await c.waitApp('hooked', (a) => a.status?.operationState?.revision === sha && a.status.operationState.phase !== 'Running');
    ac.abort();
    await watching;
    expect(done.status!.operationState!.phase).toBe('Succeeded');
    expect(done.status!.history!.at(-1)!.hooks!.map((h) => `${h.phase} ${h.name} ${h.status}`)).toEqual(['PreSync check Succeeded', 'PostSync check Succeeded']);
    // created for PreSync, then replaced (BeforeHookCreation) and run again for PostSync
    expect(created.size).toBe(2);
    expect(await cmData('settings')).toEqual({ v: '5' });
  }, 120_000);

  it('a failed Sync hook fails the sync: later waves are not applied and PostSync does not run', async () => {
    const sha = repo.commit('a failing Sync hook', {
      'app/check.yaml': undefined,
      'app/seed.yaml': hookJob('seed', 'Sync', { fail: true }),
      'app/after-web.yaml': waveAnnotated(configMap('after-web', { a: '3' }), 1),
      'app/smoke.yaml': hookJob('smoke', 'PostSync'),
    });
    await c.sync.pokeRepo(repo.bare);
    const failed = await c.waitApp('hooked', (a) => a.status?.operationState?.revision === sha && a.status.operationState.phase !== 'Running');
    expect(failed.status!.operationState).toMatchObject({ phase: 'Failed', terminal: true });
    const ready = failed.status!.conditions!.find((x) => x.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', reason: 'HookFailed' });
    expect(ready.message).toMatch(/^Sync hook Job default\/seed failed: BackoffLimitExceeded/);
    expect(failed.status!.operationState!.hooks!.map((h) => `${h.phase} ${h.name} ${h.status}`)).toEqual(['Sync seed Failed']);
    expect(await cmData('after-web')).toEqual({ a: '2' });
  }, 120_000);
});
