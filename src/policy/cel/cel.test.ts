import { describe, expect, it } from 'vitest';
import { CelCompileError, compile, fromCel, toCel } from './cel.js';
import { CelCostError, CostBudget, EVALUATION_COST_BUDGET, lastCost, PER_CALL_COST_LIMIT } from './cost-meter.js';

const obj = toCel({
  metadata: { name: 'web', labels: { app: 'web', team: 'a' } },
  spec: { replicas: 3, template: { spec: { containers: [{ name: 'c', image: 'r.example.com/app:1.2', resources: { limits: { cpu: '500m' } } }, { name: 'd', image: 'nginx' }] } } },
});

const ev = (src: string) => fromCel(compile(src, ['object', 'params']).evaluate({ object: obj, params: null }));

describe('cel: Kubernetes-style expressions', () => {
  const cases: [string, unknown][] = [
    ['object.spec.replicas + 1', 4],
    ['object.spec.replicas <= 5', true],
    ['has(object.metadata.labels.team)', true],
    ['has(object.metadata.labels.missing)', false],
    ["object.metadata.labels.?missing.orValue('none')", 'none'],
    ["object.spec.template.spec.containers.all(c, c.image.startsWith('r.example.com/'))", false],
    ["object.spec.template.spec.containers.exists(c, c.image.matches('^nginx(:.*)?$'))", true],
    ["object.spec.template.spec.containers.filter(c, has(c.resources)).map(c, c.name)", ['c']],
    ["object.spec.template.spec.containers.exists_one(c, c.name == 'd')", true],
    ["'a-b-c'.replace('-', '+')", 'a+b+c'],
    ["'a-b-c'.replace('-', '+', 1)", 'a+b-c'],
    ["'abc'.charAt(1)", 'b'],
    ["'%s has %d'.format(['web', 3])", 'web has 3'],
    ["'image:v1.2'.find('[0-9]+')", '1'],
    ["'a1b22'.findAll('[0-9]+')", ['1', '22']],
    ['[3, 1, 2].max()', 3],
    ['[1, 2, 3].sum()', 6],
    ['[1, 2, 3].isSorted()', true],
    ["quantity('500m').isLessThan(quantity('1'))", true],
    ["quantity('1Gi').compareTo(quantity('1024Mi'))", 0],
    ["isQuantity('2Gi') && !isQuantity('x')", true],
    ["'web' in object.metadata.labels.map(k, object.metadata.labels[k])", true],
  ];
  for (const [src, want] of cases) it(src, () => expect(ev(src)).toEqual(want));
});

describe('cel: safety', () => {
  it('matches runs in linear time (RE2): a catastrophic pattern for backtracking engines returns at once', () => {
    const s = 'a'.repeat(5000) + '!';
    expect(fromCel(compile("s.matches('^(a+)+$')", ['s']).evaluate({ s }))).toBe(false);
  });

  it('refuses syntax errors with the position', () => {
    expect(() => compile('object.spec.replicas >', ['object'])).toThrow(CelCompileError);
    expect(() => compile('object.spec.replicas >', ['object'])).toThrow(/\^/);
  });

  it('refuses type errors and unknown variables at compile time', () => {
    expect(() => compile("1 + 'a'", [])).toThrow(CelCompileError);
    expect(() => compile('nope.x', ['object'])).toThrow(CelCompileError);
  });

  it('refuses expressions whose estimated cost is unbounded (nested comprehensions over object lists)', () => {
    const deep = 'object.a.all(x, object.b.all(y, object.c.all(z, x + y + z > 0)))';
    expect(() => compile(deep, ['object'])).toThrow(/estimated rule cost exceeds budget/);
    expect(() => compile('object.a.all(x, object.b.all(y, x != y))', ['object'])).not.toThrow();
  });

  it('tells which variables an expression reads, or that it cannot tell', () => {
    const refs = (src: string) => {
      const r = compile(src, ['object', 'variables']).variableRefs;
      return r && [...r].sort();
    };
    expect(refs('object.spec')).toEqual([]);
    expect(refs('variables.spec.containers + variables.spec.?initContainers.orValue([]) + variables.extra')).toEqual(['extra', 'spec']);
    expect(refs('has(variables.a) && variables.?b.orValue(1) > 0')).toEqual(['a', 'b']);
    expect(refs("variables['spec']")).toBeNull();
    expect(refs("'spec' in variables")).toBeNull();
  });

  it('converts integral numbers to ints and shares what has no number with the input', () => {
    const input = { a: { b: [1, 2.5, 'x'], s: 'y' }, labels: { app: 'web' }, list: ['p', { q: 'r' }], n: null };
    const cel = toCel(input) as typeof input;
    expect(cel).toEqual({ a: { b: [1n, 2.5, 'x'], s: 'y' }, labels: { app: 'web' }, list: ['p', { q: 'r' }], n: null });
    expect(Object.keys(cel)).toEqual(Object.keys(input));
    expect(cel).not.toBe(input);
    expect(cel.a).not.toBe(input.a);
    expect(input.a.b).toEqual([1, 2.5, 'x']);
    expect(cel.labels).toBe(input.labels);
    expect(cel.list).toBe(input.list);
    expect(toCel({ x: [[3]] })).toEqual({ x: [[3n]] });
  });

  it('caches compiled expressions', () => {
    expect(compile('object.x == 1', ['object'])).toBe(compile('object.x == 1', ['object']));
  });
});

/** `[0, 1, ..., n-1]` as a CEL literal. */
const range = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
/** 26 nested binds, each doubling a string: 10 × 2^27 characters unless cut off. */
const doubling = "cel.bind(a, 'xxxxxxxxxx', " + 'bcdefghijklmnopqrstuvwxyz'.split('').map((v, i) => `cel.bind(${v}, ${'abcdefghijklmnopqrstuvwxyz'[i]}+${'abcdefghijklmnopqrstuvwxyz'[i]}, `).join('') + 'z+z' + ')'.repeat(26) + '.size() > 0';

describe('cel: runtime cost limit', () => {
  const cutOff: [string, string][] = [
    ['three nested comprehensions over 100-element literals (1,000,000 steps; the static estimate lets it pass)', `${range(100)}.all(x, ${range(100)}.all(y, ${range(100)}.all(z, x + y + z >= 0)))`],
    ['a string doubled by 26 nested binds (unbounded allocation)', doubling],
    ['nested maps building a million-element list', `${range(100)}.map(x, ${range(100)}.map(y, ${range(100)}.map(z, z))).size() > 0`],
    ["replace('') growing a string quadratically", `cel.bind(s, ${"'" + 'x'.repeat(900) + "'"}, s.replace('', s).replace('', s).size() > 0)`],
    ['the cut-off survives a quantifier that swallows errors', `${range(100)}.exists(x, ${range(100)}.all(y, ${range(100)}.all(z, z >= 0)) && false)`],
  ];
  for (const [name, src] of cutOff) {
    it(`cuts off ${name}`, () => {
      const e = compile(src, []);
      expect(e.cost).toBeLessThan(10_000_000);
      expect(() => e.evaluate({})).toThrow(CelCostError);
      expect(() => e.evaluate({})).toThrow(/operation cancelled: actual cost limit exceeded \(evaluation cost budget exceeded/);
    });
  }

  it('counts every node and comprehension step', () => {
    expect(fromCel(compile(`${range(10)}.all(x, x >= 0)`, []).evaluate({}))).toBe(true);
    const small = lastCost();
    expect(fromCel(compile(`${range(100)}.all(x, x >= 0)`, []).evaluate({}))).toBe(true);
    expect(lastCost()).toBeGreaterThan(small * 5);
    expect(lastCost()).toBeLessThan(PER_CALL_COST_LIMIT);
  });

  it('lets a cheap expression run after a cut-off one (the meter resets per call)', () => {
    expect(() => compile(doubling, []).evaluate({})).toThrow(CelCostError);
    expect(ev('object.spec.replicas + 1')).toBe(4);
  });

  it('takes each call from a shared budget and says when the budget ran out', () => {
    const budget = new CostBudget(EVALUATION_COST_BUDGET);
    const e = compile(`${range(100)}.all(x, ${range(100)}.all(y, ${range(10)}.all(z, z >= 0)))`, []);
    let err: unknown;
    let calls = 0;
    try {
      for (; calls < 100; calls++) e.evaluate({}, budget);
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(CelCostError);
    expect((err as CelCostError).budget).toBe(true);
    expect((err as Error).message).toMatch(/running out of cost budget/);
    expect(calls).toBeGreaterThan(5);
    expect(budget.remaining).toBeLessThanOrEqual(0);
  });
});
