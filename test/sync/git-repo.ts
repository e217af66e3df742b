/**
 * Real Git repositories for sync tests, made with the git CLI in a temp dir: a working clone whose
 * commits are pushed to a bare repository, as a user would push to berth.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TestRepo {
  /** the bare repository (what Applications point at) */
  bare: string;
  /** the working clone */
  work: string;
  git(...args: string[]): string;
  /** writes files (content undefined deletes; `{ symlink }` makes a link), commits and pushes; returns the sha */
  commit(message: string, files: Record<string, string | undefined | { symlink: string }>, branch?: string): string;
  remove(): void;
}

export function makeRepo(): TestRepo {
  const root = mkdtempSync(join(tmpdir(), 'berth-git-'));
  const bare = join(root, 'origin.git');
  const work = join(root, 'work');
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com' };
  const run = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  mkdirSync(work);
  run(root, ['init', '-q', '--bare', '-b', 'main', bare]);
  run(work, ['init', '-q', '-b', 'main']);
  run(work, ['remote', 'add', 'origin', bare]);
  return {
    bare,
    work,
    git: (...args) => run(work, args),
    commit(message, files, branch = 'main') {
      if (run(work, ['branch', '--show-current']) !== branch) {
        const exists = run(work, ['branch', '--list', branch]) !== '';
        run(work, exists ? ['checkout', '-q', branch] : ['checkout', '-q', '-b', branch]);
      }
      for (const [path, content] of Object.entries(files)) {
        const full = join(work, path);
        rmSync(full, { force: true, recursive: true });
        if (content === undefined) continue;
        mkdirSync(dirname(full), { recursive: true });
        if (typeof content === 'string') writeFileSync(full, content);
        else symlinkSync(content.symlink, full);
      }
      run(work, ['add', '-A']);
      run(work, ['commit', '-q', '--allow-empty', '-m', message]);
      run(work, ['push', '-q', 'origin', branch]);
      return run(work, ['rev-parse', 'HEAD']);
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
