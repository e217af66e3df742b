import { describe, expect, it } from 'vitest';
import { CelCompileError, compile, fromCel, toCel } from './cel.js';

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

  it('caches compiled expressions', () => {
    expect(compile('object.x == 1', ['object'])).toBe(compile('object.x == 1', ['object']));
  });
});
