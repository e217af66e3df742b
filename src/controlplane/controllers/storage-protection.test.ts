import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { podUsesClaim } from './storage-protection.js';

const pod = (ns: string, claims: string[], phase = 'Running'): Pod => ({
  metadata: { name: 'p', namespace: ns },
  spec: { containers: [], volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })) },
  status: { phase },
});

describe('podUsesClaim', () => {
  it.each([
    ['a running pod mounting it', pod('ns', ['data']), true],
    ['a pending pod mounting it (it will run)', pod('ns', ['data'], 'Pending'), true],
    ['a finished pod does not hold it', pod('ns', ['data'], 'Succeeded'), false],
    ['a failed pod does not hold it', pod('ns', ['data'], 'Failed'), false],
    ['another claim', pod('ns', ['other']), false],
    ['the same name in another namespace', pod('elsewhere', ['data']), false],
  ])('%s', (_name, p, want) => {
    expect(podUsesClaim(p, 'ns', 'data')).toBe(want);
  });
});
