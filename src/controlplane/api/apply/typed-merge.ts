/**
 * The merge step of server-side apply (SMD `TypedValue.Merge`): the applied configuration laid
 * over the live object. Maps merge key by key; set and map lists merge item by item, items
 * identified by value or key; scalars and atomic values are replaced. Item order follows SMD:
 * items the configuration names come in its order, live-only items stay next to the live items
 * they followed.
 */
import type { SchemaNode } from '../../resources/types.js';
import { deepCopy, isObject, put, type JsonObject } from '../patch/json-value.js';
import { compareElements, type PathElement } from './fieldpath.js';
import { childNode, isAtomic, isEmptyValue, listItemElement, shapeOf, type Shape } from './typed-shape.js';

/**
 * `applied` over `live`; undefined when the result has nothing. A `null` in `applied` unsets a
 * scalar; it does not clear a map or list that has content. Never returns shared references.
 */
export function mergeTyped(live: unknown, applied: unknown, node: SchemaNode | undefined): unknown {
  if (live === undefined && applied === undefined) return undefined;
  const shape = shapeOf(node, live, applied);
  if (isAtomic(shape) || (isEmptyValue(live) && isEmptyValue(applied))) {
    if (applied === undefined) return deepCopy(live);
    return applied === null ? undefined : deepCopy(applied);
  }
  if (shape.kind === 'map') return mergeMaps(isObject(live) ? live : {}, isObject(applied) ? applied : {}, shape);
  if (shape.kind === 'list') return mergeLists(Array.isArray(live) ? live : [], Array.isArray(applied) ? applied : [], shape);
  return undefined;
}

function mergeMaps(live: JsonObject, applied: JsonObject, shape: Shape): JsonObject | undefined {
  const out: JsonObject = {};
  const keys = [...Object.keys(live), ...Object.keys(applied).filter((k) => !Object.prototype.hasOwnProperty.call(live, k))];
  for (const key of keys) {
    const v = mergeTyped(live[key], applied[key], childNode(shape, { kind: 'field', name: key }));
    if (v !== undefined) put(out, key, v);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

interface Item {
  pe: PathElement;
  value: unknown;
}

/** The items of a list with their elements; a repeated element keeps its first item. */
function index(list: unknown[], shape: Shape & { kind: 'list' }): Item[] {
  const items: Item[] = [];
  list.forEach((value, i) => {
    const pe = listItemElement(shape, value, i);
    if (!items.some((it) => compareElements(it.pe, pe) === 0)) items.push({ pe, value });
  });
  return items;
}

/** SMD `visitListItems`: walks both lists, taking items shared by both in the applied order. */
function mergeLists(live: unknown[], applied: unknown[], shape: Shape & { kind: 'list' }): unknown[] | undefined {
  const lhs = index(live, shape);
  const rhs = index(applied, shape);
  const find = (items: Item[], pe: PathElement): Item | undefined => items.find((it) => compareElements(it.pe, pe) === 0);
  const shared = rhs.filter((it) => find(lhs, it.pe)).map((it) => it.pe);
  let next = 0;
  const out: unknown[] = [];
  const emit = (pe: PathElement): void => {
    const v = mergeTyped(find(lhs, pe)?.value, find(rhs, pe)?.value, shape.elem);
    if (v !== undefined) out.push(v);
  };
  let l = 0;
  let r = 0;
  while (l < lhs.length || r < rhs.length) {
    if (l < lhs.length && r < rhs.length) {
      const pe = lhs[l].pe;
      if (compareElements(pe, rhs[r].pe) === 0) {
        emit(pe);
        l++;
        r++;
        next++;
        continue;
      }
      // A shared item the applied list wants later: skip it here, it is emitted in the applied order.
      if (find(rhs, pe) && next < shared.length && compareElements(shared[next], pe) !== 0) {
        l++;
        continue;
      }
    }
    if (l < lhs.length && !find(rhs, lhs[l].pe)) {
      emit(lhs[l].pe);
      l++;
      continue;
    }
    if (r < rhs.length) {
      const pe = rhs[r].pe;
      emit(pe);
      r++;
      if (next < shared.length && compareElements(shared[next], pe) === 0) next++;
    } else {
      l++;
    }
  }
  return out.length > 0 ? out : undefined;
}
