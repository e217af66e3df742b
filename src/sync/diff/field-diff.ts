/**
 * The exact field paths where two objects differ, walked alongside the kind's schema so list items
 * are matched by their merge keys (`.spec.template.spec.containers[name="web"].image`) rather than
 * by position. Keys that are not plain identifiers are quoted (`.metadata.labels["app.kubernetes.io/name"]`).
 */
import { deepEqual } from '../../controlplane/api/patch/json-value.js';
import type { SchemaNode } from '../../controlplane/resources/types.js';

/** One drifted field: its value in the live object and the value applying the manifest would give it. */
export interface FieldDiff {
  path: string;
  live: unknown;
  desired: unknown;
}

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function fieldSegment(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** The keys that identify an item of this list, if it is a map-list. */
function listKeys(schema: SchemaNode | undefined): string[] | undefined {
  if (schema?.listType === 'map' && schema.listMapKeys?.length) return schema.listMapKeys;
  if (schema?.patchMergeKey && schema.patchStrategy?.includes('merge')) return [schema.patchMergeKey];
  return undefined;
}

/** Differences between `live` and `desired` under `path`, appended to `out` in the desired object's order. */
export function fieldDiffs(live: unknown, desired: unknown, schema: SchemaNode | undefined, path = '', out: FieldDiff[] = []): FieldDiff[] {
  if (deepEqual(live, desired)) return out;
  if (isMap(live) && isMap(desired)) {
    const keys = [...Object.keys(desired), ...Object.keys(live).filter((k) => !(k in desired))];
    for (const k of keys) fieldDiffs(live[k], desired[k], schema?.properties?.[k] ?? schema?.additionalProperties, `${path}${fieldSegment(k)}`, out);
    return out;
  }
  if (Array.isArray(live) && Array.isArray(desired)) {
    const keys = listKeys(schema);
    const itemKey = (item: unknown): string | undefined =>
      keys && isMap(item) && keys.every((k) => item[k] !== undefined) ? keys.map((k) => `${k}=${JSON.stringify(item[k])}`).join(',') : undefined;
    const liveKeys = live.map(itemKey);
    const desiredKeys = desired.map(itemKey);
    if (keys && !liveKeys.includes(undefined) && !desiredKeys.includes(undefined)) {
      const liveBy = new Map(live.map((item, i) => [liveKeys[i]!, item]));
      const desiredBy = new Map(desired.map((item, i) => [desiredKeys[i]!, item]));
      for (const k of [...desiredKeys, ...liveKeys.filter((k) => !desiredBy.has(k!))] as string[]) {
        fieldDiffs(liveBy.get(k), desiredBy.get(k), schema?.items, `${path}[${k}]`, out);
      }
      return out;
    }
    if (live.length === desired.length && live.every((x) => isMap(x)) && desired.every((x) => isMap(x))) {
      live.forEach((item, i) => fieldDiffs(item, desired[i], schema?.items, `${path}[${i}]`, out));
      return out;
    }
  }
  out.push({ path: path || '.', live, desired });
  return out;
}
