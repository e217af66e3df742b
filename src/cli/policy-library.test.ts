import { describe, expect, it } from 'vitest';
import { libraryObjects } from './policy-library.js';

describe('libraryObjects', () => {
  it('off installs nothing', () => {
    expect(libraryObjects('off')).toEqual([]);
  });

  it('warn binds every validating policy in Warn mode and leaves the mutating ones out', () => {
    const objs = libraryObjects('warn');
    expect(objs.length).toBeGreaterThan(0);
    expect(objs.some((o) => o.kind?.startsWith('MutatingAdmissionPolicy'))).toBe(false);
    const bindings = objs.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
    expect(bindings.length).toBe(objs.filter((o) => o.kind === 'ValidatingAdmissionPolicy').length);
    for (const b of bindings) expect((b.spec as { validationActions: string[] }).validationActions).toEqual(['Warn']);
  });

  it('enforce keeps each binding as written, mutating policies included', () => {
    const objs = libraryObjects('enforce');
    expect(objs.some((o) => o.kind === 'MutatingAdmissionPolicy')).toBe(true);
    expect(objs.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding').some((b) => (b.spec as { validationActions?: string[] }).validationActions?.includes('Deny'))).toBe(true);
  });
});
