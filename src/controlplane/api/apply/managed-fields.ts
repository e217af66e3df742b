/**
 * Field ownership for every write that is not an apply (create, update, non-apply patch): the
 * writer takes the fields it changed, and they leave everyone else's sets (apiserver
 * `FieldManager.Update` over SMD `Updater.Update`; updates never conflict).
 */
import type { KubeObject, ManagedFieldsEntry, SchemaNode } from '../../resources/types.js';
import { isObject, type JsonObject } from '../patch/json-value.js';
import { decodeManagedFields, encodeManagedFields, managerIdentity, resetFieldsFor, SERVER_OWNED, type Managers } from './managers.js';
import { compareTyped } from './typed-compare.js';

export interface UpdateManagedFieldsInput {
  /** the stored object; undefined on create */
  old: KubeObject | undefined;
  /** the object about to be stored (its managedFields, if a client set them, are the starting point) */
  next: KubeObject;
  manager: string;
  operation: 'Update';
  /** '' or undefined for the main resource, `status`, ... */
  subresource?: string;
  schema: SchemaNode;
  /** the version of the request, `apps/v1` */
  apiVersion: string;
  /** second-precision RFC 3339 time, `2026-11-22T03:47:00Z` */
  now: string;
}

/**
 * The managedFields to store with `next`. Empty when no manager owns anything (the field may then
 * be left out). Fields the server owns (uid, resourceVersion, ...) are nobody's; `status` counts
 * only through the status subresource, and `spec` not through it.
 */
export function updateManagedFields(input: UpdateManagedFieldsInput): ManagedFieldsEntry[] {
  const { old, next, manager, subresource, schema, apiVersion, now } = input;
  const managers = startingManagers(old, next, subresource);
  recordUpdate(managers, { before: old ? withoutManagedFields(old) : {}, after: withoutManagedFields(next), manager, apiVersion, subresource, schema, now });
  return encodeManagedFields(managers);
}

/**
 * apiserver `decodeLiveOrNew`: a write through a subresource keeps the stored managedFields; a
 * write of the main resource may replace them (`[{}]` resets them to none), but a body without
 * readable ones keeps the stored ones, so clients unaware of the field cannot drop it.
 */
function startingManagers(old: KubeObject | undefined, next: KubeObject, subresource: string | undefined): Managers {
  const given: unknown = next.metadata?.managedFields;
  if (subresource || !Array.isArray(given) || given.length === 0) return storedManagers(old);
  if (given.length === 1 && isObject(given[0]) && Object.keys(given[0]).length === 0) return new Map();
  try {
    const managers = decodeManagedFields(given);
    return managers.size > 0 ? managers : storedManagers(old);
  } catch {
    return storedManagers(old);
  }
}

/** The managers of the stored object; none when there is none or its managedFields are unreadable. */
function storedManagers(old: KubeObject | undefined): Managers {
  try {
    return decodeManagedFields(old?.metadata?.managedFields);
  } catch {
    return new Map();
  }
}

export interface Change {
  before: unknown;
  after: unknown;
  manager: string;
  apiVersion: string;
  subresource?: string;
  schema: SchemaNode;
  now: string;
}

/**
 * Records an update in `managers` (modified in place): the fields it added or changed move to the
 * updater's entry (merged with its earlier updates at this version, time set to now); removed
 * fields leave every set; managers left with nothing drop out. An update that changes nothing
 * leaves `managers` as they were.
 */
export function recordUpdate(managers: Managers, change: Change): void {
  const reset = resetFieldsFor(change.subresource);
  const cmp = compareTyped(change.before, change.after, change.schema);
  const changed = cmp.added.union(cmp.modified).recursiveDifference(reset);
  const removed = cmp.removed.recursiveDifference(reset);
  for (const [id, m] of managers) {
    m.fields = m.fields.difference(changed).difference(removed);
    if (m.fields.isEmpty()) managers.delete(id);
  }
  const taken = changed.difference(removed).difference(SERVER_OWNED);
  if (taken.isEmpty()) return;
  const who = { manager: change.manager, operation: 'Update' as const, apiVersion: change.apiVersion, subresource: change.subresource || undefined };
  const id = managerIdentity(who);
  const previous = managers.get(id);
  managers.set(id, { ...who, time: change.now, fields: previous ? previous.fields.union(taken) : taken });
}

/**
 * `obj` without `metadata.managedFields`, the form the field manager compares. A shallow copy: it
 * shares everything but itself and its metadata with `obj`, so neither may be changed while it is
 * in use (the field manager only reads it; the merge and patch engines copy what they change).
 */
export function withoutManagedFields(obj: KubeObject): JsonObject {
  const copy: JsonObject = { ...obj };
  if (isObject(copy.metadata)) {
    const { managedFields: _dropped, ...metadata } = copy.metadata;
    copy.metadata = metadata;
  }
  return copy;
}
