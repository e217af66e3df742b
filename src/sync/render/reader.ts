/**
 * How rendering reads files: through an injected `FileReader`, so the sync engine can feed it a Git
 * tree and tests an in-memory map. Paths are POSIX, relative to the reader's root ('' is the root),
 * and never leave it.
 */
import { RenderError } from './errors.js';

/** One entry of a directory listing. */
export interface FileEntry {
  name: string;
  type: 'file' | 'dir';
}

/** Read-only access to a tree of files; `dir` and `path` are relative to the root ('' = root). */
export interface FileReader {
  /** the entries of a directory; throws if it does not exist */
  list(dir: string): FileEntry[];
  /** a file's content as UTF-8; throws if it does not exist */
  read(path: string): string;
  /** what is at `path`, when the reader can say without listing its directory (records a narrower dependency) */
  stat?(path: string): FileEntry['type'] | undefined;
}

/**
 * Joins `rel` onto `base` and normalizes it. A result outside the root (too many `..`) or an
 * absolute `rel` is a RenderError blamed on `from` (the file that named the path).
 */
export function resolvePath(base: string, rel: string, from: { file: string; line?: number }): string {
  if (rel.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(rel)) {
    throw new RenderError({ ...from, message: `absolute path ${JSON.stringify(rel)}`, hint: 'use a path relative to the file that names it' });
  }
  const out: string[] = [];
  for (const part of `${base}/${rel}`.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) {
        throw new RenderError({ ...from, message: `path ${JSON.stringify(rel)} leaves the repository`, hint: 'reference only files inside the repository' });
      }
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

/**
 * kustomize's load restriction: files a kustomization reads must be in or below its directory
 * (other kustomization directories may be anywhere in the repository).
 */
export function checkWithin(base: string, path: string, from: { file: string; line?: number }): string {
  if (base === '' || path.startsWith(`${base}/`)) return path;
  throw new RenderError({ ...from, message: `${path} is not in or below ${base}`, hint: 'move the file below the kustomization, or make its directory a kustomization and list the directory' });
}

/** The directory part of a normalized path ('' for a file at the root). */
export function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** A FileReader over a map of path → content (directories are implied by the paths). */
export function memoryReader(files: Record<string, string>): FileReader {
  const norm = (p: string): string => p.split('/').filter((s) => s !== '' && s !== '.').join('/');
  const contents = new Map(Object.entries(files).map(([p, c]) => [norm(p), c]));
  return {
    list(dir) {
      const prefix = norm(dir) === '' ? '' : `${norm(dir)}/`;
      const entries = new Map<string, FileEntry['type']>();
      for (const p of contents.keys()) {
        if (!p.startsWith(prefix)) continue;
        const [name, ...rest] = p.slice(prefix.length).split('/');
        entries.set(name, rest.length > 0 ? 'dir' : 'file');
      }
      if (entries.size === 0 && prefix !== '') throw new Error(`no such directory: ${dir}`);
      return [...entries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, type]) => ({ name, type }));
    },
    read(path) {
      const c = contents.get(norm(path));
      if (c === undefined) throw new Error(`no such file: ${path}`);
      return c;
    },
  };
}
