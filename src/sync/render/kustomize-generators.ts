/**
 * configMapGenerator and secretGenerator: ConfigMaps and Secrets built from literals, files and env
 * files, and the content hash kustomize appends to their names (sha256 of the JSON of kind, name,
 * data [, binaryData | type, stringData], first 10 hex digits with vowel-like digits swapped).
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { RenderError } from './errors.js';
import { checkWithin, dirname, resolvePath, type FileReader } from './reader.js';

/** Kustomization-wide `generatorOptions` or one generator's `options`. */
export interface GeneratorOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  disableNameSuffixHash?: boolean;
  immutable?: boolean;
}

/** One configMapGenerator/secretGenerator entry. */
export interface GeneratorArgs {
  name?: string;
  namespace?: string;
  behavior?: string;
  literals?: string[];
  files?: string[];
  envs?: string[];
  env?: string;
  type?: string;
  options?: GeneratorOptions;
}

const GENERATOR_FIELDS = new Set(['name', 'namespace', 'behavior', 'literals', 'files', 'envs', 'env', 'type', 'options']);
const OPTION_FIELDS = new Set(['labels', 'annotations', 'disableNameSuffixHash', 'immutable']);

/** Where a generator is declared, for errors and for the generated object's source. */
export interface GeneratorSite {
  file: string;
  line: number;
  field: 'configMapGenerator' | 'secretGenerator';
}

/** A generated object, and whether its name still needs the content hash. */
export interface Generated {
  object: KubeObject;
  needsHash: boolean;
}

/** Builds one ConfigMap or Secret from its generator entry. */
export function generate(files: FileReader, args: GeneratorArgs, global: GeneratorOptions | undefined, site: GeneratorSite, filesRead: Set<string>): Generated {
  const fail = (message: string, hint: string): never => {
    throw new RenderError({ file: site.file, line: site.line, message: `${site.field}: ${message}`, hint });
  };
  for (const key of Object.keys(args)) if (!GENERATOR_FIELDS.has(key)) fail(`field ${JSON.stringify(key)} is not supported`, 'see docs/kustomize.md for the supported subset');
  for (const key of Object.keys(args.options ?? {})) if (!OPTION_FIELDS.has(key)) fail(`options.${key} is not supported`, 'see docs/kustomize.md for the supported subset');
  if (typeof args.name !== 'string' || args.name === '') fail('a generator needs a name', 'add name');
  if (args.behavior !== undefined && args.behavior !== 'create') fail(`behavior ${JSON.stringify(args.behavior)} is not supported`, 'only behavior: create is supported; generate a new object instead');
  const base = dirname(site.file);
  const data: Record<string, string> = {};
  const add = (key: string, value: string): void => {
    if (key in data) fail(`key ${JSON.stringify(key)} is set twice in ${args.name}`, 'give each key once');
    data[key] = value;
  };
  for (const lit of args.literals ?? []) {
    const eq = lit.indexOf('=');
    if (eq <= 0) fail(`literal ${JSON.stringify(lit)} is not KEY=VALUE`, 'write literals as KEY=VALUE');
    add(lit.slice(0, eq), unquote(lit.slice(eq + 1)));
  }
  for (const spec of args.files ?? []) {
    const eq = spec.indexOf('=');
    const key = eq < 0 ? spec.slice(spec.lastIndexOf('/') + 1) : spec.slice(0, eq);
    const path = checkWithin(base, resolvePath(base, eq < 0 ? spec : spec.slice(eq + 1), site), site);
    add(key, readFile(files, path, site, filesRead));
  }
  for (const envFile of [...(args.env ? [args.env] : []), ...(args.envs ?? [])]) {
    const path = checkWithin(base, resolvePath(base, envFile, site), site);
    const text = readFile(files, path, site, filesRead);
    text.split('\n').forEach((raw, i) => {
      const line = raw.replace(/\r$/, '').trimStart();
      if (line === '' || line.startsWith('#')) return;
      const eq = line.indexOf('=');
      if (eq <= 0) throw new RenderError({ file: path, line: i + 1, message: `line is not KEY=VALUE: ${JSON.stringify(line)}`, hint: 'write env files as KEY=VALUE lines' });
      add(line.slice(0, eq), line.slice(eq + 1));
    });
  }
  const options = { ...global, ...args.options, labels: { ...global?.labels, ...args.options?.labels }, annotations: { ...global?.annotations, ...args.options?.annotations } };
  const metadata: Record<string, unknown> = { name: args.name };
  if (args.namespace) metadata.namespace = args.namespace;
  if (Object.keys(options.labels).length > 0) metadata.labels = options.labels;
  if (Object.keys(options.annotations).length > 0) metadata.annotations = options.annotations;
  const object: KubeObject =
    site.field === 'configMapGenerator'
      ? { apiVersion: 'v1', kind: 'ConfigMap', metadata, ...(Object.keys(data).length > 0 ? { data } : {}) }
      : {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata,
          type: args.type ?? 'Opaque',
          ...(Object.keys(data).length > 0 ? { data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])) } : {}),
        };
  if (options.immutable) object.immutable = true;
  return { object, needsHash: options.disableNameSuffixHash !== true };
}

function readFile(files: FileReader, path: string, site: GeneratorSite, filesRead: Set<string>): string {
  try {
    const text = files.read(path);
    filesRead.add(path);
    return text;
  } catch {
    throw new RenderError({ file: site.file, line: site.line, message: `${site.field}: cannot read ${path}`, hint: 'check that the file exists in the repository' });
  }
}

/** kustomize strips one pair of matching quotes around a literal's value. */
function unquote(v: string): string {
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) return v.slice(1, -1);
  return v;
}

/**
 * The suffix kustomize appends (`-<hash>`) to a generated ConfigMap or Secret with this content.
 * As kustomize v5's hasher does, the name always hashes as "" (its lookup of `metadata/name` finds
 * nothing), so only data, binaryData (ConfigMap) and type, stringData (Secret) count.
 */
export function nameHash(obj: KubeObject): string {
  const mapOr = (v: unknown): unknown => (v && typeof v === 'object' ? v : '');
  const m: Record<string, unknown> = { kind: obj.kind, name: '', data: mapOr(obj.data) };
  if (obj.kind === 'Secret') {
    m.type = typeof obj.type === 'string' ? obj.type : '';
    if (obj.stringData && typeof obj.stringData === 'object') m.stringData = obj.stringData;
  } else if (obj.binaryData && typeof obj.binaryData === 'object') m.binaryData = obj.binaryData;
  const hex = createHash('sha256').update(goJson(m)).digest('hex');
  const swap: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return [...hex.slice(0, 10)].map((c) => swap[c] ?? c).join('');
}

/** JSON as Go's encoding/json writes it: map keys sorted, HTML characters escaped. */
function goJson(v: unknown): string {
  const sorted = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sorted);
    if (x && typeof x === 'object') return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sorted((x as Record<string, unknown>)[k])]));
    return x;
  };
  return JSON.stringify(sorted(v)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
