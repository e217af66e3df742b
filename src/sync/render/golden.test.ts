/**
 * Golden cases: each testdata/<case>/input is rendered and compared, object by object, with
 * testdata/<case>/expected.yaml — produced by `kubectl kustomize` (kustomize v5.5) for the
 * kustomization cases, and the parsed seed manifests for the plain directory.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { render } from './render.js';
import type { FileReader } from './reader.js';

const testdata = join(import.meta.dirname, 'testdata');

/** A FileReader over a directory on disk (the repository root of a case is testdata/). */
export function dirReader(root: string): FileReader {
  return {
    list: (dir) => readdirSync(join(root, dir)).map((name) => ({ name, type: statSync(join(root, dir, name)).isDirectory() ? 'dir' : 'file' })),
    read: (path) => readFileSync(join(root, path), 'utf8'),
  };
}

const key = (o: KubeObject): string => `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
const byKey = (objs: KubeObject[]): Record<string, KubeObject> => Object.fromEntries(objs.map((o) => [key(o), o]));

const cases: Array<{ name: string; path: string }> = [
  { name: 'seed-manifests', path: 'seed-manifests/input' },
  { name: 'seed-kustomized', path: 'seed-kustomized/input' },
  { name: 'generators', path: 'generators/input' },
  { name: 'patches', path: 'patches/input' },
  { name: 'overlay', path: 'overlay/input/prod' },
];

describe('render golden cases', () => {
  it.each(cases)('$name', ({ name, path }) => {
    const { objects, filesRead } = render(dirReader(testdata), { path });
    const expectedText = readFileSync(join(testdata, name, 'expected.yaml'), 'utf8');
    const expected = parseAllDocuments(expectedText).map((d) => d.toJSON() as KubeObject).filter(Boolean);
    expect(byKey(objects.map((o) => o.object))).toEqual(byKey(expected));
    expect(objects).toHaveLength(expected.length);
    for (const f of filesRead) expect(f.startsWith(path.split('/')[0])).toBe(true);
  });

  it('records exactly the files a kustomization read', () => {
    const { filesRead } = render(dirReader(testdata), { path: 'overlay/input/prod' });
    expect(filesRead).toEqual(['overlay/input/base/app.yaml', 'overlay/input/base/kustomization.yaml', 'overlay/input/prod/kustomization.yaml']);
  });

  it('records generator and patch files', () => {
    const { filesRead } = render(dirReader(testdata), { path: 'generators/input' });
    expect(filesRead).toContain('generators/input/config/app.env');
    expect(filesRead).toContain('generators/input/config/tls.key');
  });
});
