/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`, `kubectl apply --server-side`),
 * as structured-merge-diff's `Updater.Apply` under the apiserver's field manager: the applied
 * configuration is merged into the live object; fields the applier applied last time and no
 * longer applies are removed unless another manager owns them; fields whose value the apply
 * changes and that another manager owns are conflicts (409) unless forced, in which case they
 * move to the applier.
 */
import type { KubeObject, ManagedFieldsEntry, SchemaNode } from '../../resources/types.js';
import { errors } from '../errors.js';
import { deepEqual, isObject } from '../patch/json-value.js';
import { FieldSet } from './fieldset.js';
import { recordUpdate, withoutManagedFields } from './managed-fields.js';
import {
  conflictError,
  decodeManagedFields,
  encodeManagedFields,
  managerIdentity,
  resetFieldsFor,
  SERVER_OWNED,
  type Conflict,
  type Manager,
  type Managers,
} from './managers.js';
import { compareTyped } from './typed-compare.js';
import { mergeTyped } from './typed-merge.js';
import { ensureNamedFieldsAreMembers, removeItems, toFieldSet } from './typed-fields.js';

export interface ServerSideApplyInput {
  /** the stored object; undefined when the apply creates it */
  live: KubeObject | undefined;
  /** the applied configuration (the request body) */
  config: KubeObject;
  /** `fieldManager`, required for apply */
  manager: string;
  /** `force=true` (`--force-conflicts`) */
  force: boolean;
  schema: SchemaNode;
  /** the version of the request, `apps/v1`; the configuration must be of it */
  apiVersion: string;
  /** second-precision RFC 3339 time, `2026-11-22T03:47:00Z` */
  now: string;
  /** '' or undefined for the main resource, `status`, ... */
  subresource?: string;
}

export interface ServerSideApplyResult {
  /** the new object, `metadata.managedFields` set (left out when empty); not defaulted or validated */
  object: KubeObject;
  managedFields: ManagedFieldsEntry[];
}

/** The name Kubernetes gives the owner of fields an object had before its first apply. */
const BEFORE_FIRST_APPLY = 'before-first-apply';

/**
 * Applies `config` to `live`. Throws 400 for a configuration of another version, one that sets
 * managedFields or has duplicate list keys; 409 Conflict (causes `FieldManagerConflict`) for
 * conflicts without `force`. Re-applying the same configuration returns `live` unchanged,
 * managedFields included.
 */
export function serverSideApply(input: ServerSideApplyInput): ServerSideApplyResult {
  const { live, config, manager, force, schema, apiVersion, now, subresource } = input;
  if (config.apiVersion !== apiVersion) {
    throw errors.badRequest(
      `Incorrect version specified in apply patch. Specified patch version: ${config.apiVersion ?? ''}, expected: ${apiVersion}`,
    );
  }
  if (config.metadata?.managedFields !== undefined && config.metadata.managedFields !== null) {
    throw errors.badRequest('metadata.managedFields must be nil');
  }
  let managers: Managers;
  try {
    managers = decodeManagedFields(live?.metadata?.managedFields);
  } catch (e) {
    throw errors.internal(`failed to decode managed fields: ${e instanceof Error ? e.message : String(e)}`);
  }
  const liveBody = live ? withoutManagedFields(live) : {};
  if (live && managers.size === 0) {
    recordUpdate(managers, { before: {}, after: liveBody, manager: BEFORE_FIRST_APPLY, apiVersion, subresource, schema, now });
  }

  const reset = resetFieldsFor(subresource);
  const applied = toFieldSet(config, schema).recursiveDifference(reset);
  const id = managerIdentity({ manager, operation: 'Apply', apiVersion, subresource });
  const previous = managers.get(id);
  const applier: Manager = { manager, operation: 'Apply', apiVersion, fields: applied };
  if (subresource) applier.subresource = subresource;
  if (previous?.time) applier.time = previous.time;
  managers.set(id, applier);

  let merged: unknown = mergeTyped(liveBody, config, schema) ?? {};
  if (previous && !previous.fields.isEmpty()) merged = prune(merged, managers, previous.fields, schema);

  const cmp = compareTyped(liveBody, merged, schema);
  const changed = cmp.added.union(cmp.modified).recursiveDifference(reset);
  const removed = cmp.removed.recursiveDifference(reset);
  const others = [...managers].filter(([key]) => key !== id).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const conflicts: Conflict[] = [];
  for (const [, m] of others) for (const path of m.fields.intersection(changed).paths()) conflicts.push({ manager: m, path });
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);
  for (const [key, m] of others) {
    m.fields = m.fields.difference(changed).difference(removed);
    if (m.fields.isEmpty()) managers.delete(key);
  }
  applier.fields = applier.fields.difference(SERVER_OWNED);
  if (applier.fields.isEmpty()) managers.delete(id);
  if (!deepEqual(liveBody, merged)) applier.time = now;

  const managedFields = encodeManagedFields(managers);
  const object = merged as KubeObject;
  if (isObject(object.metadata)) {
    if (managedFields.length > 0) object.metadata.managedFields = managedFields;
    else delete object.metadata.managedFields;
  }
  return { object, managedFields };
}

/**
 * SMD `Updater.prune`: removes from `merged` what the applier applied last time (`last`) and no
 * longer applies, unless some manager (the applier's new set included) owns it. Only paths of
 * `last` go: fields nobody owns that sit below them (defaults, say) stay.
 */
function prune(merged: unknown, managers: Managers, last: FieldSet, schema: SchemaNode): unknown {
  const named = (s: FieldSet): FieldSet => ensureNamedFieldsAreMembers(s, schema);
  const fieldsOf = (v: unknown): FieldSet => named(toFieldSet(v, schema, { allowDuplicates: true }));
  const lastSet = named(last);
  let owned = new FieldSet();
  for (const m of managers.values()) owned = owned.union(m.fields);
  owned = named(owned);
  const mergedSet = fieldsOf(merged);
  const pruned = removeItems(merged, lastSet, schema) ?? {};
  const ownedBack = removeItems(merged, mergedSet.difference(fieldsOf(pruned).union(owned)), schema) ?? {};
  return removeItems(merged, mergedSet.difference(fieldsOf(ownedBack)).intersection(lastSet), schema) ?? {};
}
