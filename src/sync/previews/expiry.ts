/**
 * When a preview expires: a TTL counted from its creation, and an idle timeout counted from when its
 * ref last moved to a new commit (as the controller saw it, so a branch pushed with an old commit is
 * not born expired). Durations are Go's (`1h30m`, `90s`) plus days (`7d`), as users write them in
 * Kubernetes specs. Pure, with table tests.
 */

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `72h`, `1h30m`, `7d`, `45s`, `500ms` in milliseconds; throws naming the field on anything else. */
export function parseDuration(s: string, field: string): number {
  const text = s.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNITS[m[2]];
    end = re.lastIndex;
  }
  if (!text || end !== text.length) throw new Error(`${field}: "${s}" is not a duration (write e.g. 72h, 1h30m, 7d)`);
  return total;
}

export interface ExpiryInput {
  /** when the preview was created (ms since the epoch) */
  createdAt: number;
  /** when its ref was first seen at its current commit */
  commitSeenAt: number;
  ttlMs?: number;
  idleMs?: number;
}

/** The earlier of the TTL and idle deadlines, and which one it is; undefined when neither is set. */
export function expiryOf(p: ExpiryInput): { at: number; reason: 'TTL' | 'Idle' } | undefined {
  const ttl = p.ttlMs !== undefined ? p.createdAt + p.ttlMs : undefined;
  const idle = p.idleMs !== undefined ? p.commitSeenAt + p.idleMs : undefined;
  if (ttl === undefined && idle === undefined) return undefined;
  if (idle === undefined || (ttl !== undefined && ttl <= idle)) return { at: ttl!, reason: 'TTL' };
  return { at: idle, reason: 'Idle' };
}
