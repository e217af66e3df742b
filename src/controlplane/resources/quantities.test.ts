import { describe, expect, it } from 'vitest';
import { addAmount, exceededNames, formatAmount, parseAmount, parseAmounts, prettyPrint, subtractNonNegative } from './quantities.js';

describe('quantities', () => {
  it.each([
    ['500m', '500m'],
    ['1', '1'],
    ['1.5', '1500m'],
    ['0.1', '100m'],
    ['1000', '1k'],
    ['1Gi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['1024Ki', '1Mi'],
    ['0.5Gi', '512Mi'],
    ['1000Ki', '1000Ki'],
    ['100Mi', '100Mi'],
    ['128974848', '128974848'],
    ['1G', '1G'],
    ['1e3', '1k'],
    ['1n', '1n'],
    ['0', '0'],
  ])('%s prints as %s', (input, out) => {
    expect(formatAmount(parseAmount(input))).toBe(out);
  });

  it.each([
    ['500m', '1', '1500m'],
    ['1', '500m', '1500m'],
    ['1Gi', '512Mi', '1536Mi'],
    ['0', '64Mi', '64Mi'],
    ['100m', '100m', '200m'],
    ['0.1', '0.2', '300m'],
    ['1', '1', '2'],
  ])('%s + %s = %s', (a, b, sum) => {
    expect(formatAmount(addAmount(parseAmount(a), parseAmount(b)))).toBe(sum);
  });

  it('compares exactly and prints lists sorted as quota errors do', () => {
    const used = parseAmounts({ pods: '2', 'requests.cpu': '900m', 'limits.memory': '1Gi' });
    const hard = parseAmounts({ pods: '2', 'requests.cpu': '1', 'limits.memory': '1Gi' });
    expect(exceededNames(used, hard)).toEqual([]);
    expect(exceededNames(parseAmounts({ pods: '3', 'requests.cpu': '1001m' }), hard)).toEqual(['pods', 'requests.cpu']);
    expect(prettyPrint(parseAmounts({ pods: '1', 'limits.cpu': '1500m' }))).toBe('limits.cpu=1500m,pods=1');
    expect(prettyPrint(subtractNonNegative(parseAmounts({ pods: '1', cpu: '1' }), parseAmounts({ pods: '2', cpu: '250m' })))).toBe('cpu=750m,pods=0');
  });

  it('names the entry that is no quantity', () => {
    expect(() => parseAmounts({ cpu: 'lots' })).toThrow(/^cpu: quantities must match/);
  });
});
