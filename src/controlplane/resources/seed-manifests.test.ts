import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { registry } from './registry.js';
import type { KubeObject } from './types.js';
import { validateObject } from './validation.js';
import { SEED_MANIFESTS } from '../../../test/harness/fixtures.js';

const dir = SEED_MANIFESTS;
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('seed manifests', () => {
  it('are all there', () => expect(files.length).toBeGreaterThan(10));

  it.each(files)('%s validates cleanly after defaults', (file) => {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const obj = doc.toJSON() as KubeObject;
      const type = registry.findKind(obj.apiVersion!, obj.kind!);
      expect(type, `${obj.apiVersion} ${obj.kind}`).toBeDefined();
      if (type!.namespaced) obj.metadata!.namespace = 'default';
      type!.defaults(obj);
      expect(validateObject(type!, obj)).toEqual({ causes: [], unknownFields: [] });
    }
  });
});
