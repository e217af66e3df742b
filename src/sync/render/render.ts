/**
 * An Application's manifests from a tree of files: a kustomization when the path has one,
 * otherwise every `.yaml`/`.yml`/`.json` file of the directory (recursively if asked, filtered by
 * include/exclude globs). Returns the objects with where each was written, and every file read, so
 * a commit that touches none of them can skip the Application.
 */
import { parseManifests, type RenderedObject } from './documents.js';
import { RenderError } from './errors.js';
import { globMatcher } from './glob.js';
import { buildKustomization, findKustomization, KUSTOMIZATION_FILES, objectKey } from './kustomize.js';
import { resolvePath, type FileReader } from './reader.js';

/** What to render. */
export interface RenderOptions {
  /** the Application's directory, relative to the repository root ('' or '.' = root) */
  path: string;
  /** directory mode: also read subdirectories */
  recurse?: boolean;
  /** directory mode: only files matching one of these globs (see glob.ts) */
  include?: string[];
  /** directory mode: skip files matching one of these globs */
  exclude?: string[];
}

/** The objects rendered and the files read to render them (sorted, relative to the root). */
export interface RenderResult {
  objects: RenderedObject[];
  filesRead: string[];
}

const MANIFEST = /\.(ya?ml|json)$/;

/**
 * Renders the Application at `opts.path`. Throws RenderError (file, line, column, hint) on bad
 * YAML, objects without apiVersion/kind/metadata.name, duplicates, paths outside the root, and
 * kustomization fields outside the supported subset.
 */
export function render(files: FileReader, opts: RenderOptions): RenderResult {
  const root = resolvePath('', opts.path, { file: opts.path });
  const filesRead = new Set<string>();
  let objects: RenderedObject[];
  if (findKustomization(files, root) !== undefined) objects = buildKustomization(files, root, filesRead);
  else {
    let listed;
    try {
      listed = listManifests(files, root, opts.recurse === true, '');
    } catch (e) {
      if (e instanceof RenderError) throw e;
      throw new RenderError({ file: root || '.', message: `cannot list ${root || 'the repository root'}`, hint: 'check the Application path' });
    }
    const include = (opts.include ?? []).map(globMatcher);
    const exclude = (opts.exclude ?? []).map(globMatcher);
    objects = [];
    for (const rel of listed) {
      if (include.length > 0 && !include.some((m) => m(rel))) continue;
      if (exclude.some((m) => m(rel))) continue;
      const file = root === '' ? rel : `${root}/${rel}`;
      filesRead.add(file);
      objects.push(...parseManifests(file, files.read(file)));
    }
  }
  const seen = new Map<string, RenderedObject>();
  for (const o of objects) {
    const key = objectKey(o.object);
    const first = seen.get(key);
    if (first) {
      throw new RenderError({
        ...o.source,
        message: `${o.object.kind} ${o.object.metadata?.name} is also defined at ${first.source.file}:${first.source.line}`,
        hint: 'keep one definition, or give them different names',
      });
    }
    seen.set(key, o);
  }
  return { objects, filesRead: [...filesRead].sort() };
}

/** Manifest files under `dir`, relative to it, sorted; a nested kustomization is an error. */
function listManifests(files: FileReader, dir: string, recurse: boolean, rel: string): string[] {
  const out: string[] = [];
  const here = rel === '' ? dir : dir === '' ? rel : `${dir}/${rel}`;
  for (const e of [...files.list(here)].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const child = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.type === 'dir') {
      if (recurse) out.push(...listManifests(files, dir, recurse, child));
    } else if (KUSTOMIZATION_FILES.includes(e.name) && rel !== '') {
      throw new RenderError({
        file: here === '' ? e.name : `${here}/${e.name}`,
        message: 'a kustomization below a plain-directory Application is not built',
        hint: 'point the Application path at the kustomization, or reference it from a root kustomization.yaml',
      });
    } else if (MANIFEST.test(e.name)) out.push(child);
  }
  return out;
}
