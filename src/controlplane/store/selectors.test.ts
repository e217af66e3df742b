import { describe, expect, it } from 'vitest';
import { StatusError } from '../api/errors.js';
import {
  formatLabelSelector,
  labelSelectorFromObject,
  matchesFields,
  parseFieldSelector,
  parseLabelSelector,
  selectorFields,
  type LabelSelectorObject,
} from './selectors.js';

const L = (s: string): Record<string, string> =>
  Object.fromEntries(
    s
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  );

describe('parseLabelSelector matches', () => {
  // [selector, labels, expected]
  const cases: [string, Record<string, string> | undefined, boolean][] = [
    ['', undefined, true],
    ['', L('a=b'), true],
    ['a=b', L('a=b'), true],
    ['a=b', L('a=c'), false],
    ['a=b', undefined, false],
    ['a==b', L('a=b'), true],
    ['a!=b', L('a=c'), true],
    ['a!=b', L('a=b'), false],
    ['a!=b', L(''), true],
    ['a', L('a='), true],
    ['a', L('b=c'), false],
    ['!a', L('b=c'), true],
    ['!a', L('a=x'), false],
    ['a in (x, y)', L('a=y'), true],
    ['a in (x,y)', L('a=z'), false],
    ['a in (x,y)', L(''), false],
    ['a notin (x,y)', L('a=z'), true],
    ['a notin (x,y)', L('a=x'), false],
    ['a notin (x,y)', L(''), true],
    ['a=b,c=d', L('a=b,c=d'), true],
    ['a=b,c=d', L('a=b,c=e'), false],
    [' a = b , !c ', L('a=b'), true],
    ['a=', L('a='), true],
    ['a=', L('a=x'), false],
    ['app.kubernetes.io/name=web', L('app.kubernetes.io/name=web'), true],
    ['n>5', L('n=6'), true],
    ['n>5', L('n=5'), false],
    ['n<5', L('n=-1'), true],
    ['n<5', L('n=x'), false],
    ['a in (x,),b', L('a=,b=1'), true],
    ['toString', L('x=1'), false],
  ];
  it.each(cases)('%j on %j → %s', (sel, labels, want) => {
    expect(parseLabelSelector(sel).matches(labels)).toBe(want);
  });
});

describe('parseLabelSelector rejects bad syntax with BadRequest naming the selector', () => {
  const bad: [string, RegExp][] = [
    ['a in b', /expected: '\('/],
    ['a in ()', /values set can't be empty/],
    ['a=b=c', /expected: ',' or 'end of string'/],
    ['a b', /found 'b', expected: in, notin/],
    ['a=b,', /identifier after ','/],
    [',a', /expected: identifier/],
    ['!a=b', /expected: ',' or 'end of string'/],
    ['a==(', /expected: identifier/],
    ['-a=b', /name part must consist/],
    ['a=-b', /invalid label value/],
    [`a=${'x'.repeat(64)}`, /no more than 63/],
    ['Foo/a=b', /prefix part/],
    ['/a=b', /prefix part must be non-empty/],
    ['n>x', /must be an integer/],
    ['a in (x y)', /expected: ',', '\)' or identifier/],
    ['a ~ b', /expected: in, notin/],
  ];
  it.each(bad)('%j', (sel, why) => {
    let err: unknown;
    try {
      parseLabelSelector(sel);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(400);
    expect((err as StatusError).reason).toBe('BadRequest');
    expect((err as StatusError).message).toContain(`"${sel}"`);
    expect((err as StatusError).message).toMatch(why);
  });
});

describe('label selector canonical string', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['b=1,a in (y,x)', 'a in (x,y),b=1'],
    ['!z, y notin (2,1), x', 'x,y notin (1,2),!z'],
    ['a==b,n>3', 'a==b,n>3'],
  ];
  it.each(cases)('%j → %j', (sel, want) => {
    expect(parseLabelSelector(sel).toString()).toBe(want);
    // the canonical form parses back to the same selector
    expect(parseLabelSelector(want).toString()).toBe(want);
  });
});

describe('labelSelectorFromObject', () => {
  const cases: [string, LabelSelectorObject | null | undefined, Record<string, string> | undefined, boolean][] = [
    ['nil selects nothing', undefined, L('a=b'), false],
    ['null selects nothing', null, undefined, false],
    ['{} selects everything', {}, undefined, true],
    ['matchLabels', { matchLabels: { app: 'web' } }, L('app=web,x=y'), true],
    ['matchLabels miss', { matchLabels: { app: 'web', tier: 'fe' } }, L('app=web'), false],
    ['In', { matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }] }, L('env=b'), true],
    ['NotIn absent', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['a'] }] }, L(''), true],
    ['NotIn hit', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['a'] }] }, L('env=a'), false],
    ['Exists', { matchExpressions: [{ key: 'env', operator: 'Exists' }] }, L('env='), true],
    ['DoesNotExist', { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, L('env=x'), false],
    ['both', { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'Exists' }] }, L('app=web'), false],
  ];
  it.each(cases)('%s', (_name, sel, labels, want) => {
    expect(labelSelectorFromObject(sel).matches(labels)).toBe(want);
  });

  const bad: [string, LabelSelectorObject, RegExp][] = [
    ['unknown operator', { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }, /"Equals" is not a valid/],
    ['In without values', { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, /can't be empty/],
    ['Exists with values', { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, /must be empty/],
    ['bad key', { matchLabels: { 'a b': 'x' } }, /invalid label key/],
    ['bad value', { matchLabels: { a: 'x y' } }, /invalid label value/],
  ];
  it.each(bad)('rejects %s', (_name, sel, why) => {
    expect(() => labelSelectorFromObject(sel)).toThrow(why);
  });

  it('formats as the selector string', () => {
    expect(formatLabelSelector({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'c', operator: 'In', values: ['y', 'x'] }] })).toBe(
      'a=1,b=2,c in (x,y)',
    );
    expect(formatLabelSelector({})).toBe('');
  });
});

describe('parseFieldSelector', () => {
  const cases: [string, { field: string; op: string; value: string }[]][] = [
    ['', []],
    ['metadata.name=x', [{ field: 'metadata.name', op: '=', value: 'x' }]],
    ['spec.nodeName==n1', [{ field: 'spec.nodeName', op: '=', value: 'n1' }]],
    ['status.phase!=Running,metadata.namespace=a', [
      { field: 'status.phase', op: '!=', value: 'Running' },
      { field: 'metadata.namespace', op: '=', value: 'a' },
    ]],
    ['spec.nodeName=', [{ field: 'spec.nodeName', op: '=', value: '' }]],
    ['a=x\\,y\\=z\\\\', [{ field: 'a', op: '=', value: 'x,y=z\\' }]],
    ['a=b=c', [{ field: 'a', op: '=', value: 'b=c' }]],
    ['a!=b,', [{ field: 'a', op: '!=', value: 'b' }]],
  ];
  it.each(cases)('%j', (sel, want) => {
    expect(parseFieldSelector(sel)).toEqual(want);
  });

  const bad: [string, RegExp][] = [
    ['metadata.name', /can't understand 'metadata.name'/],
    ['=x', /can't understand/],
    ['a=b,c', /can't understand 'c'/],
    ['a=x\\y', /invalid escape/],
    ['a=x\\', /invalid escape/],
  ];
  it.each(bad)('rejects %j', (sel, why) => {
    let err: unknown;
    try {
      parseFieldSelector(sel);
    } catch (e) {
      err = e;
    }
    expect((err as StatusError).code).toBe(400);
    expect((err as StatusError).message).toContain(`"${sel}"`);
    expect((err as StatusError).message).toMatch(why);
  });

  it('lists the fields used, once each', () => {
    expect(selectorFields(parseFieldSelector('a=1,b!=2,a!=3'))).toEqual(['a', 'b']);
  });
});

describe('matchesFields', () => {
  const obj: Record<string, string | undefined> = { 'metadata.name': 'p1', 'spec.nodeName': undefined, 'status.phase': 'Running' };
  const get = (f: string) => obj[f];
  const cases: [string, boolean][] = [
    ['metadata.name=p1', true],
    ['metadata.name=p2', false],
    ['metadata.name!=p2', true],
    ['spec.nodeName=', true],
    ['spec.nodeName!=', false],
    ['metadata.name=p1,status.phase!=Running', false],
    ['metadata.name=p1,status.phase=Running', true],
    ['', true],
  ];
  it.each(cases)('%j → %s', (sel, want) => {
    expect(matchesFields(parseFieldSelector(sel), get)).toBe(want);
  });
});
