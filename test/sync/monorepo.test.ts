/**
 * Monorepos: 100 Applications in one repository, a commit touching one of them. Only that one
 * renders and applies; the other 99 record the new commit and leave their objects alone (renders
 * counted through the render engine, applies through resourceVersions).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { render } from '../../src/sync/render/index.js';
import { makeRepo, type TestRepo } from './git-repo.js';
import { configMap, startSyncCluster, type SyncCluster } from './sync-harness.js';

const APPS = 100;
const name = (i: number) => `app-${String(i).padStart(3, '0')}`;
const renders = new Map<string, number>();

let c: SyncCluster;
let repo: TestRepo;
beforeAll(async () => {
  c = await startSyncCluster({
    engines: {
      render(files, opts) {
        renders.set(opts.path, (renders.get(opts.path) ?? 0) + 1);
        return render(files, opts);
      },
    },
  });
  repo = makeRepo();
}, 120_000);
afterAll(async () => {
  await c?.stop();
  repo?.remove();
});

async function allAt(sha: string): Promise<void> {
  for (let i = 0; i < APPS; i++) await c.waitApp(name(i), (a) => a.status?.sync?.status === 'Synced' && a.status.sync.revision === sha);
}

describe('a monorepo of 100 Applications', () => {
  it('a commit touching one Application renders and applies only that one', async () => {
    const files: Record<string, string> = { 'README.md': 'apps' };
    for (let i = 0; i < APPS; i++) files[`apps/${name(i)}/cm.yaml`] = configMap(name(i), { v: '1' });
    const first = repo.commit('100 apps', files);
    for (let i = 0; i < APPS; i++) {
      await c.createApp(name(i), { source: { repoURL: repo.bare, targetRevision: 'main', path: `apps/${name(i)}` }, destination: { namespace: 'default' }, syncPolicy: { automated: { prune: true, selfHeal: true } } });
    }
    await allAt(first);
    const before = new Map(renders);
    const versions = new Map<string, string>();
    for (const cm of (await c.admin.list<KubeObject>(refs.configmaps, { namespace: 'default' })).items) versions.set(cm.metadata!.name!, cm.metadata!.resourceVersion!);

    const second = repo.commit('bump app-042 and the readme', { 'apps/app-042/cm.yaml': configMap('app-042', { v: '2' }), 'README.md': 'apps, changed' });
    expect((await c.sync.pokeRepo(repo.bare, 'refs/heads/main')).length).toBe(APPS);
    await allAt(second);

    const cm = await c.admin.get<KubeObject & { data: Record<string, string> }>(refs.configmaps, 'app-042', 'default');
    expect(cm.data.v).toBe('2');
    for (let i = 0; i < APPS; i++) {
      const path = `apps/${name(i)}`;
      expect({ path, renders: (renders.get(path) ?? 0) - (before.get(path) ?? 0) }).toEqual({ path, renders: i === 42 ? 1 : 0 });
      if (i === 42) continue;
      const live = await c.admin.get<KubeObject>(refs.configmaps, name(i), 'default');
      expect({ name: name(i), rv: live.metadata!.resourceVersion }).toEqual({ name: name(i), rv: versions.get(name(i)) });
    }
    const skipped = await c.waitApp(name(7), () => true);
    expect(skipped.status!.renderInputs).toMatchObject({ revision: second, paths: ['apps/app-007/'] });
    expect(skipped.status!.sync).toMatchObject({ revision: second, message: 'bump app-042 and the readme' });
    const touched = await c.waitApp(name(42), () => true);
    expect(touched.status!.history!.at(-1)).toMatchObject({ revision: second, result: 'Succeeded' });
  }, 240_000);
});
