/** Table tests of what counts as a change to an Application's render inputs. */
import { describe, expect, it } from 'vitest';
import { memoryReader } from '../render/reader.js';
import { render } from '../render/index.js';
import { recordingReader, touches } from './render-inputs.js';

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\n`;
const repo = {
  'apps/web/cm.yaml': cm('web'),
  'apps/web/README.md': 'docs',
  'apps/web/sub/x.yaml': cm('x'),
  'apps/api/cm.yaml': cm('api'),
  'apps/kus/kustomization.yaml': 'resources: [../../base]\n',
  'apps/kus/notes.txt': 'n',
  'base/kustomization.yaml': 'resources: [cm.yaml]\n',
  'base/cm.yaml': cm('base'),
  'base/other.yaml': cm('other'),
};

describe('recordingReader', () => {
  it('records a directory-mode render as its directories only', () => {
    const r = recordingReader(memoryReader(repo));
    render(r, { path: 'apps/web' });
    expect(r.inputs()).toEqual(['apps/web/']);
  });
  it('records recursion into subdirectories', () => {
    const r = recordingReader(memoryReader(repo));
    render(r, { path: 'apps/web', recurse: true });
    expect(r.inputs()).toEqual(['apps/web/', 'apps/web/sub/']);
  });
  it('records a kustomization and the kustomization directories it uses', () => {
    const r = recordingReader(memoryReader(repo));
    render(r, { path: 'apps/kus' });
    // base is stat'ed (is it a file or a kustomization directory?) and listed
    expect(r.inputs()).toEqual(['apps/kus/', 'base', 'base/']);
  });
});

describe('touches', () => {
  const cases: [string, string[], string[], boolean][] = [
    ['a manifest in the directory', ['apps/web/'], ['apps/web', 'apps/web/cm.yaml'], true],
    ['a new file next to the manifests', ['apps/web/'], ['apps/web', 'apps/web/new.yaml'], true],
    ['a new subdirectory (it is an entry of a listed directory)', ['apps/web/'], ['apps/web', 'apps/web/sub'], true],
    ['another application', ['apps/web/'], ['apps', 'apps/api', 'apps/api/cm.yaml'], false],
    ['a file below an unlisted subdirectory', ['apps/web/'], ['apps/web/sub/x.yaml'], false],
    ['a file read outside any listed directory', ['apps/kus/', 'lib/lib.yaml'], ['lib', 'lib/lib.yaml'], true],
    ['a sibling of a file read outside any listed directory', ['apps/kus/', 'lib/lib.yaml'], ['lib', 'lib/unrelated.yaml'], false],
    ['the repository root listed (path "")', ['/'], ['x.yaml'], true],
    ['nothing changed', ['apps/web/'], [], false],
  ];
  it.each(cases)('%s', (_name, inputs, changed, want) => {
    expect(touches(inputs, changed)).toBe(want);
  });
});
