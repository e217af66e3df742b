/** $(VAR) expansion, command lines and resourceFieldRef values: table tests. */
import type { Container } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { commandLine, ConfigError, expand, resourceValue } from './container-env.js';

const node = { nodeName: 'n', address: '127.0.0.1', allocatable: { cpu: '4', memory: '8Gi' } };

describe('container env', () => {
  it.each([
    ['$(A)', 'a'],
    ['x-$(A)-$(B)', 'x-a-b'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$', '$'],
    ['$A', '$A'],
  ])('expand(%s) = %s', (s, want) => {
    expect(expand(s, { A: 'a', B: 'b' })).toBe(want);
  });

  it.each([
    [{ command: ['sh', '-c', 'echo $(A)'] }, { file: 'sh', args: ['-c', 'echo a'] }],
    [{ command: ['sleep'], args: ['$(A)'] }, { file: 'sleep', args: ['a'] }],
    [{ args: ['sh', '-c', 'true'] }, { file: 'sh', args: ['-c', 'true'] }],
  ])('commandLine %j', (c, want) => {
    expect(commandLine({ name: 'c', ...c } as Container, { A: 'a' })).toEqual(want);
  });

  it('refuses a container with neither command nor args', () => {
    expect(() => commandLine({ name: 'web', image: 'nginx' }, {})).toThrow(ConfigError);
  });

  it.each([
    [{ limits: { cpu: '250m' } }, 'limits.cpu', '1m', '250'],
    [{ limits: { cpu: '250m' } }, 'limits.cpu', undefined, '1'],
    [{}, 'limits.cpu', undefined, '4'],
    [{}, 'limits.memory', '1Mi', '8192'],
    [{ requests: { memory: '64Mi' } }, 'requests.memory', '1Ki', '65536'],
  ])('resourceValue %j %s / %s = %s', (resources, res, divisor, want) => {
    expect(resourceValue({ name: 'c', resources }, res, divisor, node)).toBe(want);
  });
});
