/**
 * The policy library on disk (policies/): one directory per policy, holding `policy.yaml` (the
 * admission policy and its binding) and `tests.yaml` (objects the cases need, and the cases).
 * Loads the policies for `berth up`, and runs the cases offline through the API server's
 * admission plugins (admission/offline.ts) for `berth policy test`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../controlplane/resources/types.js';
import { admit, memoryStore } from './admission/offline.js';

/** The library that ships with berth (policies/ at the repository root). */
export const DEFAULT_POLICY_DIR = fileURLToPath(new URL('../../policies', import.meta.url));

/** One test case of a policy: an object and the verdict it must get. */
export interface PolicyTestCase {
  name: string;
  expect: 'allow' | 'deny';
  /** a fragment of the denial's message */
  message?: string;
  /** the labels the object must have after mutation */
  labels?: Record<string, string>;
  object: KubeObject;
}

/** One directory of the library: its policy objects, the objects its cases need, its cases. */
export interface LibraryPolicy {
  name: string;
  policies: KubeObject[];
  objects: KubeObject[];
  cases: PolicyTestCase[];
}

/** The outcome of one test case. */
export interface PolicyTestResult {
  policy: string;
  case: string;
  expected: 'allow' | 'deny';
  got: 'allow' | 'deny' | 'error';
  passed: boolean;
  /** why it failed, or the denial's message */
  detail: string;
}

function parseFile(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).flatMap((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    const v = d.toJS() as KubeObject | null;
    return v ? [v] : [];
  });
}

/** The library's directories (those holding a policy.yaml), sorted by name. */
export function readPolicyLibrary(dir: string): LibraryPolicy[] {
  if (!existsSync(dir)) throw new Error(`no policy directory ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'policy.yaml')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const testsFile = join(dir, name, 'tests.yaml');
      const tests = existsSync(testsFile) ? ((parseFile(testsFile)[0] ?? {}) as { objects?: KubeObject[]; cases?: PolicyTestCase[] }) : {};
      return { name, policies: parseFile(join(dir, name, 'policy.yaml')), objects: tests.objects ?? [], cases: tests.cases ?? [] };
    });
}

/**
 * The policy and binding objects of the library in `dir` (not the test cases), for the API server
 * to create: ValidatingAdmissionPolicy/MutatingAdmissionPolicy and their bindings.
 */
export function loadPolicyLibrary(dir: string): KubeObject[] {
  return readPolicyLibrary(dir).flatMap((p) => p.policies);
}

/** Runs every test case of the library in `dir` offline, each policy with only its own objects. */
export async function runPolicyTests(dir: string): Promise<PolicyTestResult[]> {
  const results: PolicyTestResult[] = [];
  for (const p of readPolicyLibrary(dir)) {
    const store = memoryStore([...p.policies, ...p.objects]);
    for (const tc of p.cases) {
      const r: PolicyTestResult = { policy: p.name, case: tc.name, expected: tc.expect, got: 'error', passed: false, detail: '' };
      try {
        const v = await admit(store, tc.object);
        r.got = v.allowed ? 'allow' : 'deny';
        r.detail = v.message ?? '';
        if (r.got !== tc.expect) r.detail = `expected ${tc.expect}, got ${r.got}${v.message ? `: ${v.message}` : ''}`;
        else if (tc.message && !(v.message ?? '').includes(tc.message)) r.detail = `message ${JSON.stringify(v.message)} does not contain ${JSON.stringify(tc.message)}`;
        else if (tc.labels && !isDeepStrictEqual(v.object.metadata?.labels ?? {}, tc.labels)) r.detail = `labels ${JSON.stringify(v.object.metadata?.labels ?? {})}, expected ${JSON.stringify(tc.labels)}`;
        else r.passed = true;
      } catch (e) {
        r.detail = (e as Error).message;
      }
      results.push(r);
    }
  }
  return results;
}
