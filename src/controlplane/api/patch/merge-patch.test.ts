import { describe, expect, it } from 'vitest';
import { isStatusError } from '../errors.js';
import { applyMergePatch, jsonMergePatch } from './merge-patch.js';

describe('jsonMergePatch: RFC 7396 appendix A', () => {
  const cases: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)('%j + %j = %j', (target, patch, want) => {
    expect(jsonMergePatch(target, patch)).toEqual(want);
  });

  it('does not mutate its arguments', () => {
    const target = { a: { b: 1 } };
    const patch = { a: { c: 2 } };
    jsonMergePatch(target, patch);
    expect(target).toEqual({ a: { b: 1 } });
    expect(patch).toEqual({ a: { c: 2 } });
  });
});

describe('applyMergePatch', () => {
  it('applies what kubectl label and scale send', () => {
    const obj = { metadata: { name: 'web', labels: { app: 'web', tier: 'fe' } }, spec: { replicas: 1 } };
    expect(applyMergePatch(obj, { metadata: { labels: { tier: null, env: 'prod' } } }).metadata).toEqual({
      name: 'web',
      labels: { app: 'web', env: 'prod' },
    });
    expect(applyMergePatch(obj, { spec: { replicas: 3 } }).spec).toEqual({ replicas: 3 });
  });

  it.each([[['x']], ['str'], [null]])('rejects a non-object body %j with 400', (body) => {
    try {
      applyMergePatch({}, body);
      expect.unreachable();
    } catch (e) {
      expect(isStatusError(e) && e.code).toBe(400);
    }
  });

  it('keeps a __proto__ key as data', () => {
    const out = applyMergePatch({}, JSON.parse('{"__proto__":{"x":1}}'));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
  });
});
