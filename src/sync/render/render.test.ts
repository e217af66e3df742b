/** Table tests for rendering from an in-memory tree: directory mode, kustomizations, and every error with its position. */
import { describe, expect, it } from 'vitest';
import { RenderError } from './errors.js';
import { memoryReader } from './reader.js';
import { render, type RenderOptions } from './render.js';

const cm = (name: string, extra = '') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;

describe('directory mode', () => {
  const tree = memoryReader({
    'apps/web/a.yaml': `${cm('a')}---\n${cm('b')}`,
    'apps/web/b.json': JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }),
    'apps/web/list.yml': `apiVersion: v1\nkind: List\nitems:\n- ${cm('d').replace(/\n(?=.)/g, '\n  ')}- ${cm('e').replace(/\n(?=.)/g, '\n  ')}`,
    'apps/web/README.md': '# not a manifest',
    'apps/web/sub/f.yaml': cm('f'),
    'apps/web/sub/skip.yaml': cm('g'),
    'apps/other/x.yaml': cm('x'),
  });
  const cases: Array<[string, RenderOptions, string[], string[]]> = [
    ['one directory, YAML, JSON and a List', { path: 'apps/web' }, ['a', 'b', 'c', 'd', 'e'], ['apps/web/a.yaml', 'apps/web/b.json', 'apps/web/list.yml']],
    ['recursive', { path: 'apps/web', recurse: true }, ['a', 'b', 'c', 'd', 'e', 'f', 'g'], ['apps/web/a.yaml', 'apps/web/b.json', 'apps/web/list.yml', 'apps/web/sub/f.yaml', 'apps/web/sub/skip.yaml']],
    ['include by base name', { path: 'apps/web', recurse: true, include: ['*.{yml,json}'] }, ['c', 'd', 'e'], ['apps/web/b.json', 'apps/web/list.yml']],
    ['exclude by relative path', { path: 'apps/web', recurse: true, exclude: ['sub/skip.yaml'] }, ['a', 'b', 'c', 'd', 'e', 'f'], ['apps/web/a.yaml', 'apps/web/b.json', 'apps/web/list.yml', 'apps/web/sub/f.yaml']],
    ['** across directories', { path: 'apps', recurse: true, include: ['**/s*.yaml'] }, ['g'], ['apps/web/sub/skip.yaml']],
    ['path with ./ and a trailing slash', { path: './apps/other/' }, ['x'], ['apps/other/x.yaml']],
  ];
  it.each(cases)('%s', (_name, opts, names, filesRead) => {
    const result = render(tree, opts);
    expect(result.objects.map((o) => o.object.metadata?.name)).toEqual(names);
    expect(result.filesRead).toEqual(filesRead);
  });

  it('records where each object starts', () => {
    const { objects } = render(tree, { path: 'apps/web' });
    expect(objects.map((o) => `${o.source.file}:${o.source.line}`)).toEqual(['apps/web/a.yaml:1', 'apps/web/a.yaml:6', 'apps/web/b.json:1', 'apps/web/list.yml:4', 'apps/web/list.yml:8']);
  });
});

describe('errors say which file and line, and what to do', () => {
  const cases: Array<[string, Record<string, string>, RenderOptions, { file: string; line?: number; column?: number; message: RegExp }]> = [
    ['bad YAML', { 'app/a.yaml': `${cm('a')}---\napiVersion: v1\nkind: [ConfigMap\n` }, { path: 'app' }, { file: 'app/a.yaml', line: 8, message: /invalid YAML/ }],
    ['bad indentation', { 'app/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n   labels: x\n' }, { path: 'app' }, { file: 'app/a.yaml', line: 4, message: /invalid YAML/ }],
    ['no apiVersion', { 'app/a.yaml': `${cm('a')}---\nkind: ConfigMap\nmetadata:\n  name: b\n` }, { path: 'app' }, { file: 'app/a.yaml', line: 6, message: /no apiVersion/ }],
    ['no kind', { 'app/a.yaml': 'apiVersion: v1\nmetadata:\n  name: b\n' }, { path: 'app' }, { file: 'app/a.yaml', line: 1, message: /no kind/ }],
    ['no name', { 'app/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: b-\n' }, { path: 'app' }, { file: 'app/a.yaml', line: 1, message: /no metadata.name/ }],
    ['a scalar document', { 'app/a.yaml': 'just text\n' }, { path: 'app' }, { file: 'app/a.yaml', line: 1, message: /must be a mapping/ }],
    ['duplicate across files', { 'app/a.yaml': cm('a'), 'app/b.yaml': `${cm('z')}---\n${cm('a')}` }, { path: 'app' }, { file: 'app/b.yaml', line: 6, message: /also defined at app\/a.yaml:1/ }],
    ['path leaves the root', { 'app/a.yaml': cm('a') }, { path: '../etc' }, { file: '../etc', message: /leaves the repository/ }],
    ['path does not exist', { 'app/a.yaml': cm('a') }, { path: 'nope' }, { file: 'nope', message: /cannot list/ }],
    ['resource leaves the root', { 'k/kustomization.yaml': 'resources:\n- ../../x.yaml\n' }, { path: 'k' }, { file: 'k/kustomization.yaml', line: 2, message: /leaves the repository/ }],
    ['resource outside the kustomization directory', { 'k/kustomization.yaml': 'resources:\n- ../x.yaml\n', 'x.yaml': cm('x') }, { path: 'k' }, { file: 'k/kustomization.yaml', line: 2, message: /not in or below k/ }],
    ['unsupported kustomization field', { 'k/kustomization.yaml': 'resources: []\nhelmCharts:\n- name: x\n' }, { path: 'k' }, { file: 'k/kustomization.yaml', line: 2, message: /field "helmCharts" is not supported/ }],
    ['remote resource', { 'k/kustomization.yaml': 'resources:\n- https://github.com/x/y//base\n' }, { path: 'k' }, { file: 'k/kustomization.yaml', line: 2, message: /remote resource/ }],
    ['missing resource', { 'k/kustomization.yaml': 'resources:\n- a.yaml\n- gone.yaml\n', 'k/a.yaml': cm('a') }, { path: 'k' }, { file: 'k/kustomization.yaml', line: 3, message: /gone.yaml does not exist/ }],
    ['directory without kustomization', { 'k/kustomization.yaml': 'resources:\n- sub\n', 'k/sub/a.yaml': cm('a') }, { path: 'k' }, { file: 'k/sub', message: /no kustomization.yaml/ }],
    ['kustomization cycle', { 'k/kustomization.yaml': 'resources:\n- ../j\n', 'j/kustomization.yaml': 'resources:\n- ../k\n' }, { path: 'k' }, { file: 'k/kustomization.yaml', message: /include each other/ }],
    ['patch target not found', { 'k/kustomization.yaml': `resources:\n- a.yaml\npatches:\n- patch: |-\n    ${cm('b').replace(/\n/g, '\n    ')}\n`, 'k/a.yaml': cm('a') }, { path: 'k' }, { file: 'k/kustomization.yaml', line: 4, message: /ConfigMap b not found/ }],
    ['JSON patch that does not apply', { 'k/kustomization.yaml': 'resources:\n- a.yaml\npatches:\n- target: {kind: ConfigMap}\n  patch: \'[{"op": "replace", "path": "/data/x", "value": "1"}]\'\n', 'k/a.yaml': cm('a') }, { path: 'k' }, { file: 'k/kustomization.yaml', line: 4, message: /does not apply/ }],
    ['unsupported generator behavior', { 'k/kustomization.yaml': 'configMapGenerator:\n- name: x\n  behavior: merge\n' }, { path: 'k' }, { file: 'k/kustomization.yaml', line: 2, message: /behavior "merge" is not supported/ }],
    ['bad env file line', { 'k/kustomization.yaml': 'configMapGenerator:\n- name: x\n  envs: [a.env]\n', 'k/a.env': 'A=1\nBROKEN\n' }, { path: 'k' }, { file: 'k/a.env', line: 2, message: /not KEY=VALUE/ }],
    ['nested kustomization in directory mode', { 'app/a.yaml': cm('a'), 'app/sub/kustomization.yaml': 'resources: []\n' }, { path: 'app', recurse: true }, { file: 'app/sub/kustomization.yaml', message: /not built/ }],
  ];
  it.each(cases)('%s', (_name, files, opts, want) => {
    let err: unknown;
    try {
      render(memoryReader(files), opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RenderError);
    const r = err as RenderError;
    expect(r.file).toBe(want.file);
    if (want.line !== undefined) expect(r.line).toBe(want.line);
    expect(r.message).toMatch(want.message);
    expect(r.hint).not.toBe('');
  });

  it('bad YAML carries the column', () => {
    const err = (() => {
      try {
        render(memoryReader({ 'a.yaml': 'a: b\n- c\n' }), { path: '' });
      } catch (e) {
        return e as RenderError;
      }
    })();
    expect(err?.line).toBe(2);
    expect(err?.column).toBeGreaterThan(0);
    expect(err?.message).toMatch(/^a\.yaml:2:\d+: invalid YAML/);
  });
});

describe('kustomizations', () => {
  it('a plain Application never reads a kustomization it does not use', () => {
    const { filesRead } = render(memoryReader({ 'a/x.yaml': cm('x'), 'b/kustomization.yaml': 'resources: []\n' }), { path: 'a' });
    expect(filesRead).toEqual(['a/x.yaml']);
  });

  it('a strategic merge patch can delete, and the patch name does not rename its target', () => {
    const files = {
      'k/kustomization.yaml': 'resources:\n- a.yaml\npatches:\n- target:\n    kind: ConfigMap\n    name: a\n  patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: other\n    data:\n      k: v\n',
      'k/a.yaml': `${cm('a')}---\n${cm('b')}`,
    };
    const { objects } = render(memoryReader(files), { path: 'k' });
    expect(objects.map((o) => o.object)).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'v' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } },
    ]);
  });

  it('generated objects point at the generator entry', () => {
    const { objects } = render(memoryReader({ 'k/kustomization.yaml': 'resources: []\nconfigMapGenerator:\n- name: x\n  literals: [a=b]\n' }), { path: 'k' });
    expect(objects[0].source).toEqual({ file: 'k/kustomization.yaml', line: 3 });
    expect(objects[0].object.metadata?.name).toMatch(/^x-[a-z0-9]{10}$/);
  });
});
