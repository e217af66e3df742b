/**
 * How server-side apply sees a node of the schema: a scalar, a map (a struct with named fields,
 * or a map of keys to values), or a list that is atomic, a set of scalars, or a map-list keyed by
 * some of its items' fields. This is SMD's view of a schema, derived from our SchemaNode the way
 * kube-openapi's `schemaconv` derives it from OpenAPI: without `x-kubernetes-list-type`, a list
 * with `patchStrategy: merge` is a map-list keyed by its `patchMergeKey` (a set if it has none).
 * Values the schema does not describe are "deduced": maps are granular, lists atomic.
 */
import type { SchemaNode } from '../../resources/types.js';
import { isObject } from '../patch/json-value.js';
import type { PathElement } from './fieldpath.js';

export type Shape =
  | { kind: 'scalar' }
  /** `fields`: the named fields of a struct (undefined for a plain map); `elem`: the type of other keys */
  | { kind: 'map'; atomic: boolean; fields?: Record<string, SchemaNode>; required?: string[]; elem?: SchemaNode }
  | { kind: 'list'; relation: 'atomic' | 'set' | 'map'; keys: string[]; elem?: SchemaNode };

const SCALAR: Shape = { kind: 'scalar' };

/**
 * Defaults that Kubernetes' OpenAPI declares for list-map key fields. SMD keys an item that omits
 * a key field by its default, so an applied container port without `protocol` is the live port
 * with `protocol: TCP`. SchemaNode carries no defaults, so the one that matters is listed here.
 */
const KEY_FIELD_DEFAULTS: Readonly<Record<string, unknown>> = { protocol: 'TCP' };

function deduced(value: unknown): Shape {
  if (isObject(value)) return { kind: 'map', atomic: false };
  if (Array.isArray(value)) return { kind: 'list', relation: 'atomic', keys: [] };
  return SCALAR;
}

function listShape(node: SchemaNode): Shape {
  const elem = node.items;
  if (node.listType === 'atomic') return { kind: 'list', relation: 'atomic', keys: [], elem };
  if (node.listType === 'set') return { kind: 'list', relation: 'set', keys: [], elem };
  if (node.listType === 'map') return { kind: 'list', relation: 'map', keys: node.listMapKeys ?? [], elem };
  if ((node.patchStrategy ?? '').split(',').includes('merge')) {
    if (node.patchMergeKey) return { kind: 'list', relation: 'map', keys: [node.patchMergeKey], elem };
    return { kind: 'list', relation: 'set', keys: [], elem };
  }
  return { kind: 'list', relation: 'atomic', keys: [], elem };
}

/** The shape the schema alone gives `node` (deduced from `value` where it gives none). */
function declaredShape(node: SchemaNode | undefined, value: unknown): Shape {
  if (!node) return deduced(value);
  if (node.intOrString) return SCALAR;
  if (node.type === 'array' || node.items) return listShape(node);
  if (node.properties) {
    return { kind: 'map', atomic: node.mapType === 'atomic', fields: node.properties, required: node.required, elem: node.additionalProperties };
  }
  if (node.preserveUnknownFields) return deduced(value);
  if (node.additionalProperties) return { kind: 'map', atomic: node.mapType === 'atomic', elem: node.additionalProperties };
  if (node.type === 'object') return { kind: 'map', atomic: node.mapType === 'atomic', fields: {} };
  if (node.type || node.format) return SCALAR;
  return deduced(value);
}

function jsonKind(v: unknown): 'map' | 'list' | 'scalar' | 'none' {
  if (v === undefined || v === null) return 'none';
  return isObject(v) ? 'map' : Array.isArray(v) ? 'list' : 'scalar';
}

/**
 * The shape of a node holding `values` (the live and applied values of one field, say). A value
 * whose JSON type contradicts the schema, or two values of different types, make the node a leaf:
 * it is then replaced and owned as a whole.
 */
export function shapeOf(node: SchemaNode | undefined, ...values: unknown[]): Shape {
  let first: unknown;
  for (const v of values) {
    if (jsonKind(v) !== 'none') {
      first = v;
      break;
    }
  }
  const shape = declaredShape(node, first);
  if (shape.kind === 'scalar') return shape;
  for (const v of values) {
    const kind = jsonKind(v);
    if (kind !== 'none' && kind !== shape.kind) return SCALAR;
  }
  return shape;
}

/** A node whose value is replaced and owned as a whole. */
export function isAtomic(shape: Shape): boolean {
  return shape.kind === 'scalar' || (shape.kind === 'map' ? shape.atomic : shape.relation === 'atomic');
}

/** A struct's declared field (as opposed to a key of a map): not owned by itself, only through what it holds. */
export function isNamedField(shape: Shape, name: string): boolean {
  return shape.kind === 'map' && shape.fields !== undefined && Object.prototype.hasOwnProperty.call(shape.fields, name);
}

/**
 * Whether a write that adds or removes the named field `name` (holding a `child`-shaped value)
 * adds or removes the field itself, not only what it holds. SMD counts a container as added when
 * the Go zero value of its parent lacks it: an omittable map or list, not a struct (Go keeps it,
 * empty) nor a required list (Go writes it as null). We approximate Go's types with the schema.
 */
export function tracksNamedField(shape: Shape, name: string, child: Shape): boolean {
  if (shape.kind !== 'map' || shape.required?.includes(name)) return false;
  return child.kind === 'list' || (child.kind === 'map' && child.fields === undefined);
}

/** The schema of what `pe` selects inside a node of this shape. */
export function childNode(shape: Shape, pe: PathElement): SchemaNode | undefined {
  if (shape.kind === 'map' && pe.kind === 'field') {
    return isNamedField(shape, pe.name) ? shape.fields?.[pe.name] : shape.elem;
  }
  return shape.kind === 'list' ? shape.elem : undefined;
}

/** The element that identifies `item` (at `index`) in a list: its key fields, its value, or its index. */
export function listItemElement(shape: Shape & { kind: 'list' }, item: unknown, index: number): PathElement {
  if (shape.relation === 'set') return { kind: 'value', value: item };
  if (shape.relation === 'map' && isObject(item)) {
    const fields: Array<[string, unknown]> = [];
    for (const key of [...shape.keys].sort()) {
      const value = item[key] ?? KEY_FIELD_DEFAULTS[key];
      if (value !== undefined) fields.push([key, value]);
    }
    if (fields.length > 0) return { kind: 'key', fields };
  }
  return { kind: 'index', index };
}

/** Empty for SMD's purposes: absent, null, or an empty map or list. */
export function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}
