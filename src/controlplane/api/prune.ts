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
  const walk = (v: unknown, s: SchemaNode | undefined, p: string): void => {
    if (!s || s.preserveUnknownFields || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      if (s.items) v.forEach((item, i) => walk(item, s.items, `${p}[${i}]`));
      return;
    }
    const obj = v as Record<string, unknown>;
    if (s.properties) {
      for (const key of Object.keys(obj)) {
        const child = s.properties[key];
        if (child) walk(obj[key], child, join(p, key));
        else if (!s.additionalProperties) {
          removed.push(join(p, key));
          delete obj[key];
        }
      }
    } else if (s.additionalProperties) {
      for (const key of Object.keys(obj)) walk(obj[key], s.additionalProperties, join(p, key));
    }
  };
  walk(value, schema, path);
  return removed;
}
