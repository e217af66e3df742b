/** The per-repository webhook record: matched Applications timed to Synced, and why nothing happened. */
import { describe, expect, it } from 'vitest';
import { explainNothing, WebhookLog } from './repo-status.js';

describe('WebhookLog', () => {
  it('times each matched Application from the webhook to Synced at that commit, once', () => {
    const log = new WebhookLog();
    log.received({ repoURL: '/srv/repos/demo.git/', ref: 'refs/heads/main', commit: 'abc', result: 'matched', message: 'syncing', matched: [{ app: 'default/a' }, { app: 'default/b' }] }, 1_000);
    log.synced('default/a', 'old', 1_200);
    log.synced('default/a', 'abc', 1_850);
    log.synced('default/a', 'abc', 9_000);
    expect(log.get('/srv/repos/demo')!.matched).toEqual([{ app: 'default/a', syncedAfterMs: 850 }, { app: 'default/b' }]);
  });
  it('keeps the last webhook per repository', () => {
    const log = new WebhookLog();
    log.received({ repoURL: 'https://Git.example.com/o/r.git', commit: '1', result: 'nothing', message: 'x', matched: [] }, 1);
    log.received({ repoURL: 'https://git.example.com/o/r', commit: '2', result: 'nothing', message: 'y', matched: [] }, 2);
    expect(log.all().map((r) => [r.repo, r.commit])).toEqual([['git.example.com/o/r', '2']]);
  });
});

describe('explainNothing', () => {
  const apps = [
    { key: 'default/web', repoURL: 'https://git.example.com/o/r.git', targetRevision: 'release' },
    { key: 'ops/db', repoURL: 'https://git.example.com/o/r', targetRevision: 'v1' },
  ];
  it.each([
    ['another repository', 'https://git.example.com/o/other', 'refs/heads/main', 'no Application tracks git.example.com/o/other'],
    ['another branch', 'https://git.example.com/o/r', 'refs/heads/main', 'the Applications tracking git.example.com/o/r follow other revisions than refs/heads/main: default/web (release), ops/db (v1)'],
  ])('%s', (_n, url, ref, want) => expect(explainNothing(apps, url, ref)).toBe(want));
});
