/**
 * `kubectl cp` out of a pod runs `tar cf - /data/file` and accepts only members named after that
 * path (`data/file`); anything else is "tar contents corrupted". The process runtime rewrites a
 * mountPath in exec arguments to the volume's directory on the node, so tar would name the members
 * after the node's directory instead. For GNU tar, each rewritten path argument gets a
 * `--transform` that names the members after the pod's path again (and `-C /data` of a copy into
 * the pod keeps working as it was: its members are relative).
 */
import { execFileSync } from 'node:child_process';
import { basename, resolve } from 'node:path';
import { onPath } from './pid-namespace.js';

const gnu = new Map<string, boolean>();

/** Whether the tar at `file` is GNU tar (the only one with --transform); asked once per path. */
function isGnuTar(file: string): boolean {
  let known = gnu.get(file);
  if (known === undefined) {
    try {
      known = execFileSync(file, ['--version'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).includes('GNU tar');
    } catch {
      known = false;
    }
    gnu.set(file, known);
  }
  return known;
}

/** `s` as a POSIX basic regular expression matching itself. */
function bre(s: string): string {
  return s.replace(/[\\.*[\]^$]/g, '\\$&');
}

/**
 * A GNU tar --transform expression renaming members at or under `from` (a path on the node) to
 * `to` (the pod's path); undefined when both use every delimiter there is to choose from.
 */
export function transformFor(from: string, to: string): string | undefined {
  const member = (p: string) => p.replace(/^\/+/, '').replace(/\/+$/, '');
  const [f, t] = [member(from), member(to)];
  const delim = [',', '|', '#', '%', '!', '@', '~', ';'].find((d) => !f.includes(d) && !t.includes(d));
  if (!delim || !f) return undefined;
  return `s${delim}^${bre(f)}\\(/\\|$\\)${delim}${t.replace(/[\\&]/g, '\\$&')}\\1${delim}`;
}

/**
 * The argv to run for `original` whose arguments were rewritten to `rewritten`: unchanged unless
 * it is GNU tar and a path argument was rewritten; then a `--transform` per such argument goes
 * before a `--` (options after it would be operands) or at the end (the first argument may be
 * tar's bundled `cf`, which must stay first).
 */
export function tarArgv(original: string[], rewritten: string[], cwd: string, path: string | undefined): string[] {
  const file = rewritten[0] ?? '';
  if (basename(file) !== 'tar') return rewritten;
  const transforms: string[] = [];
  for (let i = 1; i < rewritten.length; i++) {
    if (rewritten[i] === original[i] || !original[i].startsWith('/') || !rewritten[i].startsWith('/')) continue;
    const t = transformFor(rewritten[i], original[i]);
    if (t) transforms.push(`--transform=${t}`);
  }
  if (transforms.length === 0) return rewritten;
  const resolved = file.includes('/') ? resolve(cwd, file) : onPath(file, path);
  if (!resolved || !isGnuTar(resolved)) return rewritten;
  const end = rewritten.indexOf('--');
  return end < 0 ? [...rewritten, ...transforms] : [...rewritten.slice(0, end), ...transforms, ...rewritten.slice(end)];
}
