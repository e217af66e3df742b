/**
 * Field sets of values and values cut by field sets (SMD `ToFieldSet`, `RemoveItems`,
 * `EnsureNamedFieldsAreMembers`): what an applied configuration claims, and how apply prunes the
 * fields a manager stopped applying.
 */
import type { SchemaNode } from '../../resources/types.js';
import { errors } from '../errors.js';
import { isObject, put, type JsonObject } from '../patch/json-value.js';
import { compareElements, fieldElement, pathString, type Path, type PathElement } from './fieldpath.js';
import { FieldSet } from './fieldset.js';
import { childNode, isAtomic, isNamedField, listItemElement, shapeOf } from './typed-shape.js';

/**
 * The fields `value` sets: every leaf, every map key and list item (they are owned as items), but
 * not a struct's named fields themselves. A list with two items of the same key is a 400, unless
 * `allowDuplicates` (live objects may have them: Kubernetes accepts repeated env names).
 */
export function toFieldSet(value: unknown, schema: SchemaNode, options: { allowDuplicates?: boolean } = {}): FieldSet {
  const set = new FieldSet();
  collect(set, value, schema, [], options.allowDuplicates === true);
  return set;
}

function collect(set: FieldSet, value: unknown, node: SchemaNode | undefined, path: Path, allowDuplicates: boolean): void {
  const shape = shapeOf(node, value);
  if (isAtomic(shape)) {
    set.insert(path);
    return;
  }
  if (shape.kind === 'map' && isObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      const pe = fieldElement(key);
      collect(set, v, childNode(shape, pe), [...path, pe], allowDuplicates);
      if (!isNamedField(shape, key)) set.insert([...path, pe]);
    }
  } else if (shape.kind === 'list' && Array.isArray(value)) {
    const seen: PathElement[] = [];
    value.forEach((item, i) => {
      const pe = listItemElement(shape, item, i);
      if (!allowDuplicates && seen.some((s) => compareElements(s, pe) === 0)) {
        throw errors.badRequest(`${pathString(path)}: duplicate entries for key ${pathString([pe])}`);
      }
      seen.push(pe);
      collect(set, item, shape.elem, [...path, pe], allowDuplicates);
      set.insert([...path, pe]);
    });
  }
}

/**
 * `value` without the fields of `set`: a member path removes its whole node, a map or list left
 * empty by the removal goes too. Atomic values are never cut into. Returns undefined when nothing
 * is left.
 */
export function removeItems(value: unknown, set: FieldSet, node: SchemaNode | undefined): unknown {
  const shape = shapeOf(node, value);
  if (isAtomic(shape)) return value;
  if (shape.kind === 'map' && isObject(value)) {
    if (Object.keys(value).length === 0) return value;
    const out: JsonObject = {};
    for (const [key, v] of Object.entries(value)) {
      const pe = fieldElement(key);
      if (set.hasMember(pe)) continue;
      const below = set.child(pe);
      const kept = below ? removeItems(v, below, childNode(shape, pe)) : v;
      if (kept !== undefined) put(out, key, kept);
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (shape.kind === 'list' && Array.isArray(value)) {
    if (value.length === 0) return value;
    const out: unknown[] = [];
    value.forEach((item, i) => {
      const pe = listItemElement(shape, item, i);
      if (set.hasMember(pe)) return;
      const below = set.child(pe);
      const kept = below ? removeItems(item, below, shape.elem) : item;
      if (kept !== undefined) out.push(kept);
    });
    return out.length > 0 ? out : undefined;
  }
  return value;
}

/**
 * `set` plus, as members, the named fields it has paths below ("a.b.c" also owns "a" if `a` is a
 * struct field, not if it is a map key). Prune needs these to remove a struct field as a whole.
 */
export function ensureNamedFieldsAreMembers(set: FieldSet, schema: SchemaNode): FieldSet {
  const named = new FieldSet();
  const visit = (s: FieldSet, node: SchemaNode | undefined, path: Path): void => {
    const shape = shapeOf(node);
    for (const [pe, below] of s.childEntries()) {
      if (pe.kind === 'field' && isNamedField(shape, pe.name)) named.insert([...path, pe]);
      visit(below, childNode(shape, pe), [...path, pe]);
    }
  };
  visit(set, schema, []);
  return set.union(named);
}
