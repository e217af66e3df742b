import { describe, expect, it } from 'vitest';
import { previewName, refLabelValue, refMatcher, revisionOf, shortRef } from './refs.js';

describe('refMatcher', () => {
  it.each([
    [{ branches: ['pr/*'] }, 'refs/heads/pr/1', true],
    [{ branches: ['pr/*'] }, 'refs/heads/pr/a/b', false],
    [{ branches: ['feature/**'] }, 'refs/heads/feature/a/b', true],
    [{ branches: ['pr/*'] }, 'refs/heads/main', false],
    [{ branches: ['pr/*'] }, 'refs/tags/pr/1', false],
    [{ branches: ['main'] }, 'refs/heads/main', true],
    [{ branches: ['main'] }, 'refs/heads/x/main', false],
    [{ refs: ['refs/pull/*/head'] }, 'refs/pull/12/head', true],
    [{ refs: ['refs/pull/*/head'] }, 'refs/pull/12/merge', false],
    [{ refs: ['refs/merge-requests/*/head'] }, 'refs/merge-requests/3/head', true],
    [{ branches: ['pr/*'], refs: ['refs/pull/*/head'] }, 'refs/pull/7/head', true],
    [{ branches: ['pr/*'], refs: ['refs/pull/*/head'] }, 'refs/heads/pr/7', true],
    [{}, 'refs/heads/pr/1', false],
  ])('%j matches %s: %s', (sel, ref, want) => expect(refMatcher(sel)(ref)).toBe(want));
});

describe('shortRef and revisionOf', () => {
  it.each([
    ['refs/heads/pr/1', 'pr/1', 'pr/1'],
    ['refs/pull/12/head', 'pull/12/head', 'refs/pull/12/head'],
    ['refs/merge-requests/3/head', 'merge-requests/3/head', 'refs/merge-requests/3/head'],
  ])('%s → %s, follows %s', (ref, short, rev) => {
    expect(shortRef(ref)).toBe(short);
    expect(revisionOf(ref)).toBe(rev);
  });
});

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('previewName', () => {
  const name = (ref: string, prefix = 'web-', maxLength?: number, set = 'default/web') => previewName({ set, ref, prefix, maxLength });
  it.each([
    ['refs/heads/pr/Foo_Bar', /^web-pr-foo-bar-[0-9a-f]{8}$/],
    ['refs/heads/pr/foo-bar', /^web-pr-foo-bar-[0-9a-f]{8}$/],
    ['refs/pull/12/head', /^web-pull-12-head-[0-9a-f]{8}$/],
    ['refs/heads/feature/ÜBER--cool..x', /^web-feature-ber-cool-x-[0-9a-f]{8}$/],
    ['refs/heads/___', /^web-[0-9a-f]{8}$/],
  ])('%s → %s, a DNS-1123 label', (ref, re) => {
    expect(name(ref)).toMatch(re);
    expect(name(ref)).toMatch(DNS_LABEL);
  });
  it('refs that sanitise alike get different names', () => {
    expect(name('refs/heads/pr/Foo_Bar')).not.toBe(name('refs/heads/pr/foo-bar'));
    expect(name('refs/heads/pr/Foo_Bar').slice(0, -8)).toBe(name('refs/heads/pr/foo-bar').slice(0, -8));
  });
  it('is stable, and differs per PreviewSet', () => {
    expect(name('refs/heads/pr/1')).toBe(name('refs/heads/pr/1'));
    expect(name('refs/heads/pr/1', 'web-', 63, 'other/web')).not.toBe(name('refs/heads/pr/1'));
  });
  it('cuts the ref, never the hash, to maxLength', () => {
    const long = `refs/heads/pr/${'a'.repeat(100)}`;
    for (const max of [63, 54, 20]) {
      const n = name(long, 'preview-of-the-web-app-', max);
      expect(n.length).toBeLessThanOrEqual(max);
      expect(n).toMatch(DNS_LABEL);
      expect(n.slice(-8)).toBe(name(long).slice(-8));
    }
    expect(name(long, '', 63)).toHaveLength(63);
  });
  it('an empty prefix leaves just the ref and the hash', () => expect(name('refs/heads/pr/1', '')).toMatch(/^pr-1-[0-9a-f]{8}$/));
});

describe('refLabelValue', () => {
  it.each([
    ['refs/heads/pr/Foo_Bar', 'pr-Foo_Bar'],
    ['refs/pull/12/head', 'pull-12-head'],
    ['refs/heads/-x-', 'x'],
    [`refs/heads/${'b'.repeat(70)}`, 'b'.repeat(63)],
  ])('%s → %s', (ref, want) => expect(refLabelValue(ref)).toBe(want));
});
