/**
 * Field paths as structured-merge-diff (SMD) names them: a path is a list of elements, each a
 * field name (`f:spec`), the key of an item of a map-list (`k:{"name":"nginx"}`), the value of an
 * item of a set (`v:"example.com/a"`) or a list index (`i:0`, only for lists of unknown type).
 * Elements have a total order (SMD `PathElement.Compare`), which fixes the order of `fieldsV1`.
 */
import { isObject } from '../patch/json-value.js';

export type PathElement =
  | { kind: 'field'; name: string }
  /** key fields sorted by name */
  | { kind: 'key'; fields: Array<[string, unknown]> }
  | { kind: 'value'; value: unknown }
  | { kind: 'index'; index: number };

export type Path = readonly PathElement[];

export function fieldElement(name: string): PathElement {
  return { kind: 'field', name };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function valueRank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (isObject(v)) return 4;
  return 5;
}

/** SMD `value.Compare`: numbers < strings < booleans < lists < maps < null, then by content. */
function compareValues(a: unknown, b: unknown): number {
  const ra = valueRank(a);
  const rb = valueRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareValues(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (isObject(a) && isObject(b)) return compareFields(Object.keys(a).sort().map((k) => [k, a[k]]), Object.keys(b).sort().map((k) => [k, b[k]]));
  return 0;
}

function compareFields(a: Array<[string, unknown]>, b: Array<[string, unknown]>): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareStrings(a[i][0], b[i][0]) || compareValues(a[i][1], b[i][1]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

const KIND_ORDER = { field: 0, key: 1, value: 2, index: 3 } as const;

/** SMD `PathElement.Compare`: fields < keys < values < indexes, then by content. */
export function compareElements(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  switch (a.kind) {
    case 'field':
      return compareStrings(a.name, (b as typeof a).name);
    case 'key':
      return compareFields(a.fields, (b as typeof a).fields);
    case 'value':
      return compareValues(a.value, (b as typeof a).value);
    case 'index':
      return a.index - (b as typeof a).index;
  }
}

/** JSON as Go's encoding/json writes it (HTML-safe escapes), so `k:` and `v:` keys match Kubernetes byte for byte. */
function goJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The `fieldsV1` key of an element: `f:name`, `k:{...}`, `v:...`, `i:N`. */
export function serializeElement(pe: PathElement): string {
  switch (pe.kind) {
    case 'field':
      return `f:${pe.name}`;
    case 'key':
      return `k:{${pe.fields.map(([k, v]) => `${goJson(k)}:${goJson(v)}`).join(',')}}`;
    case 'value':
      return `v:${goJson(pe.value)}`;
    case 'index':
      return `i:${pe.index}`;
  }
}

/**
 * Parses a `fieldsV1` key. Returns undefined for an element type this version does not know (SMD
 * drops those); throws an Error for a malformed key.
 */
export function parseElement(s: string): PathElement | undefined {
  if (s.length < 2) throw new Error(`key must be 2 characters long: ${s}`);
  if (s[1] !== ':') throw new Error(`missing colon: ${s}`);
  const rest = s.slice(2);
  switch (s[0]) {
    case 'f':
      return { kind: 'field', name: rest };
    case 'k': {
      const parsed: unknown = JSON.parse(rest);
      if (!isObject(parsed)) throw new Error(`key of ${s} is not an object`);
      return { kind: 'key', fields: Object.keys(parsed).sort().map((k) => [k, parsed[k]]) };
    }
    case 'v':
      return { kind: 'value', value: JSON.parse(rest) as unknown };
    case 'i':
      if (!/^[+-]?\d+$/.test(rest)) throw new Error(`invalid index in ${s}`);
      return { kind: 'index', index: Number(rest) };
    default:
      return undefined;
  }
}

/** A value as SMD prints it in paths (Go `%q` for strings). */
function valueString(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  if (isObject(v)) return Object.keys(v).map((k) => `${k}=${valueString(v[k])}`).join('');
  return String(v);
}

/** A path as Kubernetes prints it in conflicts: `.spec.containers[name="web"].image`. */
export function pathString(path: Path): string {
  return path
    .map((pe) => {
      switch (pe.kind) {
        case 'field':
          return `.${pe.name}`;
        case 'key':
          return `[${pe.fields.map(([k, v]) => `${k}=${valueString(v)}`).join(',')}]`;
        case 'value':
          return `[=${valueString(pe.value)}]`;
        case 'index':
          return `[${pe.index}]`;
      }
    })
    .join('');
}
