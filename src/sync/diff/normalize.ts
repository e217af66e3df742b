/**
 * What a comparison leaves out, applied the same way to the live object and the predicted one:
 * status, managedFields and the metadata the server owns; a Secret's stringData folded into data;
 * and the user's ignoreDifferences (JSON pointers, simple jq paths, fields owned by named managers).
 */
import { decodeManagedFields } from '../../controlplane/api/apply/managers.js';
import type { Path } from '../../controlplane/api/apply/fieldpath.js';
import { deepEqual } from '../../controlplane/api/patch/json-value.js';
import type { KubeObject } from '../../controlplane/resources/types.js';

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** metadata fields the server sets and a manifest never manages */
const SERVER_METADATA = ['managedFields', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/**
 * An Argo CD `ignoreDifferences` entry: which objects (group, kind, optional name and namespace)
 * and what to ignore in them.
 */
export interface IgnoreDifference {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  /** RFC 6901 pointers, `/spec/replicas` */
  jsonPointers?: string[];
  /** only the trivial subset: `.a.b`, `.a["x.y"]`, `.list[]` (every item), `.list[0]` */
  jqPathExpressions?: string[];
  /** fields these managers own in the live object's managedFields */
  managedFieldsManagers?: string[];
}

/** A copy of `obj` without what never counts as drift. */
export function normalize(obj: KubeObject): KubeObject {
  const copy = structuredClone(obj) as KubeObject;
  delete copy.status;
  if (isMap(copy.metadata)) {
    for (const f of SERVER_METADATA) delete copy.metadata[f];
    for (const f of ['labels', 'annotations'] as const) if (isMap(copy.metadata[f]) && Object.keys(copy.metadata[f]!).length === 0) delete copy.metadata[f];
  }
  if (copy.kind === 'Secret' && copy.apiVersion === 'v1' && isMap(copy.stringData)) {
    const data = isMap(copy.data) ? copy.data : {};
    for (const [k, v] of Object.entries(copy.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    copy.data = data;
    delete copy.stringData;
  }
  return copy;
}

/** The rules of `ignore` that apply to `obj`. */
export function rulesFor(obj: KubeObject, ignore: IgnoreDifference[]): IgnoreDifference[] {
  const apiVersion = obj.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return ignore.filter(
    (r) =>
      (r.kind === '*' || r.kind === obj.kind) &&
      (r.group === undefined || r.group === '*' || r.group === group) &&
      (r.name === undefined || r.name === '' || r.name === obj.metadata?.name) &&
      (r.namespace === undefined || r.namespace === '' || r.namespace === obj.metadata?.namespace),
  );
}

/** Removes what `rules` ignore from `obj` (in place); `owners` is the live object, whose managedFields name the owners. */
export function applyIgnores(obj: KubeObject, rules: IgnoreDifference[], owners: KubeObject | undefined): void {
  for (const rule of rules) {
    for (const pointer of rule.jsonPointers ?? []) removeSegments(obj, parsePointer(pointer));
    for (const expr of rule.jqPathExpressions ?? []) removeSegments(obj, parseJqPath(expr));
    if (rule.managedFieldsManagers?.length && owners) {
      for (const path of ownedLeaves(owners, rule.managedFieldsManagers)) removePath(obj, path);
    }
  }
}

type Segment = string | number | '[]';

function parsePointer(pointer: string): Segment[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`ignoreDifferences: JSON pointer ${JSON.stringify(pointer)} must start with /`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The trivial jq paths: `.a.b`, `.a["k"]`, `.a[]`, `.a[2]`. Anything else is an error, never ignored. */
function parseJqPath(expr: string): Segment[] {
  const out: Segment[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\["((?:[^"\\]|\\.)*)"\]|\[(\d*)\]/y;
  let at = 0;
  const text = expr.trim();
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new Error(`ignoreDifferences: jqPathExpression ${JSON.stringify(expr)} is not supported (only .a.b, .a["k"], .a[] and .a[N]); use jsonPointers`);
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(JSON.parse(`"${m[2]}"`) as string);
    else out.push(m[3] === '' ? '[]' : Number(m[3]));
    at = re.lastIndex;
  }
  return out;
}

function removeSegments(node: unknown, segs: Segment[]): void {
  if (segs.length === 0) return;
  const [head, ...rest] = segs;
  if (head === '[]') {
    if (Array.isArray(node)) for (const item of node) removeSegments(item, rest);
    return;
  }
  if (Array.isArray(node)) {
    const i = typeof head === 'number' ? head : /^\d+$/.test(head) ? Number(head) : -1;
    if (i < 0 || i >= node.length) return;
    if (rest.length === 0) node.splice(i, 1);
    else removeSegments(node[i], rest);
  } else if (isMap(node)) {
    const key = String(head);
    if (!(key in node)) return;
    if (rest.length === 0) delete node[key];
    else removeSegments(node[key], rest);
  }
}

/** Paths owned by `managers` in `live` that have no owned paths below them. */
function ownedLeaves(live: KubeObject, managers: string[]): Path[] {
  const paths: Path[] = [];
  for (const m of decodeManagedFields(live.metadata?.managedFields).values()) {
    if (managers.includes(m.manager)) paths.push(...m.fields.paths());
  }
  return paths.filter((p) => !paths.some((q) => q.length > p.length && p.every((pe, i) => deepEqual(pe, q[i]))));
}

/** Removes the value an SMD path names (a map field, a list item by key, value or index). */
function removePath(node: unknown, path: Path): void {
  if (path.length === 0) return;
  const [pe, ...rest] = path;
  if (pe.kind === 'field') {
    if (!isMap(node) || !(pe.name in node)) return;
    if (rest.length === 0) delete node[pe.name];
    else removePath(node[pe.name], rest);
    return;
  }
  if (!Array.isArray(node)) return;
  const index =
    pe.kind === 'index'
      ? pe.index
      : pe.kind === 'value'
        ? node.findIndex((item) => deepEqual(item, pe.value))
        : node.findIndex((item) => isMap(item) && pe.fields.every(([k, v]) => deepEqual(item[k], v)));
  if (index < 0 || index >= node.length) return;
  if (rest.length === 0) node.splice(index, 1);
  else removePath(node[index], rest);
}
