/**
 * What changed between two versions of an object, as sets of field paths (SMD
 * `TypedValue.Compare`): the fields a write added, modified and removed. Ownership moves with
 * these: an update takes the fields it added or modified; an apply conflicts on them.
 */
import type { SchemaNode } from '../../resources/types.js';
import { deepEqual, isObject } from '../patch/json-value.js';
import { compareElements, fieldElement, type Path, type PathElement } from './fieldpath.js';
import { FieldSet } from './fieldset.js';
import { childNode, isAtomic, isEmptyValue, isNamedField, listItemElement, shapeOf, tracksNamedField } from './typed-shape.js';

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** Compares `before` with `after`, both objects of the kind `schema` describes. */
export function compareTyped(before: unknown, after: unknown, schema: SchemaNode): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  walk(c, before, after, schema, [], true);
  return c;
}

/**
 * Leaves (scalars, atomic values, and containers empty on both sides) are added, removed or
 * modified. Containers are added or removed as a whole too when `tracked` (see `tracksNamedField`
 * for a struct's fields; map keys and list items always are).
 */
function walk(c: Comparison, before: unknown, after: unknown, node: SchemaNode | undefined, path: Path, tracked: boolean): void {
  if (before === undefined && after === undefined) return;
  // Equal values hold no added, modified or removed field: skip the walk below them.
  if (before !== undefined && after !== undefined && deepEqual(before, after)) return;
  const shape = shapeOf(node, before, after);
  if (isAtomic(shape) || (isEmptyValue(before) && isEmptyValue(after))) {
    if (before === undefined) c.added.insert(path);
    else if (after === undefined) c.removed.insert(path);
    else if (!deepEqual(before, after)) c.modified.insert(path);
    return;
  }
  if (shape.kind === 'map') {
    const b = isObject(before) ? before : {};
    const a = isObject(after) ? after : {};
    const keys = Object.keys(b).length === 0 ? Object.keys(a) : new Set([...Object.keys(b), ...Object.keys(a)]);
    for (const key of keys) {
      const pe = fieldElement(key);
      const child = childNode(shape, pe);
      const tracks = !isNamedField(shape, key) || tracksNamedField(shape, key, shapeOf(child, b[key], a[key]));
      walk(c, b[key], a[key], child, [...path, pe], tracks);
    }
  } else if (shape.kind === 'list') {
    const items: Array<{ pe: PathElement; before?: unknown; after?: unknown }> = [];
    const collect = (list: unknown, side: 'before' | 'after'): void => {
      if (!Array.isArray(list)) return;
      list.forEach((value, i) => {
        const pe = listItemElement(shape, value, i);
        let item = items.find((it) => compareElements(it.pe, pe) === 0);
        if (!item) items.push((item = { pe }));
        if (!(side in item)) item[side] = value;
      });
    };
    collect(before, 'before');
    collect(after, 'after');
    for (const item of items) walk(c, item.before, item.after, shape.elem, [...path, item.pe], true);
  }
  if (!tracked) return;
  if (before === undefined) c.added.insert(path);
  else if (after === undefined) c.removed.insert(path);
}
