import { describe, expect, it } from 'vitest';
import { fieldElement, parseElement, pathString, serializeElement, type Path, type PathElement } from './fieldpath.js';
import { FieldSet } from './fieldset.js';

const f = fieldElement;
const key = (fields: Record<string, unknown>): PathElement => ({ kind: 'key', fields: Object.keys(fields).sort().map((k) => [k, fields[k]]) });
const value = (v: unknown): PathElement => ({ kind: 'value', value: v });

describe('fieldsV1 encoding', () => {
  // kubernetes.io/docs/reference/using-api/server-side-apply, "Field management" example.
  const docsConfigMap = { 'f:metadata': { 'f:labels': { 'f:test-label': {} } }, 'f:data': { 'f:key': {} } };

  it('decodes the server-side apply docs example', () => {
    const set = FieldSet.fromFieldsV1(docsConfigMap);
    expect(set.paths().map(pathString)).toEqual(['.data.key', '.metadata.labels.test-label']);
    expect(set.toFieldsV1()).toEqual(docsConfigMap);
  });

  it('round-trips a Deployment entry as Kubernetes writes it', () => {
    const encoded = {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"nginx"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
      'f:metadata.finalizers-like': { 'v:"example.com/a"': {} },
    };
    const set = FieldSet.fromFieldsV1(encoded);
    expect(set.has([f('metadata'), f('labels')])).toBe(true);
    expect(set.has([f('spec')])).toBe(false);
    const item = [f('spec'), f('template'), f('spec'), f('containers'), key({ name: 'nginx' })];
    expect(set.has(item)).toBe(true);
    expect(set.has([...item, f('ports'), key({ protocol: 'TCP', containerPort: 80 })])).toBe(true);
    expect(set.has([f('metadata.finalizers-like'), value('example.com/a')])).toBe(true);
    expect(set.toFieldsV1()).toEqual(encoded);
    expect(JSON.stringify(set.toFieldsV1()['f:metadata'])).toBe('{"f:labels":{".":{},"f:app":{}}}');
  });

  it('writes elements in SMD order: fields, keys, values, indexes', () => {
    const set = FieldSet.of([{ kind: 'index', index: 0 }], [value('b')], [value(1)], [key({ name: 'x' })], [f('z')], [f('a')]);
    expect(Object.keys(set.toFieldsV1())).toEqual(['f:a', 'f:z', 'k:{"name":"x"}', 'v:1', 'v:"b"', 'i:0']);
  });

  it('escapes key values as Go does', () => {
    expect(serializeElement(key({ name: 'a<b>&c' }))).toBe('k:{"name":"a\\u003cb\\u003e\\u0026c"}');
    expect(parseElement('k:{"name":"a\\u003cb"}')).toEqual(key({ name: 'a<b' }));
  });

  it('treats null as a leaf, drops unknown element types and rejects malformed keys', () => {
    expect(FieldSet.fromFieldsV1({ 'f:a': null, 'x:future': {} }).paths().map(pathString)).toEqual(['.a']);
    expect(() => FieldSet.fromFieldsV1({ 'f:a': 1 })).toThrow();
    expect(() => FieldSet.fromFieldsV1({ 'k:{bad': {} })).toThrow();
    expect(() => FieldSet.fromFieldsV1({ fx: {} })).toThrow('missing colon');
    expect(FieldSet.fromFieldsV1({}).isEmpty()).toBe(true);
  });

  it('merges entries whose keys name the same element, members and paths below alike', () => {
    const set = FieldSet.fromFieldsV1({ 'f:l': { 'k:{"a":1,"b":2}': { 'f:x': {} }, 'k:{"b":2,"a":1}': { '.': {}, 'f:y': {} } } });
    expect(set.toFieldsV1()).toEqual({ 'f:l': { 'k:{"a":1,"b":2}': { '.': {}, 'f:x': {}, 'f:y': {} } } });
  });

  it('prints paths as conflict messages do', () => {
    const path: Path = [f('spec'), f('containers'), key({ name: 'web' }), f('ports'), key({ containerPort: 80, protocol: 'TCP' }), f('name')];
    expect(pathString(path)).toBe('.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].name');
    expect(pathString([f('metadata'), f('finalizers'), value('a')])).toBe('.metadata.finalizers[="a"]');
  });
});

describe('FieldSet operations', () => {
  const a: Path = [f('spec'), f('replicas')];
  const b: Path = [f('spec'), f('paused')];
  const item: Path = [f('spec'), f('containers'), key({ name: 'web' })];
  const image: Path = [...item, f('image')];

  const names = (s: FieldSet): string[] => s.paths().map(pathString);

  it('union, intersection', () => {
    const s1 = FieldSet.of(a, item, image);
    const s2 = FieldSet.of(b, image);
    expect(names(s1.union(s2))).toEqual(['.spec.paused', '.spec.replicas', '.spec.containers[name="web"]', '.spec.containers[name="web"].image']);
    expect(names(s1.intersection(s2))).toEqual(['.spec.containers[name="web"].image']);
    expect(s1.intersection(FieldSet.of(b)).isEmpty()).toBe(true);
  });

  it('difference keeps what is below a removed member; recursive difference does not', () => {
    const s = FieldSet.of(a, item, image);
    expect(names(s.difference(FieldSet.of(item)))).toEqual(['.spec.replicas', '.spec.containers[name="web"].image']);
    expect(names(s.recursiveDifference(FieldSet.of(item)))).toEqual(['.spec.replicas']);
    expect(names(s.recursiveDifference(FieldSet.of([f('spec')])))).toEqual([]);
    expect(names(s.difference(FieldSet.of(image)))).toEqual(['.spec.replicas', '.spec.containers[name="web"]']);
  });

  it('operations with an empty operand', () => {
    const s = FieldSet.of(a, item, image);
    const empty = new FieldSet();
    const all = names(s);
    for (const r of [s.union(empty), empty.union(s), s.difference(empty), s.recursiveDifference(empty)]) expect(names(r)).toEqual(all);
    for (const r of [empty.difference(s), empty.recursiveDifference(s), s.intersection(empty), empty.intersection(s)]) expect(r.isEmpty()).toBe(true);
    expect(s.difference(s).isEmpty()).toBe(true);
    expect(names(s)).toEqual(all);
  });

  it('equals ignores construction order and leaves operands alone', () => {
    const s1 = FieldSet.of(a, image);
    const s2 = FieldSet.of(image, a);
    expect(s1.equals(s2)).toBe(true);
    s1.union(FieldSet.of(b));
    expect(s1.equals(s2)).toBe(true);
    expect(s1.equals(FieldSet.of(a))).toBe(false);
  });
});
