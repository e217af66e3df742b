import { describe, expect, it } from 'vitest';
import { decodeBody, jsonDepth, MAX_BODY_BYTES, MAX_DEPTH } from './body.js';
import { StatusError } from './errors.js';

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof StatusError ? `${e.code} ${e.reason}` : `not a StatusError: ${String(e)}`;
  }
  return 'no error';
}

describe('decodeBody', () => {
  it('decodes JSON and YAML', () => {
    expect(decodeBody(Buffer.from('{"a":[1,{}]}'), 'application/json')).toEqual({ a: [1, {}] });
    expect(decodeBody(Buffer.from('a:\n  - 1\n  - b: c\n'), 'application/yaml')).toEqual({ a: [1, { b: 'c' }] });
    expect(decodeBody(Buffer.from('{"a":1}'), 'application/json; charset=utf-8')).toEqual({ a: 1 });
  });

  it.each([
    ['malformed JSON', '{"a":', 'application/json', '400 BadRequest'],
    ['malformed YAML', 'a: [1, 2\nb: }', 'application/yaml', '400 BadRequest'],
    ['duplicate YAML keys', 'a: 1\na: 2\n', 'application/yaml', '400 BadRequest'],
    ['empty body', '', 'application/json', '400 BadRequest'],
    ['unknown media type', 'x', 'text/html', '415 UnsupportedMediaType'],
    ['JSON nested 10,000 deep', '['.repeat(10_000) + ']'.repeat(10_000), 'application/json', '400 BadRequest'],
    ['YAML nested deep', 'a: '.repeat(1) + '['.repeat(MAX_DEPTH + 5) + ']'.repeat(MAX_DEPTH + 5), 'application/yaml', '400 BadRequest'],
  ])('%s', (_name, body, type, want) => {
    expect(reasonOf(() => decodeBody(Buffer.from(body), type))).toBe(want);
  });

  it.each([
    ['nested exactly the limit', '['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH), true],
    ['nested one over the limit', '['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1), false],
    ['objects nested one over the limit', '{"a":'.repeat(MAX_DEPTH + 1) + '1' + '}'.repeat(MAX_DEPTH + 1), false],
    ['more brackets than the limit, shallow', JSON.stringify({ items: Array.from({ length: 3 * MAX_DEPTH }, (_, i) => ({ i })) }), true],
    ['more brackets than the limit in a string', JSON.stringify({ a: '{['.repeat(MAX_DEPTH) }), true],
  ])('JSON %s', (_name, body, ok) => {
    if (ok) expect(decodeBody(Buffer.from(body), 'application/json')).toEqual(JSON.parse(body));
    else expect(reasonOf(() => decodeBody(Buffer.from(body), 'application/json'))).toBe('400 BadRequest');
  });

  it('refuses a body over the limit', () => {
    expect(reasonOf(() => decodeBody(Buffer.alloc(MAX_BODY_BYTES + 1, 32), 'application/json'))).toBe('413 RequestEntityTooLarge');
  });

  it('admits patch types only for patches', () => {
    expect(reasonOf(() => decodeBody(Buffer.from('{}'), 'application/merge-patch+json'))).toBe('415 UnsupportedMediaType');
    expect(decodeBody(Buffer.from('{}'), 'application/merge-patch+json', true)).toEqual({});
    expect(decodeBody(Buffer.from('kind: X\n'), 'application/apply-patch+yaml', true)).toEqual({ kind: 'X' });
  });
});

describe('jsonDepth', () => {
  it.each([
    ['1', 0],
    ['{}', 1],
    ['{"a":[{"b":1}]}', 3],
    ['{"a":"[[[[{{{"}', 1],
    ['{"a":"\\"[["}', 1],
  ])('%s → %i', (text, depth) => {
    expect(jsonDepth(text)).toBe(depth);
  });
});
