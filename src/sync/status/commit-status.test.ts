/** Commit-status requests for each format (table), and posting to a real local HTTP server: retries, final 4xx, time bound. */
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../../../test/harness/http-receiver.js';
import { postStatus, repositoryOf, statusRequest, type CommitStatus, type StatusTarget } from './commit-status.js';

const SHA = 'a'.repeat(40);
const status: CommitStatus = { state: 'success', sha: SHA, context: 'berth/sync/default/web', description: 'applied 2', targetUrl: 'https://berth.example/apps/web', kind: 'sync', repoURL: 'https://github.com/acme/shop.git' };

describe('repositoryOf', () => {
  it.each([
    ['https://github.com/acme/shop.git', 'acme/shop'],
    ['https://github.com/acme/shop', 'acme/shop'],
    ['https://gitea.example/org/app/', 'org/app'],
    ['git@github.com:acme/shop.git', 'acme/shop'],
    ['ssh://git@gitea.example:2222/org/app.git', 'org/app'],
    ['https://gitlab.example/group/sub/app.git', 'sub/app'],
    ['/srv/repos/demo.git', undefined],
    ['https://host/only', undefined],
  ])('%s → %s', (url, want) => expect(repositoryOf(url)).toBe(want));
});

describe('statusRequest', () => {
  it.each<{ name: string; target: StatusTarget; url: string; auth?: string; body: Record<string, unknown> }>([
    {
      name: 'generic, no token',
      target: { url: 'http://hooks.example/berth', format: 'generic' },
      url: 'http://hooks.example/berth',
      body: { state: 'success', sha: SHA, context: 'berth/sync/default/web', description: 'applied 2', targetUrl: 'https://berth.example/apps/web', kind: 'sync', repoURL: 'https://github.com/acme/shop.git' },
    },
    {
      name: 'generic with a token',
      target: { url: 'http://hooks.example/berth', format: 'generic', token: 's3cret' },
      url: 'http://hooks.example/berth',
      auth: 'Bearer s3cret',
      body: { state: 'success', sha: SHA, context: 'berth/sync/default/web', description: 'applied 2', targetUrl: 'https://berth.example/apps/web', kind: 'sync', repoURL: 'https://github.com/acme/shop.git' },
    },
    {
      name: 'github',
      target: { url: 'https://api.github.com/', format: 'github', token: 'ghp', repository: 'acme/shop' },
      url: `https://api.github.com/repos/acme/shop/statuses/${SHA}`,
      auth: 'Bearer ghp',
      body: { state: 'success', target_url: 'https://berth.example/apps/web', description: 'applied 2', context: 'berth/sync/default/web' },
    },
    {
      name: 'gitea',
      target: { url: 'https://gitea.example/api/v1', format: 'gitea', token: 'tea', repository: 'org/app' },
      url: `https://gitea.example/api/v1/repos/org/app/statuses/${SHA}`,
      auth: 'token tea',
      body: { state: 'success', target_url: 'https://berth.example/apps/web', description: 'applied 2', context: 'berth/sync/default/web' },
    },
  ])('$name', ({ target, url, auth, body }) => {
    const r = statusRequest(target, status);
    expect(r.url).toBe(url);
    expect(r.headers.authorization).toBe(auth);
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual(body);
  });

  it('cuts a GitHub description to one line of 140 characters', () => {
    const r = statusRequest({ url: 'https://api.github.com', format: 'github', repository: 'a/b' }, { ...status, description: `${'x'.repeat(200)}\nsecond line` });
    const d = (JSON.parse(r.body) as { description: string }).description;
    expect(d).toHaveLength(140);
    expect(d.endsWith('…')).toBe(true);
  });

  it.each([undefined, 'no-slash', 'a/b/c'])('refuses a github target with repository %s', (repository) => {
    expect(() => statusRequest({ url: 'https://api.github.com', format: 'github', repository }, status)).toThrow(/owner\/repo/);
  });
});

describe('postStatus against a local HTTP server', () => {
  let rx: HttpReceiver | undefined;
  afterEach(async () => rx?.close());

  it('delivers the generic payload once on a 2xx', async () => {
    rx = await startHttpReceiver();
    const r = await postStatus({ url: `${rx.url}/hook`, format: 'generic' }, status);
    expect(r).toEqual({ ok: true, attempts: 1, status: 200 });
    expect(rx.requests.map((q) => [q.method, q.url, JSON.parse(q.body).state])).toEqual([['POST', '/hook', 'success']]);
  });

  it('retries 5xx and 429, then succeeds', async () => {
    rx = await startHttpReceiver((_, n) => [503, 429, 201][n] ?? 200);
    const r = await postStatus({ url: rx.url, format: 'github', repository: 'acme/shop' }, status, { backoffMs: 10 });
    expect(r).toEqual({ ok: true, attempts: 3, status: 201 });
    expect(rx.requests.map((q) => q.url)).toEqual(Array(3).fill(`/repos/acme/shop/statuses/${SHA}`));
  });

  it('does not retry a 4xx and reports it', async () => {
    rx = await startHttpReceiver(() => 401);
    const r = await postStatus({ url: rx.url, format: 'generic' }, status, { backoffMs: 10 });
    expect(r).toMatchObject({ ok: false, attempts: 1, status: 401 });
    expect(r.error).toMatch(/answered 401/);
  });

  it('gives up after the attempts when the server never answers, without throwing', async () => {
    rx = await startHttpReceiver(() => 'hang');
    const r = await postStatus({ url: rx.url, format: 'generic' }, status, { attempts: 2, timeoutMs: 200, backoffMs: 10 });
    expect(r).toMatchObject({ ok: false, attempts: 2 });
    expect(r.error).toMatch(/no answer within 200 ms/);
    expect(rx.requests).toHaveLength(2);
  });

  it('reports a refused connection and a bad target without throwing', async () => {
    rx = await startHttpReceiver();
    const url = rx.url;
    await rx.close();
    rx = undefined;
    expect(await postStatus({ url, format: 'generic' }, status, { attempts: 2, backoffMs: 10 })).toMatchObject({ ok: false, attempts: 2 });
    expect(await postStatus({ url, format: 'gitea' }, status)).toMatchObject({ ok: false, attempts: 0, error: expect.stringMatching(/owner\/repo/) });
  });
});
