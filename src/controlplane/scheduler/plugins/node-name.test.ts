import { describe, expect, it } from 'vitest';
import { makeNode, makePod, makeSnapshot, runFilter } from '../testing.js';
import { nodeName } from './node-name.js';

describe('NodeName', () => {
  const snap = makeSnapshot([makeNode({ name: 'a' }), makeNode({ name: 'b' })]);
  it.each([
    ['no nodeName: every node', makePod(), { a: 'ok', b: 'ok' }],
    ['nodeName b: only b', makePod({ spec: { containers: [], nodeName: 'b' } }), { a: "node(s) didn't match the requested node name", b: 'ok' }],
    ['nodeName of a missing node: none', makePod({ spec: { containers: [], nodeName: 'z' } }), { a: "node(s) didn't match the requested node name", b: "node(s) didn't match the requested node name" }],
  ])('%s', (_name, pod, want) => {
    expect(runFilter(nodeName(), pod, snap)).toEqual(want);
  });
});
