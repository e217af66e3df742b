/**
 * Which paths differ between two commits, for the monorepo skip: an Application whose render read
 * none of them need not render or apply again. Walks both trees with isomorphic-git and never
 * descends into a directory whose tree id is the same on both sides, so a one-file commit in a
 * large repository reads a handful of trees.
 */
import * as fs from 'node:fs';
import git, { TREE } from 'isomorphic-git';

/**
 * Repository-relative paths of every blob and tree that was added, removed or changed between
 * `from` and `to` (a changed directory is listed along with what changed inside it). `cache` is
 * isomorphic-git's object cache, shared with the caller's other reads.
 */
export async function changedPaths(gitdir: string, from: string, to: string, cache: object = {}): Promise<string[]> {
  if (from === to) return [];
  const out = (await git.walk({
    fs,
    gitdir,
    cache,
    trees: [TREE({ ref: from }), TREE({ ref: to })],
    async map(path, [a, b]) {
      const [oa, ob] = await Promise.all([a?.oid(), b?.oid()]);
      const isTree = (await a?.type()) === 'tree' || (await b?.type()) === 'tree';
      if (oa === ob) return isTree ? null : undefined;
      return path === '.' ? undefined : path;
    },
  })) as (string | undefined)[];
  return out.filter((p): p is string => typeof p === 'string');
}
