import { describe, expect, it } from 'vitest';
import { deepCopy } from './json-value.js';

describe('deepCopy', () => {
  const cases: Array<[string, unknown]> = [
    ['a scalar', 'x'],
    ['null', null],
    ['nested objects and lists', { a: [1, { b: [true, null, 'c'] }], d: { e: {} }, f: [] }],
    ['keys whose values are undefined', { a: undefined, b: 1 }],
    ['a list of lists', [[1], [2, [3]]]],
  ];
  it.each(cases)('copies %s equal to structuredClone, sharing nothing', (_name, value) => {
    const copy = deepCopy(value);
    expect(copy).toStrictEqual(structuredClone(value));
    if (typeof value === 'object' && value !== null) {
      expect(copy).not.toBe(value);
      expect(JSON.stringify(copy)).toBe(JSON.stringify(value));
    }
  });

  it('keeps key order and copies a __proto__ key as an own key, not a prototype', () => {
    const parsed = JSON.parse('{"z":1,"__proto__":{"polluted":true},"a":{"__proto__":[]}}') as Record<string, unknown>;
    const copy = deepCopy(parsed);
    expect(Object.keys(copy)).toEqual(['z', '__proto__', 'a']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).toEqual({ polluted: true });
    expect(JSON.stringify(copy)).toBe(JSON.stringify(parsed));
  });

  it('copies objects without a prototype as plain objects, and others as structuredClone does', () => {
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(Object.getPrototypeOf(deepCopy(bare))).toBe(Object.prototype);
    const when = new Date(0);
    const copy = deepCopy({ when });
    expect(copy.when).toBeInstanceOf(Date);
    expect(copy.when).not.toBe(when);
    expect(copy.when.getTime()).toBe(0);
  });

  it('copies a subtree shared by two fields twice, so changing one leaves the other', () => {
    const shared = { x: 1 };
    const copy = deepCopy({ a: shared, b: shared });
    copy.a.x = 2;
    expect(copy.b.x).toBe(1);
    expect(shared.x).toBe(1);
  });
});
