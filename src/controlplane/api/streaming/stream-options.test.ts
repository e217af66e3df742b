import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { remoteCommandOptions, streamContainer } from './stream-options.js';

const pod = (containers: string[], inits: string[] = []): Pod => ({
  metadata: { name: 'p' },
  spec: { containers: containers.map((name) => ({ name })), initContainers: inits.map((name) => ({ name })) },
});

describe('streamContainer', () => {
  it.each([
    ['the only container is the default', pod(['app']), null, 'app'],
    ['a named container', pod(['app', 'side']), 'side', 'side'],
    ['an init container', pod(['app'], ['init']), 'init', 'init'],
  ])('%s', (_what, p, requested, want) => {
    expect(streamContainer(p, requested)).toBe(want);
  });

  it.each([
    ['no default among several', pod(['app', 'side'], ['init']), null, 'a container name must be specified for pod p, choose one of: [app side] or one of the init containers: [init]'],
    ['an unknown container', pod(['app']), 'nope', 'container nope is not valid for pod p'],
  ])('refuses %s', (_what, p, requested, message) => {
    expect(() => streamContainer(p, requested)).toThrow(message);
  });
});

describe('remoteCommandOptions', () => {
  const q = (s: string) => new URLSearchParams(s);
  it('reads kubectl exec query parameters', () => {
    expect(remoteCommandOptions('exec', pod(['app']), q('command=sh&command=-c&command=echo+hi&container=app&stdin=true&stdout=true&stderr=true&tty=false'))).toEqual({
      container: 'app',
      command: ['sh', '-c', 'echo hi'],
      stdin: true,
      stdout: true,
      stderr: true,
      tty: false,
    });
  });
  it.each([
    ['exec', 'stdout=true', 'you must specify at least 1 command'],
    ['exec', 'command=ls', 'you must specify at least one of stdin, stdout, stderr'],
    ['attach', 'tty=true', 'you must specify at least one of stdin, stdout, stderr'],
  ] as const)('%s ?%s is refused', (sub, query, message) => {
    expect(() => remoteCommandOptions(sub, pod(['app']), q(query))).toThrow(message);
  });
  it('attach needs no command', () => {
    expect(remoteCommandOptions('attach', pod(['app']), q('stdout=true')).command).toEqual([]);
  });
});
