/**
 * `metadata.managedFields` as the field manager works with it: one entry per manager identity
 * (name, operation, subresource, and for updates the API version), each owning a FieldSet.
 * Decoding, encoding in Kubernetes' order, the fields no manager may own, the fields a write
 * through a given subresource does not count, and the 409 an apply conflict becomes.
 */
import type { ManagedFieldsEntry } from '../../resources/types.js';
import { StatusError } from '../errors.js';
import { isObject } from '../patch/json-value.js';
import { fieldElement, pathString, type Path } from './fieldpath.js';
import { FieldSet } from './fieldset.js';

export interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  /** when the manager last changed the object (second precision, RFC 3339) */
  time?: string;
  fields: FieldSet;
}

/** Managers by identity (`managerIdentity`). */
export type Managers = Map<string, Manager>;

type ManagerId = Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>;

/**
 * apiserver `BuildManagerIdentifier`: appliers are identified without their API version, so an
 * applier keeps its entry when it applies another version.
 */
export function managerIdentity(m: ManagerId): string {
  return JSON.stringify({
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.operation === 'Apply' ? undefined : m.apiVersion,
    subresource: m.subresource || undefined,
  });
}

/** Decodes managedFields; throws an Error on an entry it cannot read. Entries of one identity merge. */
export function decodeManagedFields(entries: unknown): Managers {
  const managers: Managers = new Map();
  if (entries === undefined || entries === null) return managers;
  if (!Array.isArray(entries)) throw new Error('managedFields must be a list');
  for (const raw of entries) {
    if (!isObject(raw)) throw new Error('a managedFields entry must be an object');
    const e = raw as ManagedFieldsEntry;
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error(`unknown operation ${JSON.stringify(e.operation)}`);
    if (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1') throw new Error(`unknown fieldsType ${JSON.stringify(e.fieldsType)}`);
    const m: Manager = {
      manager: e.manager ?? '',
      operation: e.operation,
      apiVersion: e.apiVersion ?? '',
      fields: FieldSet.fromFieldsV1(e.fieldsV1 ?? {}),
    };
    if (e.subresource) m.subresource = e.subresource;
    if (e.time) m.time = e.time;
    const id = managerIdentity(m);
    const seen = managers.get(id);
    if (seen) {
      seen.fields = seen.fields.union(m.fields);
      if (m.time && (!seen.time || m.time > seen.time)) seen.time = m.time;
    } else managers.set(id, m);
  }
  return managers;
}

/** apiserver `sortEncodedManagedFields`: appliers first, then by time, manager, API version, subresource. */
function entryOrder(a: Manager, b: Manager): number {
  const seconds = (t?: string): number => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  return (
    compare(a.operation, b.operation) ||
    seconds(a.time) - seconds(b.time) ||
    compare(a.manager, b.manager) ||
    compare(a.apiVersion, b.apiVersion) ||
    compare(a.subresource ?? '', b.subresource ?? '')
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The managedFields entries of the managers that own something, in Kubernetes' order. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] {
  return [...managers.values()]
    .filter((m) => !m.fields.isEmpty())
    .sort(entryOrder)
    .map((m) => {
      const e: ManagedFieldsEntry = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion };
      if (m.time) e.time = m.time;
      e.fieldsType = 'FieldsV1';
      e.fieldsV1 = m.fields.toFieldsV1();
      if (m.subresource) e.subresource = m.subresource;
      return e;
    });
}

const meta = (name: string): Path => [fieldElement('metadata'), fieldElement(name)];

/**
 * Fields the server sets, which no manager owns (apiserver `stripMeta`, plus the deletion fields).
 * Removed as members only: `metadata` itself goes, what managers set inside it stays.
 */
export const SERVER_OWNED = FieldSet.of(
  [fieldElement('apiVersion')],
  [fieldElement('kind')],
  [fieldElement('metadata')],
  ...['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink'].map(meta),
);

/**
 * The fields a write through `subresource` does not count, with all below them (Kubernetes'
 * per-strategy reset fields): the main resource does not own `status`, `/status` does not own `spec`.
 */
export function resetFieldsFor(subresource: string | undefined): FieldSet {
  return FieldSet.of([fieldElement(subresource === 'status' ? 'spec' : 'status')]);
}

/** How a conflict message names a manager: `"kubectl" using apps/v1`, `"x" with subresource "status"`. */
function describeManager(m: ManagerId): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

export interface Conflict {
  manager: Manager;
  path: Path;
}

/**
 * The 409 for apply conflicts, worded as the apiserver's `NewConflictError` (kubectl prints it and
 * adds its advice). `conflicts` come grouped by manager.
 */
export function conflictError(conflicts: Conflict[]): StatusError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(c.manager)}`,
    field: pathString(c.path),
  }));
  if (conflicts.length === 1) {
    const [c] = conflicts;
    return new StatusError('Conflict', `Apply failed with 1 conflict: conflict with ${describeManager(c.manager)}: ${pathString(c.path)}`, { causes });
  }
  const lines: string[] = [];
  let last: Manager | undefined;
  for (const c of conflicts) {
    if (c.manager !== last) lines.push(`conflicts with ${describeManager(c.manager)}:`);
    last = c.manager;
    lines.push(`- ${pathString(c.path)}`);
  }
  return new StatusError('Conflict', `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`, { causes });
}
