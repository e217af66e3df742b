/**
 * Drops fields a kind's schema does not know, as decoding into Go types does in Kubernetes, and
 * reports their paths so `fieldValidation=Strict` can refuse them and `Warn` can warn about them.
 */
import type { SchemaNode } from '../resources/types.js';

/** Paths are written as Kubernetes prints them: `spec.containers[0].foo`. */
function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * Removes unknown fields from `value` in place and returns their paths. Fields under
 * `preserveUnknownFields` nodes, and any field where the schema has no say, are kept.
 */
export function pruneUnknownFields(value: unknown, schema: SchemaNode | undefined, path = ''): string[] {
  const removed: string[] = [];
  prune(value, schema, path, removed);
  return removed;
}

/** One level of `pruneUnknownFields` (a module function, not a closure: it runs on every write). */
function prune(v: unknown, s: SchemaNode | undefined, p: string, removed: string[]): void {
  if (!s || s.preserveUnknownFields || v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    if (s.items) for (let i = 0; i < v.length; i++) prune(v[i], s.items, `${p}[${i}]`, removed);
    return;
  }
  const obj = v as Record<string, unknown>;
  if (s.properties) {
    for (const key of Object.keys(obj)) {
      const child = s.properties[key];
      if (child) prune(obj[key], child, join(p, key), removed);
      else if (!s.additionalProperties) {
        removed.push(join(p, key));
        delete obj[key];
      }
    }
  } else if (s.additionalProperties) {
    for (const key of Object.keys(obj)) prune(obj[key], s.additionalProperties, join(p, key), removed);
  }
}
