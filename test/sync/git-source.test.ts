/** GitSource against real repositories made by the git CLI: revisions, trees, path safety, http. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSource } from '../../src/sync/git/source.js';
import { startGitHttp, type GitHttpServer } from './git-http.js';
import { makeRepo, type TestRepo } from './git-repo.js';

let repo: TestRepo;
let dataDir: string;
let first: string;
let second: string;

beforeAll(() => {
  repo = makeRepo();
  dataDir = mkdtempSync(join(tmpdir(), 'berth-gitdata-'));
  first = repo.commit('first', { 'apps/web/deploy.yaml': 'a: 1\n', 'apps/base/cm.yaml': 'b: 2\n', 'README.md': 'hi\n' });
  repo.git('tag', '-a', 'v1', '-m', 'release 1');
  repo.git('push', '-q', 'origin', 'v1');
  second = repo.commit('second\n\nwith a body', {
    'apps/web/deploy.yaml': 'a: 2\n',
    'apps/web/link.yaml': { symlink: '../base/cm.yaml' },
    'apps/web/evil.yaml': { symlink: '../../../../etc/passwd' },
    'apps/web/abs.yaml': { symlink: '/etc/passwd' },
  });
  repo.commit('on a branch', { 'apps/web/deploy.yaml': 'a: 3\n' }, 'feature');
});
afterAll(() => {
  repo.remove();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('revisions of a local bare repository', () => {
  const src = () => new GitSource({ dataDir });
  it.each([
    ['main', () => second],
    ['HEAD', () => second],
    ['v1', () => first],
    ['refs/heads/main', () => second],
  ])('%s resolves', async (rev, want) => expect((await src().resolve({ repoURL: repo.bare, revision: rev })).commit.sha).toBe(want()));
  it('a full and an abbreviated sha resolve', async () => {
    expect((await src().resolve({ repoURL: repo.bare, revision: first })).commit.sha).toBe(first);
    expect((await src().resolve({ repoURL: repo.bare, revision: first.slice(0, 8) })).commit.sha).toBe(first);
  });
  it('the commit carries author and message', async () => {
    const { commit } = await src().resolve({ repoURL: repo.bare, revision: 'main' });
    expect(commit).toMatchObject({ author: 'Ada <ada@example.com>', message: 'second\n\nwith a body' });
  });
  it('a working clone is read in place', async () => {
    expect((await src().resolve({ repoURL: repo.work, revision: 'feature' })).commit.message).toBe('on a branch');
  });
  it('lists every ref with its commit, packed or loose', async () => {
    repo.git('push', '-q', 'origin', 'main:refs/pull/9/head');
    const refs = await src().listRefs(repo.bare);
    expect(refs).toEqual(expect.arrayContaining([{ ref: 'refs/heads/main', oid: second }, { ref: 'refs/heads/feature', oid: expect.any(String) }, { ref: 'refs/pull/9/head', oid: second }]));
    expect((await src().resolve({ repoURL: repo.bare, revision: 'refs/pull/9/head' })).commit.sha).toBe(second);
  });
  it('a ref being written or deleted by a push (its .lock file) hides no other ref', async () => {
    const before = await src().listRefs(repo.bare);
    writeFileSync(join(repo.bare, 'refs', 'heads', 'going.lock'), '');
    try {
      expect(await src().listRefs(repo.bare)).toEqual(before);
    } finally {
      rmSync(join(repo.bare, 'refs', 'heads', 'going.lock'));
    }
  });
  it('a missing branch is RevisionNotFound; a missing repository is Unreachable', async () => {
    await expect(src().resolve({ repoURL: repo.bare, revision: 'nope' })).rejects.toMatchObject({ code: 'RevisionNotFound' });
    await expect(src().resolve({ repoURL: join(dataDir, 'none'), revision: 'main' })).rejects.toMatchObject({ code: 'Unreachable' });
  });
});

describe('reading a tree', () => {
  it('reads files and directories at the commit, recording what was read', async () => {
    const { tree } = await new GitSource({ dataDir }).resolve({ repoURL: repo.bare, revision: 'v1' });
    expect(await tree.readFile('apps/web/deploy.yaml')).toBe('a: 1\n');
    expect((await tree.readDir('apps')).map((e) => e.name)).toEqual(['base', 'web']);
    expect(await tree.stat('apps/web/link.yaml')).toBeUndefined();
    expect([...tree.read]).toEqual(['apps/web/deploy.yaml']);
  });
  it('follows a symlink that stays inside', async () => {
    const { tree } = await new GitSource({ dataDir }).resolve({ repoURL: repo.bare, revision: 'main' });
    expect(await tree.readFile('apps/web/link.yaml')).toBe('b: 2\n');
    expect(await tree.readFile('apps/web/../base/cm.yaml')).toBe('b: 2\n');
  });
  it.each([
    ['apps/web/evil.yaml', /outside the repository/],
    ['apps/web/abs.yaml', /outside the repository/],
    ['../x', /leaves the repository/],
    ['/etc/passwd', /relative to the repository root/],
  ])('%s is an error', async (path, msg) => {
    const { tree } = await new GitSource({ dataDir }).resolve({ repoURL: repo.bare, revision: 'main' });
    await expect(tree.readFile(path)).rejects.toThrow(msg);
  });
  it('a snapshot refuses a tree with a symlink leaving the repository', async () => {
    const { tree } = await new GitSource({ dataDir }).resolve({ repoURL: repo.bare, revision: 'main' });
    await expect(tree.snapshot('apps/web')).rejects.toThrow(/outside the repository/);
    const ok = await (await new GitSource({ dataDir }).resolve({ repoURL: repo.bare, revision: 'v1' })).tree.snapshot('apps');
    expect(ok.list('')).toEqual([{ name: 'base', type: 'dir' }, { name: 'web', type: 'dir' }]);
    expect(ok.read('web/deploy.yaml')).toBe('a: 1\n');
    expect([...ok.touched]).toEqual(['web/deploy.yaml']);
  });
});

describe('http smart protocol (git http-backend)', () => {
  let server: GitHttpServer;
  let url: string;
  beforeAll(async () => {
    server = await startGitHttp(repo.bare, 'ada', 's3cret');
    url = server.url;
  });
  afterAll(() => server.close());

  it('fetches with basic credentials and resolves branches and tags', async () => {
    const src = new GitSource({ dataDir });
    const creds = { username: 'ada', password: 's3cret' };
    expect((await src.resolve({ repoURL: url, revision: 'main', credentials: creds })).commit.sha).toBe(second);
    expect((await src.resolve({ repoURL: url, revision: 'v1', credentials: creds, refresh: true })).commit.sha).toBe(first);
    const { tree } = await src.resolve({ repoURL: url, revision: 'feature', credentials: creds });
    expect(await tree.readFile('apps/web/deploy.yaml')).toBe('a: 3\n');
  });
  it('a new commit arrives on the next fetch; a deleted branch is RevisionNotFound', async () => {
    const src = new GitSource({ dataDir });
    const creds = { token: 's3cret', username: 'ada' };
    await src.resolve({ repoURL: url, revision: 'feature', credentials: creds });
    const third = repo.commit('third', { 'x.yaml': 'x: 1\n' }, 'main');
    expect((await src.resolve({ repoURL: url, revision: 'main', credentials: creds, refresh: true })).commit.sha).toBe(third);
    repo.git('push', '-q', 'origin', '--delete', 'feature');
    await expect(src.resolve({ repoURL: url, revision: 'feature', credentials: creds, refresh: true })).rejects.toMatchObject({ code: 'RevisionNotFound' });
  });
  it('lists the server\'s refs and resolves a pull request ref, which a plain fetch does not bring', async () => {
    const src = new GitSource({ dataDir });
    const creds = { username: 'ada', password: 's3cret' };
    const pr = repo.commit('a pull request', { 'pr.yaml': 'pr: 1\n' }, 'pr-source');
    repo.git('push', '-q', 'origin', 'pr-source:refs/pull/1/head');
    const refs = await src.listRefs(url, creds);
    expect(refs).toEqual(expect.arrayContaining([{ ref: 'refs/pull/1/head', oid: pr }, { ref: 'refs/heads/pr-source', oid: pr }]));
    expect(refs.every((r) => r.ref.startsWith('refs/'))).toBe(true);
    const { tree, commit } = await src.resolve({ repoURL: url, revision: 'refs/pull/1/head', credentials: creds });
    expect(commit.sha).toBe(pr);
    expect(await tree.readFile('pr.yaml')).toBe('pr: 1\n');
    await expect(src.listRefs(url, { username: 'ada', password: 'wrong' })).rejects.toMatchObject({ code: 'AuthFailed' });
  });
  it('bad credentials are AuthFailed; a closed port is Unreachable', async () => {
    const src = new GitSource({ dataDir });
    await expect(src.resolve({ repoURL: url, revision: 'main', credentials: { username: 'ada', password: 'wrong' } })).rejects.toMatchObject({ code: 'AuthFailed' });
    await expect(src.resolve({ repoURL: 'http://127.0.0.1:1/x.git', revision: 'main' })).rejects.toMatchObject({ code: 'Unreachable' });
  });
});

describe('changedPaths', () => {
  it('lists the changed blobs and the trees above them, never an unchanged subtree', async () => {
    const changed = await new GitSource({ dataDir }).changedPaths(repo.bare, first, second);
    expect(changed!.sort()).toEqual(['apps', 'apps/web', 'apps/web/abs.yaml', 'apps/web/deploy.yaml', 'apps/web/evil.yaml', 'apps/web/link.yaml']);
  });
  it('is empty between a commit and itself, undefined for a commit the repository lacks', async () => {
    const src = new GitSource({ dataDir });
    expect(await src.changedPaths(repo.bare, second, second)).toEqual([]);
    expect(await src.changedPaths(repo.bare, first, '0'.repeat(40))).toBeUndefined();
  });
});
