import { describe, expect, it } from 'vitest';
import { expiryOf, parseDuration } from './expiry.js';

const H = 3_600_000;

describe('parseDuration', () => {
  it.each([
    ['72h', 72 * H],
    ['1h30m', 1.5 * H],
    ['7d', 168 * H],
    ['45s', 45_000],
    ['500ms', 500],
    ['1.5h', 1.5 * H],
    [' 10m ', 600_000],
  ])('%s = %d ms', (s, ms) => expect(parseDuration(s, 'spec.ttl')).toBe(ms));
  it.each(['', '10', 'h', '1x', '1h 30m', '-1h'])('"%s" is refused, naming the field', (s) => expect(() => parseDuration(s, 'spec.ttl')).toThrow(/spec\.ttl: .* is not a duration/));
});

describe('expiryOf', () => {
  it.each([
    ['neither set', { createdAt: 0, commitSeenAt: 0 }, undefined],
    ['ttl only', { createdAt: 100, commitSeenAt: 500, ttlMs: 1000 }, { at: 1100, reason: 'TTL' }],
    ['idle only, from the last new commit', { createdAt: 100, commitSeenAt: 500, idleMs: 1000 }, { at: 1500, reason: 'Idle' }],
    ['ttl first', { createdAt: 0, commitSeenAt: 900, ttlMs: 1000, idleMs: 1000 }, { at: 1000, reason: 'TTL' }],
    ['idle first', { createdAt: 0, commitSeenAt: 0, ttlMs: 5000, idleMs: 1000 }, { at: 1000, reason: 'Idle' }],
  ])('%s', (_name, input, want) => expect(expiryOf(input)).toEqual(want));
});
