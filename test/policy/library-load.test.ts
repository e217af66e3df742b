/**
 * loadPolicyLibrary: the objects `berth up` creates from policies/ — every policy with its binding,
 * none of the test objects, and every validating policy compiling cleanly.
 */
import { describe, expect, it } from 'vitest';
import { policyCompileErrors } from '../../src/policy/admission/validating-policy.js';
import { DEFAULT_POLICY_DIR, loadPolicyLibrary, readPolicyLibrary } from '../../src/policy/library.js';

describe('loadPolicyLibrary', () => {
  const objects = loadPolicyLibrary(DEFAULT_POLICY_DIR);
  const names = readPolicyLibrary(DEFAULT_POLICY_DIR).map((p) => p.name);

  it('returns a policy and a binding per library directory, and nothing else', () => {
    expect(names).toContain('require-probes');
    expect(objects).toHaveLength(2 * names.length);
    for (const o of objects) expect(o.apiVersion).toMatch(/^admissionregistration\.k8s\.io\//);
    const policies = objects.filter((o) => !o.kind!.endsWith('Binding'));
    expect(policies.map((o) => o.metadata?.name).sort()).toEqual(names);
    for (const b of objects.filter((o) => o.kind!.endsWith('Binding'))) {
      const policyName = (b.spec as { policyName: string }).policyName;
      expect(policies.find((p) => p.metadata?.name === policyName)?.kind).toBe(b.kind!.replace(/Binding$/, ''));
    }
  });

  it('holds validating policies whose CEL compiles', () => {
    for (const p of objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy')) {
      expect(policyCompileErrors(p.spec as Parameters<typeof policyCompileErrors>[0]), p.metadata?.name).toEqual([]);
    }
  });

  it('refuses a directory that does not exist', () => {
    expect(() => loadPolicyLibrary('/nonexistent/policies')).toThrow(/no policy directory/);
  });
});
