import { describe, expect, it } from 'vitest';
import { ConfigError } from './container-env.js';
import { parseGitImage } from './git-image.js';

describe('parseGitImage', () => {
  it.each([
    ['git.berth.local/app@main', { repo: 'app', revision: 'main' }],
    ['git.berth.local/app', { repo: 'app', revision: 'main' }],
    ['git.berth.local/my-app.v2@feature/login', { repo: 'my-app.v2', revision: 'feature/login' }],
    ['git.berth.local/app@3f2c1d9', { repo: 'app', revision: '3f2c1d9' }],
    ['busybox', undefined],
    ['registry.example.com/app@sha256:abc', undefined],
    [undefined, undefined],
  ])('%s', (image, want) => {
    expect(parseGitImage(image)).toEqual(want);
  });

  it.each(['git.berth.local/', 'git.berth.local/app.git@main', 'git.berth.local/a/b@main', 'git.berth.local/app@', 'git.berth.local/app@../x'])('refuses %s', (image) => {
    expect(() => parseGitImage(image)).toThrow(ConfigError);
    expect(() => parseGitImage(image)).toThrow(/write git.berth.local\/NAME@REVISION/);
  });
});
