/** Table tests of the path rules: nothing read from a repository leaves it. */
import { describe, expect, it } from 'vitest';
import { joinRepoPath, repoPath, symlinkTarget } from './paths.js';

describe('repoPath', () => {
  it.each([
    ['', ''],
    ['.', ''],
    ['apps/web', 'apps/web'],
    ['apps/web/', 'apps/web'],
    ['./apps//web', 'apps/web'],
    ['apps/../base', 'base'],
  ])('"%s" → "%s"', (p, want) => expect(repoPath(p)).toBe(want));
  it.each(['..', '../x', 'apps/../../x', '/etc/passwd', 'C:\\x', 'a\\..\\..\\b'])('"%s" is refused', (p) => expect(() => repoPath(p)).toThrow(/repository|relative/));
});

describe('joinRepoPath', () => {
  it.each([
    ['apps/web', '../base', 'apps/base'],
    ['apps/web', 'deploy.yaml', 'apps/web/deploy.yaml'],
    ['', 'x.yaml', 'x.yaml'],
  ])('%s + %s → %s', (d, r, want) => expect(joinRepoPath(d, r)).toBe(want));
  it.each([
    ['apps', '../../x'],
    ['apps', '/abs'],
  ])('%s + %s is refused', (d, r) => expect(() => joinRepoPath(d, r)).toThrow());
});

describe('symlinkTarget', () => {
  it.each([
    ['apps/web/link.yaml', '../base/x.yaml', 'apps/base/x.yaml'],
    ['link', 'apps', 'apps'],
  ])('%s → %s resolves to %s', (l, t, want) => expect(symlinkTarget(l, t)).toBe(want));
  it.each([
    ['apps/link', '../../outside'],
    ['link', '/etc/passwd'],
  ])('%s → %s leaves the repository', (l, t) => expect(() => symlinkTarget(l, t)).toThrow(/outside the repository/));
});
