/**
 * Every policy in policies/ against its test cases, through the plugins the API server runs
 * (offline store). Each policy must have a denied case for each of its validations.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { admit, memoryStore } from '../../src/policy/admission/offline.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';

const ROOT = join(import.meta.dirname, '../../policies');
const dirs = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

interface Case {
  name: string;
  expect: 'allow' | 'deny';
  message?: string;
  labels?: Record<string, string>;
  object: KubeObject;
}

for (const dir of dirs) {
  describe(`policies/${dir}`, () => {
    const policyDocs = parseAllDocuments(readFileSync(join(ROOT, dir, 'policy.yaml'), 'utf8')).map((d) => d.toJS() as KubeObject);
    const tests = parseAllDocuments(readFileSync(join(ROOT, dir, 'tests.yaml'), 'utf8'))[0].toJS() as { objects?: KubeObject[]; cases: Case[] };
    const store = memoryStore([...policyDocs, ...(tests.objects ?? [])]);
    for (const tc of tests.cases) {
      it(tc.name, async () => {
        const v = await admit(store, tc.object);
        expect(v.allowed ? 'allow' : 'deny', v.message).toBe(tc.expect);
        if (tc.message) expect(v.message).toContain(tc.message);
        if (tc.labels) expect(v.object.metadata?.labels).toEqual(tc.labels);
      });
    }
    it('denies at least once per validation', () => {
      const validations = policyDocs.flatMap((d) => ((d.spec as { validations?: unknown[] } | undefined)?.validations ?? []).length);
      const denied = tests.cases.filter((c) => c.expect === 'deny').length;
      expect(denied).toBeGreaterThanOrEqual(validations.reduce((a, b) => a + b, 0));
    });
  });
}
