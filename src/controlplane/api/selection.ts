/**
 * Label and field selection of lists and watches. An object is reduced to its `Selectable` part —
 * labels plus the fields its kind can be selected by — so a watch can also judge the state an object
 * had before a change (stored with the change event) and report objects entering or leaving the
 * selection as ADDED or DELETED, as the apiserver's watch cache does.
 */
import { errors } from './errors.js';
import { matchesFields, parseFieldSelector, parseLabelSelector } from '../store/selectors.js';
import type { KubeObject, ResourceType } from '../resources/types.js';

export interface Selectable {
  labels: Record<string, string>;
  fields: Record<string, string>;
}

export interface Selection {
  matches(s: Selectable): boolean;
}

/** The labels and selectable fields of `obj` (metadata.name, metadata.namespace and the kind's own). */
export function selectableOf(type: ResourceType, obj: KubeObject): Selectable {
  const fields: Record<string, string> = { 'metadata.name': obj.metadata?.name ?? '', 'metadata.namespace': obj.metadata?.namespace ?? '' };
  for (const [field, get] of Object.entries(type.fieldSelectors)) fields[field] = get(obj) ?? '';
  return { labels: obj.metadata?.labels ?? {}, fields };
}

/** Parses `labelSelector` and `fieldSelector`; unknown fields are a 400. Undefined when neither is set. */
export function parseSelection(type: ResourceType, labelSelector: string | null, fieldSelector: string | null): Selection | undefined {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : undefined;
  const fields = fieldSelector ? parseFieldSelector(fieldSelector) : undefined;
  for (const r of fields ?? []) {
    if (r.field !== 'metadata.name' && r.field !== 'metadata.namespace' && !type.fieldSelectors[r.field]) {
      throw errors.badRequest(`field label not supported: ${r.field}`);
    }
  }
  if (!labels?.requirements.length && !fields?.length) return undefined;
  return {
    matches: (s) => (!labels || labels.matches(s.labels)) && (!fields || matchesFields(fields, (f) => s.fields[f] ?? '')),
  };
}
