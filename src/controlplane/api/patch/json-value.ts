/**
 * Plain-JSON helpers shared by the patch and apply engines. Values here are what `JSON.parse`
 * yields; the engines never mutate their inputs, so they copy with `deepCopy` and write keys with
 * `put` (a request body may carry a `__proto__` key, which plain assignment would turn into a
 * prototype change).
 */

export type JsonObject = Record<string, unknown>;

/** A JSON object: not null, not an array. */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A deep copy of a JSON value (what `structuredClone` gives for one, several times faster): plain
 * objects and arrays are copied, keys in order, `__proto__` keys as own keys; anything else that is
 * an object (a Date, a Map) goes to `structuredClone`. Shared subtrees come out as separate copies.
 */
export function deepCopy<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = deepCopy(v[i]);
    return out as T;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const src = v as JsonObject;
  const out: JsonObject = {};
  for (const key of Object.keys(src)) put(out, key, deepCopy(src[key]));
  return out as T;
}

/** Sets an own, enumerable key, whatever its name. */
export function put(obj: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** JSON equality: object key order does not matter, array order does. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** The JSON kind as Go's `encoding/json` names it in "cannot unmarshal X into ..." errors. */
export function goJsonKind(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/** A value as Go's `fmt` prints it with `%v` (maps with sorted keys), for messages copied from Go. */
export function goFormat(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goFormat(v[k])}`).join(' ')}]`;
  }
  return String(v);
}
