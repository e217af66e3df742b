/**
 * Strategic merge patch (`application/strategic-merge-patch+json`): what kubectl's client-side
 * apply, edit, `set image`, `rollout restart`, `cordon` and `pause` send. It is a JSON merge patch
 * that knows, from the schema, which lists merge item by item (`patchStrategy: merge` with a
 * `patchMergeKey`) and which are replaced, plus directives in the patch body:
 *
 * - `$patch: replace | delete | merge` in a map or a list item;
 * - `$setElementOrder/<list>`: the order of the list's items after the patch;
 * - `$deleteFromPrimitiveList/<list>`: values to remove from a list of scalars;
 * - `$retainKeys`: the only keys a map keeps (union types such as a volume's source).
 *
 * This mirrors the server half of apimachinery's `strategicpatch` (`StrategicMergeMapPatch`),
 * including how items are ordered. Where no schema applies (an unknown field, or
 * `x-kubernetes-preserve-unknown-fields`) the patch falls back to JSON merge semantics.
 */
import type { SchemaNode } from '../../resources/types.js';
import { errors } from '../errors.js';
import { deepCopy, goFormat, goJsonKind, isObject, put, type JsonObject } from './json-value.js';
import { jsonMergePatch } from './merge-patch.js';
import { patchRejected } from './rejected.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';

/**
 * Applies a strategic merge patch request body to `original` (an object of the kind `schema`
 * describes). Returns a new object; the arguments are not modified. Malformed directives are 400
 * BadRequest; lists of lists are 422, as in the apiserver.
 */
export function applyStrategicMergePatch(original: JsonObject, patch: unknown, schema: SchemaNode): JsonObject {
  if (!isObject(patch)) {
    throw errors.badRequest(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type map[string]interface {}`);
  }
  return mergeMap(deepCopy(original), deepCopy(patch), schema) ?? {};
}

/** No schema to follow below this node: JSON merge semantics. */
function isUnknown(schema: SchemaNode | undefined): boolean {
  return schema === undefined || schema.preserveUnknownFields === true;
}

function childSchema(schema: SchemaNode | undefined, key: string): SchemaNode | undefined {
  return schema?.properties?.[key] ?? schema?.additionalProperties;
}

function strategyOf(schema: SchemaNode | undefined): 'merge' | 'replace' | undefined {
  const parts = (schema?.patchStrategy ?? '').split(',');
  if (parts.includes('merge')) return 'merge';
  return parts.includes('replace') ? 'replace' : undefined;
}

function without(obj: JsonObject, key: string): JsonObject {
  const copy: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) if (k !== key) put(copy, k, v);
  return copy;
}

/** The list field a `<prefix>/<field>` directive key names. */
function directiveField(key: string, prefix: string, formatError: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) throw errors.badRequest(formatError);
  return key.slice(slash + 1);
}

function noMergeKey(item: unknown, key: string): Error {
  return errors.badRequest(`map: ${goFormat(item)} does not contain declared merge key: ${key}`);
}

/**
 * Merges `patch` into `original` (which it may modify). Undefined `original` means the field is
 * absent: the patch is then applied to nothing, which strips its directives and nulls. Returns
 * undefined when the result is "no field" (`$patch: delete` of an absent map).
 */
function mergeMap(original: JsonObject | undefined, patch: JsonObject, schema: SchemaNode | undefined): JsonObject | undefined {
  if (isUnknown(schema)) return jsonMergePatch(original, patch) as JsonObject;
  if (DIRECTIVE in patch) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') return mergeMap(undefined, without(patch, DIRECTIVE), schema) ?? {};
    if (directive === 'delete') return original === undefined ? undefined : {};
    if (directive !== 'merge') throw errors.badRequest(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(patch)}`);
    patch = without(patch, DIRECTIVE);
  }
  const result = original ?? {};
  applyRetainKeys(result, patch);
  const ordered = applySetElementOrder(result, patch, schema);
  const deletions: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || ordered.has(key)) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      deletions.push([directiveField(key, DELETE_FROM_PRIMITIVE_LIST, 'invalid patch format of primitive list'), value]);
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const merged = mergeValue(result[key], value, childSchema(schema, key));
    if (merged === undefined) delete result[key];
    else put(result, key, merged);
  }
  // After the merges, as the apiserver does when a list is both added to and deleted from.
  for (const [field, values] of deletions) deleteFromPrimitiveList(result, field, values);
  return result;
}

function mergeValue(original: unknown, patch: unknown, schema: SchemaNode | undefined): unknown {
  if (isObject(patch)) {
    if (isUnknown(schema)) return jsonMergePatch(original, patch);
    const base = isObject(original) && strategyOf(schema) !== 'replace' ? original : undefined;
    return mergeMap(base, patch, schema);
  }
  if (Array.isArray(patch)) return mergeList(Array.isArray(original) ? original : undefined, patch, schema).list;
  return patch;
}

/** `$retainKeys: [...]`: drop every key of `result` not listed; the patch may only set listed keys. */
function applyRetainKeys(result: JsonObject, patch: JsonObject): void {
  if (!(RETAIN_KEYS in patch)) return;
  const retain = patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) throw errors.badRequest('invalid patch format of retainKeys');
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key === RETAIN_KEYS || key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!retain.includes(key)) throw errors.badRequest('invalid patch format of retainKeys');
  }
  for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
}

function deleteFromPrimitiveList(result: JsonObject, field: string, values: unknown): void {
  if (!Array.isArray(values)) throw errors.badRequest('invalid patch format of primitive list');
  const live = result[field];
  if (Array.isArray(live)) put(result, field, live.filter((v) => !values.includes(v)));
}

interface ListMerge {
  list: unknown[];
  /** The live order that `$setElementOrder` interleaves server-only items by (see below). */
  serverOrder: unknown[];
}

/**
 * Merges a list. Lists without the merge strategy are replaced by the patch. Lists of scalars with
 * it are unioned. Lists of maps merge items by the merge key, after the patch's own `$patch:
 * delete` items are removed and unless one of them is `$patch: replace` (replace with the rest).
 * Items named in the patch take the patch's order; the others keep their place relative to them.
 */
function mergeList(original: unknown[] | undefined, patch: unknown[], schema: SchemaNode | undefined): ListMerge {
  const live = original ?? [];
  if (isUnknown(schema)) return { list: patch, serverOrder: live };
  const itemSchema = schema?.items;
  if (strategyOf(schema) !== 'merge') return { list: appliedToNothing(patch, itemSchema), serverOrder: live };
  if (live.length === 0 && patch.length === 0) return { list: live, serverOrder: live };
  if (elementKind([...live, ...patch]) === 'scalar') {
    const merged = [...live];
    for (const v of patch) if (!merged.includes(v)) merged.push(v);
    return { list: ordered(merged, patch, live, undefined), serverOrder: live };
  }

  const key = schema?.patchMergeKey;
  if (!key) throw errors.badRequest('cannot merge lists without merge key');
  let remaining = live;
  let replace = false;
  const regular: JsonObject[] = [];
  for (const item of patch as JsonObject[]) {
    if (!(DIRECTIVE in item)) {
      regular.push(item);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'delete') {
      if (!(key in item)) throw noMergeKey(item, key);
      remaining = remaining.filter((x) => !(isObject(x) && x[key] === item[key]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      regular.push(without(item, DIRECTIVE));
    } else {
      throw errors.badRequest(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(item)}`);
    }
  }
  if (replace) return { list: appliedToNothing(regular, itemSchema), serverOrder: live };
  for (const item of regular) if (!(key in item)) throw noMergeKey(item, key);

  const merged = [...remaining];
  const appended: unknown[] = [];
  for (const item of regular) {
    const at = merged.findIndex((x) => isObject(x) && x[key] === item[key]);
    if (at >= 0) {
      merged[at] = mergeMap(merged[at] as JsonObject, item, itemSchema) ?? {};
    } else {
      const added = mergeMap(undefined, item, itemSchema) ?? {};
      merged.push(added);
      appended.push(added);
    }
  }
  // apimachinery orders a `$setElementOrder` list against its live copy after the merge above
  // edited that copy in place: deletions close up and appended items fill the freed slots, while
  // the copy keeps its original length. Reproduce that order, it decides where server-only items go.
  return { list: ordered(merged, regular, remaining, key), serverOrder: [...remaining, ...appended].slice(0, live.length) };
}

/** The items of a replacing list, with their directives and nulls stripped. */
function appliedToNothing(items: unknown[], itemSchema: SchemaNode | undefined): unknown[] {
  const out: unknown[] = [];
  for (const item of items) {
    const v = mergeValue(undefined, item, itemSchema);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Whether a list holds maps or scalars; mixed lists and lists of lists are rejected. */
function elementKind(values: unknown[]): 'map' | 'scalar' {
  let kind: string | undefined;
  for (const v of values) {
    if (Array.isArray(v)) throw patchRejected('lists of lists are not supported');
    const k = isObject(v) ? 'map' : v === null ? 'null' : typeof v;
    if (kind !== undefined && k !== kind) throw errors.badRequest(`list element types are not identical: ${goFormat(values)}`);
    kind = k;
  }
  return kind === 'map' ? 'map' : 'scalar';
}

/**
 * apimachinery's `normalizeElementOrder`: the items of `merged` that `patchOrder` names, in that
 * order, interleaved with the other ("server-only") items, each of which stays before the first
 * patch item that followed it in `serverOrder`. Items are identified by merge key, or by value for
 * scalars.
 */
function ordered(merged: unknown[], patchOrder: unknown[], serverOrder: unknown[], key: string | undefined): unknown[] {
  const id = (v: unknown): unknown => (key === undefined ? v : isObject(v) ? v[key] : undefined);
  const indexIn = (list: unknown[], v: unknown): number => list.findIndex((x) => id(x) === id(v));
  const rank = (list: unknown[], v: unknown): number => {
    const i = indexIn(list, v);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const fromPatch = merged.filter((v) => indexIn(patchOrder, v) >= 0).sort((a, b) => rank(patchOrder, a) - rank(patchOrder, b));
  const serverOnly = merged.filter((v) => indexIn(patchOrder, v) < 0).sort((a, b) => rank(serverOrder, a) - rank(serverOrder, b));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < fromPatch.length) {
    if (j >= fromPatch.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(fromPatch[j++]);
    else {
      const si = indexIn(serverOrder, serverOnly[i]);
      const pi = indexIn(serverOrder, fromPatch[j]);
      if (si >= 0 && pi >= 0 && si < pi) out.push(serverOnly[i++]);
      else out.push(fromPatch[j++]);
    }
  }
  return out;
}

/**
 * `$setElementOrder/<field>`: merges the field's patch list (if any) into the live list, then
 * orders the result: listed items as listed, server-only items where they were.
 * Returns the fields it handled, so the main merge skips them.
 */
function applySetElementOrder(result: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): Set<string> {
  const handled = new Set<string>();
  const formatError = 'invalid patch format of setElementOrder list';
  for (const [directiveKey, order] of Object.entries(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
    const field = directiveField(directiveKey, SET_ELEMENT_ORDER, formatError);
    if (!Array.isArray(order)) throw errors.badRequest(formatError);
    const listSchema = childSchema(schema, field);
    const key = isUnknown(listSchema) ? undefined : listSchema?.patchMergeKey;
    const live = result[field];
    const patchList = patch[field];
    if ((live !== undefined && !Array.isArray(live)) || (patchList !== undefined && !Array.isArray(patchList))) {
      throw errors.badRequest(formatError);
    }
    if (patchList !== undefined) checkOrder(patchList, order, key);
    let merge: ListMerge;
    if (live !== undefined && patchList !== undefined) merge = mergeList(live, patchList, listSchema);
    else if (live !== undefined) merge = { list: live, serverOrder: live };
    else if (patchList !== undefined) merge = { list: mergeList(undefined, patchList, listSchema).list, serverOrder: [] };
    else continue;
    put(result, field, ordered(merge.list, order, merge.serverOrder, key));
    handled.add(field);
  }
  return handled;
}

/** The patch list's items (deletions aside) must appear in `$setElementOrder` in the same order. */
function checkOrder(patchList: unknown[], order: unknown[], key: string | undefined): void {
  if (order.length === 0 || patchList.length === 0) return;
  const same = (a: unknown, b: unknown): boolean => {
    if (key === undefined) return a === b;
    if (!isObject(a) || !(key in a)) throw noMergeKey(a, key);
    if (!isObject(b) || !(key in b)) throw noMergeKey(b, key);
    return a[key] === b[key];
  };
  const items = key === undefined ? patchList : patchList.filter((i) => !(isObject(i) && i[DIRECTIVE] === 'delete'));
  let p = 0;
  for (let s = 0; p < items.length && s < order.length; s++) {
    while (p < items.length && isObject(items[p]) && DIRECTIVE in (items[p] as JsonObject)) p++;
    if (p < items.length && same(items[p], order[s])) p++;
  }
  if (p < items.length) {
    throw errors.badRequest(`the order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(order)}`);
  }
}
