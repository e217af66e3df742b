/**
 * What an Application's render depended on, so a commit that touches none of it can skip the
 * Application (the monorepo case: 100 Applications in one repository, a commit changes one). A
 * render reads files and lists directories; a listed directory depends on every entry directly in
 * it (a file added next to the manifests is a new manifest), a read or stat'ed path on what is at
 * that path. Reads of files that did not exist count too: creating one later changes the render.
 */
import type { FileEntry, FileReader } from '../render/reader.js';

/**
 * The inputs, compact: directories end with `/` (every direct entry counts), files are listed only
 * when their directory is not, so a directory-mode Application records just its directories.
 */
export type RenderInputs = string[];

const norm = (p: string): string => p.split('/').filter((s) => s !== '' && s !== '.').join('/');
const parentOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

/** Wraps `files` so every list and read is recorded; `inputs()` gives them in compact form. */
export function recordingReader(files: FileReader): FileReader & { inputs(): RenderInputs } {
  const dirs = new Set<string>();
  const read = new Set<string>();
  return {
    list(dir: string): FileEntry[] {
      dirs.add(norm(dir));
      return files.list(dir);
    },
    read(path: string): string {
      read.add(norm(path));
      return files.read(path);
    },
    stat(path: string): FileEntry['type'] | undefined {
      const p = norm(path);
      read.add(p);
      if (files.stat) return files.stat(p);
      try {
        return files.list(parentOf(p)).find((e) => e.name === p.slice(p.lastIndexOf('/') + 1))?.type;
      } catch {
        return undefined;
      }
    },
    inputs() {
      const out = [...dirs].map((d) => `${d}/`);
      for (const f of read) if (!dirs.has(parentOf(f))) out.push(f);
      return out.sort();
    },
  };
}

/** True when a change to any of `changed` (repository-relative, as changedPaths gives them) can change a render that read `inputs`. */
export function touches(inputs: RenderInputs, changed: string[]): boolean {
  const files = new Set(inputs.filter((i) => !i.endsWith('/')));
  const dirs = new Set(inputs.filter((i) => i.endsWith('/')).map((d) => d.slice(0, -1)));
  return changed.some((p) => files.has(norm(p)) || dirs.has(parentOf(norm(p))));
}
