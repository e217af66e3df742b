/**
 * Which refs of a repository are previews, and the names a preview gets: a namespace name that is a
 * valid DNS-1123 label and unique per PreviewSet and ref even when two refs sanitise alike (a short
 * hash of the full ref ends it), and a label value for the ref. Pure, with table tests.
 */
import { createHash } from 'node:crypto';
import { fullGlobMatcher } from '../render/glob.js';

/** The branch and ref globs of a PreviewSet (spec.branches, spec.refs). */
export interface RefSelector {
  branches?: string[];
  refs?: string[];
}

/** A predicate over full ref names: branch globs match `refs/heads/<branch>`, ref globs the full name. */
export function refMatcher(sel: RefSelector): (ref: string) => boolean {
  const branches = (sel.branches ?? []).map(fullGlobMatcher);
  const refs = (sel.refs ?? []).map(fullGlobMatcher);
  return (ref) => (ref.startsWith('refs/heads/') && branches.some((m) => m(ref.slice('refs/heads/'.length)))) || refs.some((m) => m(ref));
}

/** `refs/heads/pr/1` → `pr/1`; any other ref loses only its `refs/` (`pull/12/head`). */
export function shortRef(ref: string): string {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref.replace(/^refs\//, '');
}

/**
 * What an Application's targetRevision should say to follow `ref`: the branch name for branches (so
 * push webhooks for `refs/heads/<branch>` match it), the full ref otherwise.
 */
export function revisionOf(ref: string): string {
  return ref.startsWith('refs/heads/') ? shortRef(ref) : ref;
}

const HASH_LENGTH = 8;

/** Lower-case `[a-z0-9-]`, no runs of `-`, no `-` at either end. */
function dnsChars(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '');
}

/**
 * The name of a preview's namespace and Application: `<prefix><sanitised short ref>-<hash>`, where
 * the hash is of `<set namespace>/<set name>` and the full ref, so it is unique per PreviewSet and ref
 * (`pr/Foo_Bar` and `pr/foo-bar` differ) and stable across restarts. At most `maxLength` (≤ 63)
 * characters: the ref part is cut, never the hash.
 */
export function previewName(args: { set: string; ref: string; prefix: string; maxLength?: number }): string {
  const max = Math.min(63, args.maxLength ?? 63);
  const hash = createHash('sha256').update(`${args.set}\0${args.ref}`).digest('hex').slice(0, HASH_LENGTH);
  const prefix = dnsChars(args.prefix).slice(0, Math.max(0, max - HASH_LENGTH - 2)).replace(/-+$/, '');
  const room = max - HASH_LENGTH - 1 - (prefix ? prefix.length + 1 : 0);
  const body = dnsChars(shortRef(args.ref)).slice(0, Math.max(0, room)).replace(/-+$/, '');
  return [prefix, body, hash].filter(Boolean).join('-');
}

/** The ref as a label value (≤ 63 of `[A-Za-z0-9._-]`, alphanumeric at both ends); '' if nothing is left. */
export function refLabelValue(ref: string): string {
  return shortRef(ref).replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}
