/**
 * Builds a kustomization directory the way `kustomize build` does, for the subset documented in
 * docs/kustomize.md: resources (files and nested kustomizations), generators, patches (strategic
 * merge and JSON 6902), namespace, namePrefix/nameSuffix, commonLabels, commonAnnotations,
 * replicas and images, then — once, at the top — hash suffixes on generated names and references
 * to renamed objects. A field outside the subset is an error naming it, never ignored.
 */
import { isMap as isYamlMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import { StatusError } from '../../controlplane/api/errors.js';
import { applyJsonPatch } from '../../controlplane/api/patch/json-patch.js';
import { applyStrategicMergePatch } from '../../controlplane/api/patch/strategic-merge.js';
import { registry } from '../../controlplane/resources/registry.js';
import type { KubeObject, SchemaNode } from '../../controlplane/resources/types.js';
import { parseManifests, parseYamlDocuments, type RenderedObject } from './documents.js';
import { RenderError } from './errors.js';
import { generate, nameHash, type GeneratorArgs, type GeneratorOptions } from './kustomize-generators.js';
import { addAnnotations, addLabels, fixReferences, isNamespaced, setImages, type ImageOverride, type Renames } from './kustomize-transform.js';
import { checkWithin, dirname, resolvePath, type FileReader } from './reader.js';

/** The file names kustomize looks for, in its order. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

const SUPPORTED_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'resources',
  'bases',
  'namePrefix',
  'nameSuffix',
  'namespace',
  'commonLabels',
  'commonAnnotations',
  'images',
  'replicas',
  'patches',
  'patchesStrategicMerge',
  'patchesJson6902',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
]);

/** The kinds `replicas` sets spec.replicas of. */
const SCALABLE = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'ReplicationController']);

/** An object being built, with every name it has had (kustomize's "previous ids"). */
interface Resource {
  object: KubeObject;
  source: { file: string; line: number };
  names: string[];
  needsHash: boolean;
}

/** A patch's target selector (`patches[].target`, `patchesJson6902[].target`). */
interface PatchTarget {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The kustomization file of `dir`, if it has one. */
export function findKustomization(files: FileReader, dir: string): string | undefined {
  let entries;
  try {
    entries = files.list(dir);
  } catch {
    return undefined;
  }
  const name = KUSTOMIZATION_FILES.find((f) => entries.some((e) => e.type === 'file' && e.name === f));
  return name === undefined ? undefined : dir === '' ? name : `${dir}/${name}`;
}

/** Builds the kustomization in `dir`; every file it reads is added to `filesRead`. */
export function buildKustomization(files: FileReader, dir: string, filesRead: Set<string>): RenderedObject[] {
  const resources = accumulate(files, dir, filesRead, []);
  for (const r of resources) {
    if (!r.needsHash) continue;
    const meta = r.object.metadata!;
    meta.name = `${meta.name}-${nameHash(r.object)}`;
    r.names.push(meta.name);
  }
  const byNamespace = new Map<string, Renames>();
  for (const r of resources) {
    const current = r.names[r.names.length - 1];
    const ns = r.object.metadata?.namespace ?? '';
    const renames = byNamespace.get(ns) ?? new Map<string, Map<string, string>>();
    byNamespace.set(ns, renames);
    const forKind = renames.get(r.object.kind!) ?? new Map<string, string>();
    renames.set(r.object.kind!, forKind);
    for (const old of r.names) if (old !== current) forKind.set(old, current);
  }
  for (const r of resources) {
    const renames = byNamespace.get(r.object.metadata?.namespace ?? '');
    if (renames) fixReferences(r.object, renames);
  }
  return resources.map((r) => ({ object: r.object, source: r.source }));
}

function accumulate(files: FileReader, dir: string, filesRead: Set<string>, stack: string[]): Resource[] {
  const file = findKustomization(files, dir);
  if (file === undefined) {
    throw new RenderError({ file: dir || '.', message: 'directory has no kustomization.yaml', hint: 'add a kustomization.yaml or list its files one by one' });
  }
  if (stack.includes(file)) {
    throw new RenderError({ file, message: `kustomizations include each other: ${[...stack, file].join(' → ')}`, hint: 'remove the cycle from resources' });
  }
  const text = files.read(file);
  filesRead.add(file);
  const docs = parseYamlDocuments(file, text);
  const doc = docs.find((d) => d.value !== null && d.value !== undefined);
  if (docs.length > 1 || !doc || !isMap(doc.value)) {
    throw new RenderError({ file, line: 1, message: 'a kustomization must be one YAML mapping', hint: 'write the kustomization as a single document' });
  }
  const k = doc.value;
  const node = doc.node as YAMLMap | null;
  const lineOf = (field: string, index?: number): number => {
    const pair = isYamlMap(node) ? node.items.find((p) => isScalar(p.key) && p.key.value === field) : undefined;
    if (index === undefined) return doc.lineOf(pair?.key) ?? doc.line;
    const value = pair?.value as Node | undefined;
    const item = index !== undefined && isSeq(value) ? (value.items[index] as Node | undefined) : undefined;
    return doc.lineOf(item ?? value) ?? doc.line;
  };
  const fail = (field: string, message: string, hint: string, index?: number): never => {
    throw new RenderError({ file, line: lineOf(field, index), message, hint });
  };
  for (const field of Object.keys(k)) {
    if (!SUPPORTED_FIELDS.has(field)) fail(field, `kustomization field ${JSON.stringify(field)} is not supported by berth`, 'remove it or render with kustomize in CI; docs/kustomize.md lists the supported fields');
  }
  if (k.kind !== undefined && k.kind !== 'Kustomization') fail('kind', `kind ${JSON.stringify(k.kind)} is not supported`, 'use kind: Kustomization (components are not supported)');
  const list = <T>(field: string): T[] => {
    const v = k[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) fail(field, `${field} must be a list`, `write ${field} as a YAML list`);
    return v as T[];
  };
  const stringMap = (field: string): Record<string, string> => {
    const v = k[field] ?? {};
    if (!isMap(v) || Object.values(v).some((x) => typeof x !== 'string')) fail(field, `${field} must map names to strings`, 'quote values such as "true" or "1"');
    return v as Record<string, string>;
  };

  const out: Resource[] = [];
  const base = dirname(file);
  const entries = [...list<unknown>('resources').map((r, i) => ['resources', r, i] as const), ...list<unknown>('bases').map((r, i) => ['bases', r, i] as const)];
  for (const [field, entry, index] of entries) {
    const at = { file, line: lineOf(field, index) };
    if (typeof entry !== 'string') fail(field, `${field} entries must be paths`, 'list relative paths to files or directories', index);
    const ref = entry as string;
    if (/^[a-z]+:\/\//i.test(ref) || ref.startsWith('git@') || ref.startsWith('github.com/')) {
      fail(field, `remote resource ${JSON.stringify(ref)} is not supported`, 'vendor the remote base into this repository', index);
    }
    const path = resolvePath(base, ref, at);
    const kind = entryType(files, path);
    if (kind === undefined) fail(field, `${ref} does not exist`, 'check the path relative to the kustomization', index);
    if (kind === 'dir') out.push(...accumulate(files, path, filesRead, [...stack, file]));
    else {
      checkWithin(base, path, at);
      filesRead.add(path);
      for (const r of parseManifests(path, files.read(path))) out.push({ object: r.object, source: r.source, names: [r.object.metadata!.name!], needsHash: false });
    }
  }

  const globalOptions = k.generatorOptions as GeneratorOptions | undefined;
  for (const field of ['configMapGenerator', 'secretGenerator'] as const) {
    list<GeneratorArgs>(field).forEach((args, index) => {
      const site = { file, line: lineOf(field, index), field };
      const g = generate(files, args, globalOptions, site, filesRead);
      out.push({ object: g.object, source: { file, line: site.line }, names: [g.object.metadata!.name!], needsHash: g.needsHash });
    });
  }
  checkDuplicates(out);

  /** A patch's text, where it lives (an inline patch is blamed on its kustomization entry), and its target. */
  const resolvePatch = (field: string, index: number, entry: unknown): { text: string; file: string; line: number; inline: boolean; target?: PatchTarget } => {
    const line = lineOf(field, index);
    if (typeof entry === 'string') {
      // patchesStrategicMerge: a path or an inline patch
      if (entry.includes('\n') || entry.trimStart().startsWith('{')) return { text: entry, file, line, inline: true };
      const path = checkWithin(base, resolvePath(base, entry, { file, line }), { file, line });
      return { text: readOrFail(files, path, file, line, filesRead), file: path, line: 1, inline: false };
    }
    if (!isMap(entry)) return fail(field, `${field} entries must be mappings`, 'give path or patch, and target', index);
    for (const key of Object.keys(entry)) {
      if (!['path', 'patch', 'target', 'options'].includes(key)) fail(field, `${field}[${index}].${key} is not supported`, 'use path, patch and target', index);
    }
    if (entry.options !== undefined) fail(field, `${field}[${index}].options is not supported`, 'remove options', index);
    const target = entry.target as PatchTarget | undefined;
    if (typeof entry.patch === 'string') return { text: entry.patch, file, line, inline: true, target };
    if (typeof entry.path === 'string') {
      const path = checkWithin(base, resolvePath(base, entry.path, { file, line }), { file, line });
      return { text: readOrFail(files, path, file, line, filesRead), file: path, line: 1, inline: false, target };
    }
    return fail(field, `${field}[${index}] has neither path nor patch`, 'add path (a file) or patch (inline)', index);
  };

  const runPatches = (field: string, json6902Only: boolean): void => {
    list<unknown>(field).forEach((entry, index) => {
      const p = resolvePatch(field, index, entry);
      const docs = parseYamlDocuments(p.file, p.text)
        .filter((d) => d.value !== null && d.value !== undefined)
        .map((d) => (p.inline ? { ...d, line: p.line } : d));
      if (docs.length === 1 && Array.isArray(docs[0].value)) {
        if (!p.target) fail(field, 'a JSON 6902 patch needs a target', 'add target with kind and name', index);
        for (const r of select(out, p.target!)) applyJson6902(r, docs[0].value, p.file, docs[0].line);
        return;
      }
      if (json6902Only) fail(field, 'patchesJson6902 entries must be JSON 6902 operation lists', 'write a list of {op, path, value}', index);
      for (const d of docs) {
        if (!isMap(d.value)) throw new RenderError({ file: p.file, line: d.line, message: 'a strategic merge patch must be a mapping', hint: 'write the patch as a partial object' });
        applyStrategicMerge(out, d.value as KubeObject, p.target, p.file, d.line);
      }
    });
  };

  runPatches('patchesStrategicMerge', false);
  runPatches('patches', false);

  const namespace = k.namespace;
  if (namespace !== undefined) {
    if (typeof namespace !== 'string') fail('namespace', 'namespace must be a string', 'write namespace: NAME');
    for (const r of out) {
      if (isNamespaced(r.object)) r.object.metadata!.namespace = namespace as string;
      else if (r.object.kind === 'Namespace' && r.object.apiVersion === 'v1') {
        r.object.metadata!.name = namespace as string;
        r.names.push(namespace as string);
      }
    }
  }
  const prefix = k.namePrefix ?? '';
  const suffix = k.nameSuffix ?? '';
  if (typeof prefix !== 'string' || typeof suffix !== 'string') fail('namePrefix', 'namePrefix and nameSuffix must be strings', 'quote them');
  if (prefix || suffix) {
    for (const r of out) {
      if (r.object.kind === 'CustomResourceDefinition' || r.object.kind === 'Namespace') continue;
      const meta = r.object.metadata!;
      meta.name = `${prefix}${meta.name}${suffix}`;
      r.names.push(meta.name);
    }
  }
  const labels = stringMap('commonLabels');
  if (Object.keys(labels).length > 0) for (const r of out) addLabels(r.object, labels);
  const annotations = stringMap('commonAnnotations');
  if (Object.keys(annotations).length > 0) for (const r of out) addAnnotations(r.object, annotations);
  runPatches('patchesJson6902', true);

  list<{ name?: unknown; count?: unknown }>('replicas').forEach((rep, index) => {
    if (typeof rep.name !== 'string' || typeof rep.count !== 'number') fail('replicas', 'replicas entries need name and count', 'write {name: NAME, count: N}', index);
    const matched = out.filter((r) => r.names.includes(rep.name as string) && SCALABLE.has(r.object.kind ?? '') && isMap(r.object.spec));
    if (matched.length === 0) fail('replicas', `replicas: no object named ${rep.name as string}`, 'name a Deployment, ReplicaSet or StatefulSet of this kustomization', index);
    for (const r of matched) (r.object.spec as Json).replicas = rep.count;
  });

  const images = list<ImageOverride>('images');
  images.forEach((img, index) => {
    if (!isMap(img) || typeof img.name !== 'string') fail('images', 'images entries need a name', 'write {name, newName?, newTag?, digest?}', index);
    for (const key of Object.keys(img)) if (!['name', 'newName', 'newTag', 'digest'].includes(key)) fail('images', `images[${index}].${key} is not supported`, 'use name, newName, newTag, digest', index);
  });
  if (images.length > 0) for (const r of out) setImages(r.object, images);
  return out;
}

function entryType(files: FileReader, path: string): 'file' | 'dir' | undefined {
  if (path === '') return 'dir';
  if (files.stat) return files.stat(path);
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  try {
    return files.list(slash < 0 ? '' : path.slice(0, slash)).find((e) => e.name === name)?.type;
  } catch {
    return undefined;
  }
}

function readOrFail(files: FileReader, path: string, from: string, line: number, filesRead: Set<string>): string {
  try {
    const text = files.read(path);
    filesRead.add(path);
    return text;
  } catch {
    throw new RenderError({ file: from, line, message: `cannot read ${path}`, hint: 'check the path relative to the kustomization' });
  }
}

/** The identity kustomize keys resources by: group, kind, namespace, name. */
export function objectKey(obj: KubeObject): string {
  const apiVersion = obj.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return `${group}/${obj.kind}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`;
}

function checkDuplicates(resources: Resource[]): void {
  const seen = new Map<string, Resource>();
  for (const r of resources) {
    const key = objectKey(r.object);
    const first = seen.get(key);
    if (first) {
      throw new RenderError({
        ...r.source,
        message: `${r.object.kind} ${r.object.metadata?.name} is also defined at ${first.source.file}:${first.source.line}`,
        hint: 'keep one definition, or give them different names',
      });
    }
    seen.set(key, r);
  }
}

function schemaOf(obj: KubeObject): SchemaNode {
  return registry.findKind(obj.apiVersion ?? '', obj.kind ?? '')?.schema() ?? { preserveUnknownFields: true };
}

function parseSelector(selector: string): Array<(labels: Record<string, string>) => boolean> {
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return terms.map((raw) => {
    const term = raw.trim();
    const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (set) {
      const values = set[3].split(',').map((v) => v.trim());
      return (l) => (set[2] === 'in') === (set[1] in l && values.includes(l[set[1]]));
    }
    const op = /^([^!=]+?)\s*(!=|==|=)\s*(.*)$/.exec(term);
    if (op) return (l) => (op[2] === '!=' ? l[op[1]] !== op[3] : l[op[1]] === op[3]);
    if (term.startsWith('!')) return (l) => !(term.slice(1) in l);
    return (l) => term in l;
  });
}

function select(resources: Resource[], target: PatchTarget): Resource[] {
  const nameRe = target.name === undefined ? undefined : new RegExp(`^(?:${target.name})$`);
  const labelTerms = target.labelSelector ? parseSelector(target.labelSelector) : [];
  const annotationTerms = target.annotationSelector ? parseSelector(target.annotationSelector) : [];
  return resources.filter((r) => {
    const o = r.object;
    const [group, version] = (o.apiVersion ?? '').includes('/') ? o.apiVersion!.split('/') : ['', o.apiVersion];
    if (target.kind !== undefined && target.kind !== o.kind) return false;
    if (target.group !== undefined && target.group !== group) return false;
    if (target.version !== undefined && target.version !== version) return false;
    if (target.namespace !== undefined && target.namespace !== (o.metadata?.namespace ?? '')) return false;
    if (nameRe && !r.names.some((n) => nameRe.test(n))) return false;
    if (!labelTerms.every((t) => t(o.metadata?.labels ?? {}))) return false;
    return annotationTerms.every((t) => t(o.metadata?.annotations ?? {}));
  });
}

function applyStrategicMerge(resources: Resource[], patch: KubeObject, target: PatchTarget | undefined, file: string, line: number): void {
  const fail = (message: string, hint: string): never => {
    throw new RenderError({ file, line, message, hint });
  };
  let matched: Resource[];
  if (target) matched = select(resources, target);
  else {
    if (!patch.kind || !patch.metadata?.name) fail('a strategic merge patch without target needs kind and metadata.name', 'add them, or a target');
    const group = (patch.apiVersion ?? '').includes('/') ? patch.apiVersion!.split('/')[0] : undefined;
    matched = select(resources, { kind: patch.kind, group, name: escapeRegex(patch.metadata!.name!), namespace: patch.metadata?.namespace });
    if (matched.length === 0) fail(`patch target ${patch.kind} ${patch.metadata!.name} not found`, 'patch an object listed in resources');
  }
  const body = structuredClone(patch) as Json;
  if (isMap(body.metadata)) {
    delete body.metadata.name;
    delete body.metadata.namespace;
  }
  if (body.$patch === 'delete') {
    for (const r of matched) resources.splice(resources.indexOf(r), 1);
    return;
  }
  for (const r of matched) {
    body.apiVersion = r.object.apiVersion;
    body.kind = r.object.kind;
    try {
      r.object = applyStrategicMergePatch(r.object, body, schemaOf(r.object)) as KubeObject;
    } catch (e) {
      fail(`patch does not apply to ${r.object.kind} ${r.object.metadata?.name}: ${e instanceof StatusError || e instanceof Error ? e.message : String(e)}`, 'fix the patch');
    }
  }
}

function applyJson6902(r: Resource, ops: unknown, file: string, line: number): void {
  try {
    const result = applyJsonPatch(r.object, ops);
    if (!isMap(result)) throw new Error('the patch replaced the whole object with a non-object');
    r.object = result as KubeObject;
  } catch (e) {
    throw new RenderError({ file, line, message: `JSON patch does not apply to ${r.object.kind} ${r.object.metadata?.name}: ${e instanceof Error ? e.message : String(e)}`, hint: 'fix the operation paths' });
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
