/**
 * JSON merge patch (RFC 7396, `application/merge-patch+json`): objects merge key by key, `null`
 * deletes a key, anything else (arrays included) replaces. `kubectl label`, `annotate` and `scale`
 * send these; the strategic merge patch falls back to it where no schema applies.
 */
import { errors } from '../errors.js';
import { deepCopy, goJsonKind, isObject, put, type JsonObject } from './json-value.js';

/** RFC 7396 MergePatch(target, patch); never mutates its arguments. */
export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return deepCopy(patch);
  const result: JsonObject = isObject(target) ? deepCopy(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else put(result, key, jsonMergePatch(result[key], value));
  }
  return result;
}

/**
 * Applies a merge patch request body to an object. The body must be a JSON object: the apiserver
 * decodes it into a map first and answers 400 otherwise.
 */
export function applyMergePatch(original: JsonObject, patch: unknown): JsonObject {
  if (!isObject(patch)) {
    throw errors.badRequest(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type map[string]interface {}`);
  }
  return jsonMergePatch(original, patch) as JsonObject;
}
