import { describe, expect, it } from 'vitest';
import type { SchemaNode } from '../resources/types.js';
import { pruneUnknownFields } from './prune.js';

const str: SchemaNode = { type: 'string' };
const container: SchemaNode = { type: 'object', properties: { name: str, image: str } };
const schema: SchemaNode = {
  type: 'object',
  properties: {
    metadata: { type: 'object', properties: { name: str, labels: { type: 'object', additionalProperties: str } } },
    spec: { type: 'object', properties: { containers: { type: 'array', items: container }, raw: { preserveUnknownFields: true } } },
    data: { type: 'object', additionalProperties: { type: 'object', properties: { a: str } } },
  },
};

describe('pruneUnknownFields', () => {
  it.each<[string, unknown, unknown, string[]]>([
    ['keeps what the schema knows', { metadata: { name: 'x', labels: { a: 'b' } } }, { metadata: { name: 'x', labels: { a: 'b' } } }, []],
    ['drops unknown fields at any depth, naming them', { kind: 'X', metadata: { name: 'x', nmae: 'y' } }, { metadata: { name: 'x' } }, ['kind', 'metadata.nmae']],
    [
      'names list items by index',
      { spec: { containers: [{ name: 'a' }, { name: 'b', imagee: 'n' }] } },
      { spec: { containers: [{ name: 'a' }, { name: 'b' }] } },
      ['spec.containers[1].imagee'],
    ],
    ['walks map values with the value schema', { data: { k: { a: '1', b: '2' } } }, { data: { k: { a: '1' } } }, ['data.k.b']],
    ['leaves preserveUnknownFields nodes alone', { spec: { raw: { any: { thing: 1 } } } }, { spec: { raw: { any: { thing: 1 } } } }, []],
    ['leaves values whose JSON type the schema does not expect', { spec: { containers: 'x' } }, { spec: { containers: 'x' } }, []],
  ])('%s', (_name, input, want, paths) => {
    const obj = structuredClone(input);
    expect(pruneUnknownFields(obj, schema)).toEqual(paths);
    expect(obj).toEqual(want);
  });

  it('prefixes paths with the path given, and keeps everything without a schema', () => {
    const obj = { name: 'x', extra: 1 };
    expect(pruneUnknownFields(obj, container, 'spec.containers[0]')).toEqual(['spec.containers[0].extra']);
    const free = { a: { b: 1 } };
    expect(pruneUnknownFields(free, undefined)).toEqual([]);
    expect(free).toEqual({ a: { b: 1 } });
  });
});
