/**
 * Path rules for reading a repository tree: every path is relative to the repository root and never
 * leaves it. Pure, so the rules have table tests.
 */
import { posix } from 'node:path';
import { GitSourceError } from './errors.js';

/**
 * The normalized repository-relative form of `path` ('' for the root). Absolute paths and paths
 * whose `..` climbs above the root are errors.
 */
export function repoPath(path: string): string {
  if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.includes('\\') || path.includes('\0')) {
    throw new GitSourceError('PathEscapes', `path "${path}" must be relative to the repository root`);
  }
  const n = posix.normalize(path === '' ? '.' : path).replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../')) throw new GitSourceError('PathEscapes', `path "${path}" leaves the repository`);
  return n === '.' ? '' : n;
}

/** Joins `rel` onto the directory `dir` (both repository-relative) under the same rules. */
export function joinRepoPath(dir: string, rel: string): string {
  if (rel.startsWith('/')) throw new GitSourceError('PathEscapes', `path "${rel}" must be relative (in "${dir || '.'}")`);
  return repoPath(dir ? `${dir}/${rel}` : rel);
}

/** Where a symlink at `linkPath` with target `target` points, or an error when it leaves the repository. */
export function symlinkTarget(linkPath: string, target: string): string {
  if (target.startsWith('/')) throw new GitSourceError('PathEscapes', `symlink "${linkPath}" points outside the repository (${target})`);
  try {
    return repoPath(posix.join(posix.dirname(linkPath), target));
  } catch {
    throw new GitSourceError('PathEscapes', `symlink "${linkPath}" points outside the repository (${target})`);
  }
}
