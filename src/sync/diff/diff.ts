/**
 * Has an object drifted from its manifest? The answer users expect (see notes/gitops-anchors §4a,
 * §4d): predict the object a server-side apply of the manifest would leave — the API server's own
 * SSA dry-run result when the caller has one, otherwise the same field manager run here, with the
 * kind's defaults — and compare it with the live object. Fields other managers own and the
 * manifest does not set survive the apply, so they are never drift; fields our manager applied
 * before and the manifest dropped are. Status, managedFields, server-owned metadata and
 * ignoreDifferences are left out of the comparison.
 */
import { serverSideApply } from '../../controlplane/api/apply/apply.js';
import { jsonMergePatch } from '../../controlplane/api/patch/merge-patch.js';
import { registry } from '../../controlplane/resources/registry.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { fieldDiffs, type FieldDiff } from './field-diff.js';
import { applyIgnores, normalize, rulesFor, type IgnoreDifference } from './normalize.js';
import { unifiedYamlDiff } from './unified.js';

/** The field manager berth's sync applies with. */
export const SYNC_FIELD_MANAGER = 'berth-sync';

/** Inputs beyond the two objects. */
export interface DiffOptions {
  /** the field manager the sync applies with; default SYNC_FIELD_MANAGER */
  manager?: string;
  /** the object a server-side-apply dry-run of `desired` returned; predicted locally when absent */
  predicted?: KubeObject;
  ignoreDifferences?: IgnoreDifference[];
}

/** Whether the live object matches its manifest, and if not, where. */
export interface DiffResult {
  synced: boolean;
  /** the drifted fields, paths as `.spec.template.spec.containers[name="web"].image`; `.` = the whole object (missing) */
  fields: FieldDiff[];
  /** unified YAML diff, live → desired; '' when synced */
  text: string;
}

/** A fixed apply time: managedFields times never take part in the comparison. */
const PREDICTION_TIME = '1970-01-01T00:00:00Z';

/**
 * Compares `live` (as the API returns it, managedFields included; undefined when the object does
 * not exist) with `desired` (a rendered manifest). Throws only for an ignoreDifferences rule it
 * cannot honour (an unsupported jq expression).
 */
export function diff(desired: KubeObject, live: KubeObject | undefined, opts: DiffOptions = {}): DiffResult {
  const rules = rulesFor(desired, opts.ignoreDifferences ?? []);
  if (live === undefined) {
    const want = normalize(desired);
    applyIgnores(want, rules, undefined);
    return { synced: false, fields: [{ path: '.', live: undefined, desired: want }], text: unifiedYamlDiff(undefined, want) };
  }
  const predicted = normalize(opts.predicted ?? predict(desired, live, opts.manager ?? SYNC_FIELD_MANAGER));
  const current = normalize(live);
  applyIgnores(predicted, rules, live);
  applyIgnores(current, rules, live);
  const schema = registry.findKind(desired.apiVersion ?? '', desired.kind ?? '')?.schema();
  const fields = fieldDiffs(current, predicted, schema);
  return { synced: fields.length === 0, fields, text: fields.length === 0 ? '' : unifiedYamlDiff(current, predicted) };
}

/**
 * What the API server would store if `desired` were server-side applied (forced) over `live` by
 * `manager`, defaults included. Kinds the registry does not know get a JSON merge of the manifest
 * into the live object.
 */
export function predict(desired: KubeObject, live: KubeObject, manager: string): KubeObject {
  const type = registry.findKind(desired.apiVersion ?? '', desired.kind ?? '');
  const config = structuredClone(desired);
  if (config.metadata) delete config.metadata.managedFields;
  if (!type) return jsonMergePatch(structuredClone(live), config) as KubeObject;
  const { object } = serverSideApply({ live, config, manager, force: true, schema: type.schema(), apiVersion: desired.apiVersion!, now: PREDICTION_TIME });
  type.defaults(object);
  return object;
}
