/**
 * ControllerRevisions for DaemonSets and StatefulSets (Kubernetes `controller/history`): each pod
 * template a set has had is stored as a revision named `<set>-<hash>`, its pods carry the
 * `controller-revision-hash` label, and `kubectl rollout history/undo` read them. Pure planning:
 * which revision is current, whether to create or renumber it, which old ones to prune.
 */
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { controllerRef, type Owner } from '../resources/pod-state.js';

export const REVISION_HASH_LABEL = 'controller-revision-hash';

/** JSON with object keys sorted, so equal values give equal strings. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-32a of the template (and collision count), spelled with `rand.SafeEncodeString`'s alphabet. */
export function templateHash(template: unknown, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const text = stableJson(template) + (collisionCount ? `#${collisionCount}` : '');
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/** A revision's `data`: the strategic-merge patch that restores the template (as Kubernetes stores it). */
export function revisionData(template: PodTemplateSpec | undefined): Record<string, unknown> {
  return { spec: { template: { ...(template ?? {}), $patch: 'replace' } } };
}

function sameTemplate(rev: ControllerRevision, template: PodTemplateSpec | undefined): boolean {
  return stableJson(rev.data) === stableJson(revisionData(template));
}

export interface RevisionPlan {
  /** the revision the set's template is at */
  name: string;
  hash: string;
  revision: number;
  /** create `object`, renumber an existing one to `revision` (a rollback), or nothing to write */
  action: 'none' | 'create' | 'bump';
  object: ControllerRevision;
  /** the set's status.collisionCount after this plan */
  collisionCount: number;
}

/**
 * Finds or makes the revision for `template` among `revisions` (those the set controls). An equal
 * older revision is renumbered to max+1, as a rollback; a name taken by a different template bumps
 * the collision count.
 */
export function planRevision(args: {
  owner: Owner & { metadata?: { namespace?: string } };
  apiVersion: string;
  kind: string;
  revisions: ControllerRevision[];
  template: PodTemplateSpec | undefined;
  collisionCount: number;
}): RevisionPlan {
  const { owner, revisions, template } = args;
  const max = revisions.reduce((m, r) => Math.max(m, r.revision), 0);
  const equal = revisions.filter((r) => sameTemplate(r, template)).sort((a, b) => b.revision - a.revision)[0];
  if (equal) {
    const hash = equal.metadata?.labels?.[REVISION_HASH_LABEL] ?? templateHash(template, args.collisionCount);
    const bump = equal.revision < max;
    return { name: equal.metadata?.name ?? '', hash, revision: bump ? max + 1 : equal.revision, action: bump ? 'bump' : 'none', object: equal, collisionCount: args.collisionCount };
  }
  let collisionCount = args.collisionCount;
  const setName = owner.metadata?.name ?? '';
  let hash = templateHash(template, collisionCount);
  while (revisions.some((r) => r.metadata?.name === revisionName(setName, hash))) hash = templateHash(template, ++collisionCount);
  const name = revisionName(setName, hash);
  const object: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: owner.metadata?.namespace,
      labels: { ...(template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      ownerReferences: [controllerRef(owner, args.apiVersion, args.kind)],
    },
    data: revisionData(template),
    revision: max + 1,
  };
  return { name, hash, revision: max + 1, action: 'create', object, collisionCount };
}

/** `history.ControllerRevisionName`: the set's name (cut to 223 characters) and the hash. */
export function revisionName(setName: string, hash: string): string {
  return `${setName.slice(0, 223)}-${hash}`;
}

/**
 * Revisions to delete: the oldest beyond `limit` among those that are neither `live` (current,
 * update, or a revision some pod still runs) nor newer.
 */
export function revisionsToPrune(revisions: ControllerRevision[], live: Set<string>, limit: number): string[] {
  const dead = revisions.filter((r) => !live.has(r.metadata?.name ?? '')).sort((a, b) => a.revision - b.revision);
  const excess = dead.length - Math.max(0, limit);
  return excess > 0 ? dead.slice(0, excess).map((r) => r.metadata?.name ?? '') : [];
}
