import { describe, expect, it } from 'vitest';
import { directoryToRemove } from './local-volumes.js';

describe('directoryToRemove', () => {
  const pv = (path: string) => ({ spec: { hostPath: { path } } });
  it.each([
    ['a volume under the root', pv('/d/volumes/pvc-1_ns_data'), '/d/volumes', '/d/volumes/pvc-1_ns_data'],
    ['the root itself is never removed', pv('/d/volumes'), '/d/volumes', undefined],
    ['a path outside the root', pv('/etc'), '/d/volumes', undefined],
    ['.. does not escape the root', pv('/d/volumes/../secrets'), '/d/volumes', undefined],
    ['a sibling with the root as prefix', pv('/d/volumes-other/x'), '/d/volumes', undefined],
    ['a sim node (no root)', pv('/d/volumes/x'), undefined, undefined],
  ])('%s', (_name, volume, root, want) => {
    expect(directoryToRemove(volume, root)).toBe(want);
  });
});
