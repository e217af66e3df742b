/**
 * Git sources for Applications, read with isomorphic-git. A local path (a working clone or a bare
 * repository) is read in place; an http(s) repository is fetched into a bare cache per URL under the
 * data dir, so each fetch transfers only the objects that changed. A revision (branch, tag or commit)
 * resolves to a commit, and `SourceTree` reads files at that commit without ever leaving the
 * repository.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { changedPaths } from './changes.js';
import { GitSourceError } from './errors.js';
import { joinRepoPath, repoPath, symlinkTarget } from './paths.js';

/** Credentials for http(s) repositories (from a Secret: `username`/`password` or `token`). */
export interface RepoCredentials {
  username?: string;
  password?: string;
  token?: string;
}

export interface CommitInfo {
  sha: string;
  author: string;
  message: string;
  /** commit time, RFC 3339 */
  time: string;
}

export interface DirEntry {
  name: string;
  /** repository-relative path */
  path: string;
  type: 'file' | 'dir';
}

/**
 * Files of one commit. Paths are repository-relative (`apps/web/deploy.yaml`); `..` may move within
 * the repository, never above it; symlinks are followed while they stay inside. Every file read is
 * recorded in `read`, so a caller knows which files a render depended on.
 */
export interface SourceTree {
  readonly commit: string;
  readFile(path: string): Promise<string>;
  readDir(path: string): Promise<DirEntry[]>;
  /** 'file', 'dir', or undefined when nothing is at `path` */
  stat(path: string): Promise<'file' | 'dir' | undefined>;
  readonly read: Set<string>;
  /** Every file under `root` loaded at once, for synchronous readers (rendering). */
  snapshot(root?: string): Promise<FileSnapshot>;
}

/**
 * A synchronous view of files loaded from one commit: paths relative to its root ('' = root),
 * symlinks already resolved. Structurally the render module's `FileReader`.
 */
export interface FileSnapshot {
  list(dir: string): { name: string; type: 'file' | 'dir' }[];
  read(path: string): string;
  /** root-relative paths `read` has returned so far */
  readonly touched: Set<string>;
}

export interface ResolveRequest {
  repoURL: string;
  /** branch, tag, full or abbreviated commit sha; default HEAD */
  revision?: string;
  credentials?: RepoCredentials;
  /** fetch even when the cache was fetched within `minFetchIntervalMs` (webhook, manual sync) */
  refresh?: boolean;
}

export interface GitSourceOptions {
  /** caches of remote repositories live in `<dataDir>/git` */
  dataDir: string;
  /** a remote is fetched at most this often unless a refresh is asked for (default 2 s) */
  minFetchIntervalMs?: number;
}

interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

/** True for URLs git reaches over http(s); anything else is a local path (or file:// URL). */
export function isRemote(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

export class GitSource {
  private readonly lastFetch = new Map<string, number>();
  /** blob oid → content: a new commit reads only the blobs it changed */
  private readonly blobs = new Map<string, string>();
  private readonly inflight = new Map<string, Promise<void>>();
  /**
   * isomorphic-git's object cache (parsed pack indexes): without it every object read parses the
   * packfile index again — 2,000 blobs of one pack took 9 s instead of a fraction of one. Dropped
   * on every announced push, which is also what bounds its size.
   */
  private cache: object = {};

  constructor(private readonly opts: GitSourceOptions) {}

  /** Makes the next resolve of `repoURL` fetch (a push was announced). */
  forget(repoURL: string): void {
    this.lastFetch.delete(this.cacheDir(repoURL));
    this.cache = {};
  }

  /**
   * Paths that differ between two commits already resolved from `repoURL` (see changes.ts);
   * undefined when either is not in the repository (a force-push dropped it, the cache was reset).
   */
  async changedPaths(repoURL: string, from: string, to: string): Promise<string[] | undefined> {
    const gitdir = isRemote(repoURL) ? this.cacheDir(repoURL) : localGitdir(repoURL);
    return changedPaths(gitdir, from, to, this.cache).catch(() => undefined);
  }

  private cacheDir(repoURL: string): string {
    const key = createHash('sha256').update(repoURL).digest('hex').slice(0, 24);
    return join(this.opts.dataDir, 'git', `${key}.git`);
  }

  /** Fetches if needed and resolves `revision` to a commit, with a tree reader at that commit. */
  async resolve(req: ResolveRequest): Promise<{ commit: CommitInfo; tree: SourceTree }> {
    const gitdir = isRemote(req.repoURL) ? await this.fetchRemote(req) : localGitdir(req.repoURL);
    const revision = req.revision || 'HEAD';
    const cache = this.cache;
    const sha = await resolveRevision(gitdir, revision, isRemote(req.repoURL), cache);
    const c = await git.readCommit({ fs, gitdir, oid: sha, cache }).catch(() => {
      throw new GitSourceError('RevisionNotFound', `revision "${revision}" is not a commit in ${req.repoURL}`);
    });
    const a = c.commit.author;
    const commit: CommitInfo = {
      sha,
      author: `${a.name} <${a.email}>`,
      message: c.commit.message.trim(),
      time: new Date(a.timestamp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    return { commit, tree: new CommitTree(gitdir, sha, c.commit.tree, this.blobs, cache) };
  }

  /**
   * Every ref of the repository (`refs/heads/...`, `refs/tags/...`, `refs/pull/...`) and the commit or
   * tag object it points at, read from the server itself for a remote (no fetch), from the repository
   * for a local path.
   */
  async listRefs(repoURL: string, credentials?: RepoCredentials): Promise<{ ref: string; oid: string }[]> {
    if (!isRemote(repoURL)) return localRefs(localGitdir(repoURL));
    try {
      const refs = await git.listServerRefs({ http, url: repoURL, onAuth: onAuth(credentials), onAuthFailure: () => ({ cancel: true }) });
      return refs.filter((r) => r.ref.startsWith('refs/')).map((r) => ({ ref: r.ref, oid: r.oid }));
    } catch (e) {
      throw fetchError(repoURL, e);
    }
  }

  /** The bare cache of a remote, fetched (only what changed) unless fetched very recently. */
  private async fetchRemote(req: ResolveRequest): Promise<string> {
    const gitdir = this.cacheDir(req.repoURL);
    const last = this.lastFetch.get(gitdir) ?? 0;
    const missing = isRawRef(req.revision) && !(await git.resolveRef({ fs, gitdir, ref: req.revision }).catch(() => undefined));
    if (!req.refresh && !missing && Date.now() - last < (this.opts.minFetchIntervalMs ?? 2_000)) return gitdir;
    let p = this.inflight.get(gitdir);
    if (!p) {
      p = this.fetchInto(gitdir, req).finally(() => this.inflight.delete(gitdir));
      this.inflight.set(gitdir, p);
    }
    await p;
    return gitdir;
  }

  private async fetchInto(gitdir: string, req: ResolveRequest): Promise<void> {
    if (!fs.existsSync(join(gitdir, 'HEAD'))) {
      fs.mkdirSync(gitdir, { recursive: true });
      await git.init({ fs, gitdir, bare: true });
    }
    await git.addRemote({ fs, gitdir, remote: 'origin', url: req.repoURL, force: true });
    try {
      await git.fetch({
        fs,
        http,
        gitdir,
        remote: 'origin',
        singleBranch: false,
        tags: true,
        prune: true,
        pruneTags: true,
        onAuth: onAuth(req.credentials),
        onAuthFailure: () => ({ cancel: true }),
      });
      if (isRawRef(req.revision)) {
        // branches and tags come with the fetch above; a pull request's ref must be asked for by name
        const { fetchHead } = await git.fetch({ fs, http, gitdir, remote: 'origin', singleBranch: true, ref: req.revision, remoteRef: req.revision, tags: false, onAuth: onAuth(req.credentials), onAuthFailure: () => ({ cancel: true }) });
        if (fetchHead) await git.writeRef({ fs, gitdir, ref: req.revision, value: fetchHead, force: true });
      }
    } catch (e) {
      throw fetchError(req.repoURL, e);
    }
    this.lastFetch.set(gitdir, Date.now());
  }
}

/**
 * The refs of a local repository while pushes may be changing them. isomorphic-git's listRefs returns
 * only the packed refs when a loose ref vanishes mid-listing (a push deleting a branch), which would
 * look like every other branch was deleted; here a vanished ref is just skipped. Loose refs are read
 * before packed-refs, so a ref being packed (written to packed-refs, then unlinked) is always seen.
 */
async function localRefs(gitdir: string): Promise<{ ref: string; oid: string }[]> {
  const names = new Set<string>();
  const walk = (dir: string, prefix: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // removed meanwhile
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}/${e.name}`);
      else if (!e.name.endsWith('.lock')) names.add(`${prefix}/${e.name}`);
    }
  };
  walk(join(gitdir, 'refs'), 'refs');
  let packed = '';
  try {
    packed = fs.readFileSync(join(gitdir, 'packed-refs'), 'utf8');
  } catch {
    // no packed refs
  }
  for (const line of packed.split('\n')) {
    const ref = line.startsWith('#') || line.startsWith('^') ? undefined : line.split(' ')[1];
    if (ref?.startsWith('refs/')) names.add(ref.trim());
  }
  const out: { ref: string; oid: string }[] = [];
  for (const ref of [...names].sort()) {
    const oid = await git.resolveRef({ fs, gitdir, ref }).catch(() => undefined);
    if (oid) out.push({ ref, oid });
  }
  return out;
}

/** A ref outside branches and tags (`refs/pull/12/head`), which a plain fetch does not bring. */
function isRawRef(revision?: string): revision is string {
  return !!revision && revision.startsWith('refs/') && !revision.startsWith('refs/heads/') && !revision.startsWith('refs/tags/');
}

function onAuth(cred?: RepoCredentials): (() => { username: string; password: string }) | undefined {
  return cred ? () => ({ username: cred.username ?? (cred.token ? 'x-access-token' : 'git'), password: cred.token ?? cred.password ?? '' }) : undefined;
}

function fetchError(url: string, e: unknown): GitSourceError {
  const err = e as { code?: string; data?: { statusCode?: number }; message?: string };
  const status = err.data?.statusCode;
  if (err.code === 'UserCanceledError' || status === 401 || status === 403) {
    return new GitSourceError('AuthFailed', `authentication to ${url} failed: check the credentials Secret`);
  }
  return new GitSourceError('Unreachable', `cannot fetch ${url}: ${err.message ?? String(e)}`);
}

/** The git directory of a local clone or bare repository. */
function localGitdir(url: string): string {
  const path = resolvePath(url.replace(/^file:\/\//, ''));
  for (const dir of [join(path, '.git'), path]) if (fs.existsSync(join(dir, 'HEAD')) && fs.existsSync(join(dir, 'objects'))) return dir;
  throw new GitSourceError('Unreachable', `no git repository at ${path}`);
}

/** A branch, tag or sha to a commit sha (annotated tags peeled). */
async function resolveRevision(gitdir: string, revision: string, remote: boolean, cache: object): Promise<string> {
  const candidates = revision === 'HEAD' ? (remote ? ['refs/remotes/origin/HEAD', 'HEAD'] : ['HEAD']) : [remote ? `refs/remotes/origin/${revision}` : `refs/heads/${revision}`, `refs/tags/${revision}`, revision];
  if (remote && revision === 'HEAD') {
    // isomorphic-git records the remote's HEAD only sometimes; fall back to its main/master branch
    candidates.push('refs/remotes/origin/main', 'refs/remotes/origin/master');
  }
  for (const ref of candidates) {
    const oid = await git.resolveRef({ fs, gitdir, ref }).catch(() => undefined);
    if (oid) return peel(gitdir, oid, cache);
  }
  if (/^[0-9a-f]{4,40}$/i.test(revision)) {
    const oid = await git.expandOid({ fs, gitdir, oid: revision.toLowerCase(), cache }).catch(() => undefined);
    if (oid) return peel(gitdir, oid, cache);
  }
  throw new GitSourceError('RevisionNotFound', `revision "${revision}" not found (no such branch, tag or commit)`);
}

async function peel(gitdir: string, oid: string, cache: object): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const o = await git.readObject({ fs, gitdir, oid, format: 'parsed', cache });
    if (o.type !== 'tag') return oid;
    oid = (o.object as { object: string }).object;
  }
  return oid;
}

const MAX_SYMLINK_HOPS = 40;
const MAX_CACHED_BLOBS = 50_000;
const MAX_SNAPSHOT_DEPTH = 32;

class CommitTree implements SourceTree {
  readonly read = new Set<string>();
  private readonly trees = new Map<string, TreeEntry[]>();

  constructor(
    private readonly gitdir: string,
    readonly commit: string,
    private readonly rootTree: string,
    private readonly blobs: Map<string, string>,
    private readonly cache: object,
  ) {}

  private async blob(oid: string): Promise<string> {
    let b = this.blobs.get(oid);
    if (b === undefined) {
      b = Buffer.from((await git.readBlob({ fs, gitdir: this.gitdir, oid, cache: this.cache })).blob).toString('utf8');
      if (this.blobs.size >= MAX_CACHED_BLOBS) this.blobs.clear();
      this.blobs.set(oid, b);
    }
    return b;
  }

  private async tree(oid: string): Promise<TreeEntry[]> {
    let t = this.trees.get(oid);
    if (!t) {
      t = (await git.readTree({ fs, gitdir: this.gitdir, oid, cache: this.cache })).tree as TreeEntry[];
      this.trees.set(oid, t);
    }
    return t;
  }

  /** Resolves `path` (symlinks followed inside the repository) to its entry; undefined when absent. */
  private async lookup(path: string): Promise<{ path: string; entry: TreeEntry } | undefined> {
    let p = repoPath(path);
    for (let hop = 0; hop <= MAX_SYMLINK_HOPS; hop++) {
      let entry: TreeEntry = { mode: '040000', path: '', oid: this.rootTree, type: 'tree' };
      const parts = p ? p.split('/') : [];
      let redirected = false;
      for (let i = 0; i < parts.length; i++) {
        if (entry.type !== 'tree') return undefined;
        const next = (await this.tree(entry.oid)).find((e) => e.path === parts[i]);
        if (!next) return undefined;
        if (next.mode === '120000') {
          const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid: next.oid, cache: this.cache });
          const linkPath = parts.slice(0, i + 1).join('/');
          const target = symlinkTarget(linkPath, Buffer.from(blob).toString('utf8'));
          p = repoPath([target, ...parts.slice(i + 1)].filter(Boolean).join('/'));
          redirected = true;
          break;
        }
        entry = next;
      }
      if (!redirected) return { path: p, entry };
    }
    throw new Error(`too many symlinks resolving "${path}"`);
  }

  async stat(path: string): Promise<'file' | 'dir' | undefined> {
    const r = await this.lookup(path);
    if (!r) return undefined;
    return r.entry.type === 'tree' ? 'dir' : r.entry.type === 'blob' ? 'file' : undefined;
  }

  async readFile(path: string): Promise<string> {
    const r = await this.lookup(path);
    if (!r || r.entry.type !== 'blob') throw new GitSourceError('PathNotFound', `${repoPath(path) || '.'}: no such file at commit ${this.commit.slice(0, 7)}`);
    this.read.add(r.path);
    return this.blob(r.entry.oid);
  }

  async snapshot(root = ''): Promise<FileSnapshot> {
    const base = repoPath(root);
    const files = new Map<string, string>();
    const dirs = new Map<string, Map<string, 'file' | 'dir'>>();
    const walk = async (repoDir: string, rel: string, depth: number): Promise<void> => {
      if (depth > MAX_SNAPSHOT_DEPTH) throw new GitSourceError('InvalidPath', `${repoDir}: directories nested too deep (a symlink loop?)`);
      const entries = new Map<string, 'file' | 'dir'>();
      dirs.set(rel, entries);
      for (const e of await this.readDir(repoDir)) {
        const childRel = rel ? `${rel}/${e.name}` : e.name;
        entries.set(e.name, e.type);
        if (e.type === 'dir') await walk(e.path, childRel, depth + 1);
        else {
          const r = await this.lookup(e.path);
          files.set(childRel, await this.blob(r!.entry.oid));
        }
      }
    };
    await walk(base, '', 0);
    const read = new Set<string>();
    const norm = (p: string): string => p.split('/').filter((s) => s !== '' && s !== '.').join('/');
    return {
      touched: read,
      list(dir) {
        const d = dirs.get(norm(dir));
        if (!d) throw new GitSourceError('PathNotFound', `${norm(dir) || '.'}: no such directory`);
        return [...d].map(([name, type]) => ({ name, type }));
      },
      read(path) {
        const p = norm(path);
        const c = files.get(p);
        if (c === undefined) throw new GitSourceError('PathNotFound', `${p}: no such file`);
        read.add(p);
        return c;
      },
    };
  }

  async readDir(path: string): Promise<DirEntry[]> {
    const dir = repoPath(path);
    const r = await this.lookup(dir);
    if (!r || r.entry.type !== 'tree') throw new GitSourceError('PathNotFound', `${dir || '.'}: no such directory at commit ${this.commit.slice(0, 7)}`);
    const out: DirEntry[] = [];
    for (const e of await this.tree(r.entry.oid)) {
      const p = joinRepoPath(dir, e.path);
      if (e.mode === '120000') {
        const kind = await this.stat(p);
        if (kind) out.push({ name: e.path, path: p, type: kind });
      } else if (e.type === 'tree' || e.type === 'blob') out.push({ name: e.path, path: p, type: e.type === 'tree' ? 'dir' : 'file' });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
