/** Table tests of push webhook verification, parsing and repository matching. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalizeRepoURL, parsePush, refMatches, verifyPush } from './push.js';

const body = Buffer.from('{"ref":"refs/heads/main"}');
const hex = createHmac('sha256', 's3cret').update(body).digest('hex');

describe('verifyPush', () => {
  it.each([
    ['GitHub signature', { 'x-hub-signature-256': `sha256=${hex}` }, true],
    ['GitHub wrong signature', { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, false],
    ['Gitea signature', { 'x-gitea-signature': hex }, true],
    ['Forgejo signature', { 'x-forgejo-signature': hex }, true],
    ['GitLab token', { 'x-gitlab-token': 's3cret' }, true],
    ['GitLab wrong token', { 'x-gitlab-token': 'nope' }, false],
    ['bearer token', { authorization: 'Bearer s3cret' }, true],
    ['nothing', {}, false],
  ])('%s', (_n, headers, want) => expect(verifyPush(headers, body, 's3cret')).toBe(want));
});

describe('parsePush', () => {
  it('GitHub / Gitea', () => expect(parsePush({ ref: 'refs/heads/main', after: 'abc', repository: { clone_url: 'https://github.com/a/b.git', html_url: 'https://github.com/a/b' } })).toEqual({ ref: 'refs/heads/main', after: 'abc', repoURLs: ['https://github.com/a/b.git', 'https://github.com/a/b'] }));
  it('GitLab', () => expect(parsePush({ ref: 'refs/heads/x', project: { git_http_url: 'https://gitlab.com/a/b.git' } }).repoURLs).toEqual(['https://gitlab.com/a/b.git']));
});

describe('normalizeRepoURL', () => {
  it.each([
    ['https://GitHub.com/a/b.git', 'github.com/a/b'],
    ['https://user:tok@github.com/a/b/', 'github.com/a/b'],
    ['git@github.com:a/b.git', 'github.com/a/b'],
    ['/srv/repos/web.git', '/srv/repos/web'],
    ['file:///srv/repos/web.git/', '/srv/repos/web'],
  ])('%s → %s', (u, want) => expect(normalizeRepoURL(u)).toBe(want));
});

describe('refMatches', () => {
  it.each([
    ['refs/heads/main', 'main', true],
    ['refs/heads/dev', 'main', false],
    ['refs/tags/v1', 'v1', true],
    ['refs/heads/dev', undefined, true],
    [undefined, 'main', true],
  ])('%s vs %s', (ref, rev, want) => expect(refMatches(ref, rev)).toBe(want));
});
