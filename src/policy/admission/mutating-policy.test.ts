import { describe, expect, it } from 'vitest';
import { desugarConstruction, mergeApplyConfiguration } from './mutating-policy.js';

describe('desugarConstruction', () => {
  const cases: [string, string][] = [
    ['Object{spec: Object.spec{replicas: 3}}', "{'spec': {'replicas': 3}}"],
    ['[JSONPatch{op: "add", path: "/a", value: object.x}]', `[{'op': "add", 'path': "/a", 'value': object.x}]`],
    ['Object{metadata: Object.metadata{labels: {"a": "Object{x: 1}"}}}', `{'metadata': {'labels': {"a": "Object{x: 1}"}}}`],
    ["{'plain': 1}", "{'plain': 1}"],
  ];
  for (const [src, want] of cases) it(src, () => expect(desugarConstruction(src)).toBe(want));
});

describe('mergeApplyConfiguration', () => {
  it('merges maps, replaces lists and scalars, removes on null', () => {
    const o = { metadata: { labels: { a: '1' } }, spec: { list: [1, 2], gone: true } };
    mergeApplyConfiguration(o, { metadata: { labels: { b: '2' } }, spec: { list: [3], gone: null } });
    expect(o).toEqual({ metadata: { labels: { a: '1', b: '2' } }, spec: { list: [3] } });
  });
});
