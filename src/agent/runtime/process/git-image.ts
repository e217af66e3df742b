/**
 * Images the process runtime materialises from Git: `image: git.berth.local/NAME@REV` names
 * revision REV (branch, tag or commit; default `main`) of the repository NAME that berth hosts
 * (`berth repo create NAME`, a bare repository in `<data dir>/repos/NAME.git`), so an app can ship
 * its code and its manifests in one repository. The commit is checked out with isomorphic-git once
 * per commit into the agent's image cache (`<agent dir>/images/NAME/<sha>`), which the container
 * starts in, as a container starts in its image's file system.
 */
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import git, { TREE } from 'isomorphic-git';
import { GitSource } from '../../../sync/git/source.js';
import { ConfigError } from './container-env.js';

/** The registry host of berth-hosted repositories in an image reference. */
export const GIT_IMAGE_HOST = 'git.berth.local';

export interface GitImageRef {
  repo: string;
  revision: string;
}

/** `git.berth.local/NAME[@REV]` → its parts; undefined for any other image. */
export function parseGitImage(image: string | undefined): GitImageRef | undefined {
  if (!image?.startsWith(`${GIT_IMAGE_HOST}/`)) return undefined;
  const rest = image.slice(GIT_IMAGE_HOST.length + 1);
  const at = rest.indexOf('@');
  const repo = at < 0 ? rest : rest.slice(0, at);
  const revision = at < 0 ? 'main' : rest.slice(at + 1);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(repo) || repo.endsWith('.git') || !revision || /\s|\.\./.test(revision)) {
    throw new ConfigError(`image "${image}" is not a berth repository image: write ${GIT_IMAGE_HOST}/NAME@REVISION (NAME a repository from \`berth repo create\`, REVISION a branch, tag or commit)`);
  }
  return { repo, revision };
}

/** A materialised image: where it is checked out, and the commit (for the container's imageID). */
export interface GitImage {
  dir: string;
  commit: string;
  imageID: string;
}

export class GitImages {
  private readonly source: GitSource;
  private readonly inflight = new Map<string, Promise<void>>();

  /**
   * `reposDir`: where berth's hosted repositories are (undefined: this agent cannot reach them);
   * `cacheDir`: where checkouts are kept, one per commit.
   */
  constructor(
    private readonly reposDir: string | undefined,
    private readonly cacheDir: string,
  ) {
    this.source = new GitSource({ dataDir: cacheDir });
  }

  /** The checkout of `ref`, made if missing; ConfigError when the repository or revision is not there. */
  async materialize(image: string, ref: GitImageRef): Promise<GitImage> {
    if (!this.reposDir) throw new ConfigError(`image "${image}": this agent has no directory of berth-hosted repositories (berth up gives its agents <data dir>/repos)`);
    const gitdir = join(this.reposDir, `${ref.repo}.git`);
    if (!fs.existsSync(join(gitdir, 'HEAD'))) throw new ConfigError(`image "${image}": berth hosts no repository "${ref.repo}" (create it with \`berth repo create ${ref.repo}\` and push to it)`);
    let commit: string;
    try {
      commit = (await this.source.resolve({ repoURL: gitdir, revision: ref.revision })).commit.sha;
    } catch (e) {
      throw new ConfigError(`image "${image}": ${(e as Error).message} in repository ${ref.repo}`);
    }
    const dir = join(this.cacheDir, ref.repo, commit);
    if (!fs.existsSync(dir)) {
      let p = this.inflight.get(dir);
      if (!p) {
        p = checkout(gitdir, commit, dir).finally(() => this.inflight.delete(dir));
        this.inflight.set(dir, p);
      }
      await p;
    }
    return { dir, commit, imageID: `${GIT_IMAGE_HOST}/${ref.repo}@${commit}` };
  }
}

/** Writes the tree of `commit` into `dir` (through a temporary directory renamed into place, so a half-written checkout is never used). */
async function checkout(gitdir: string, commit: string, dir: string): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  fs.mkdirSync(tmp, { recursive: true });
  try {
    await git.walk({
      fs,
      gitdir,
      trees: [TREE({ ref: commit })],
      async map(path, [entry]) {
        if (!entry || path === '.') return;
        const type = await entry.type();
        const dest = join(tmp, path);
        if (type === 'tree') {
          fs.mkdirSync(dest, { recursive: true });
          return;
        }
        if (type !== 'blob') return; // a submodule: not checked out
        const mode = await entry.mode();
        const content = Buffer.from((await entry.content()) ?? new Uint8Array());
        fs.mkdirSync(dirname(dest), { recursive: true });
        if (mode === 0o120000) fs.symlinkSync(content.toString('utf8'), dest);
        else fs.writeFileSync(dest, content, { mode: mode === 0o100755 ? 0o755 : 0o644 });
      },
    });
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      // another agent process checked the same commit out first
      if (!fs.existsSync(dir)) throw e;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
