/**
 * Server-side Table output (meta.k8s.io/v1), which `kubectl get` asks for so it can print each
 * kind's usual columns. Content negotiation lives here too: which representation an `Accept`
 * header wants.
 */
import type { KubeObject, ResourceType, TableColumn } from '../resources/types.js';

/** Does the client want a Table (`application/json;as=Table;v=v1;g=meta.k8s.io`)? */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  for (const part of accept.split(',')) {
    const params = part.split(';').map((p) => p.trim());
    if (params.includes('as=Table') && params.includes('g=meta.k8s.io') && (params.includes('v=v1') || params.includes('v=v1beta1'))) return true;
    // the first acceptable plain type wins over later Table offers
    if (params[0] === 'application/json' && params.length === 1) return false;
  }
  return false;
}

export interface TableOptions {
  /** `includeObject=None|Metadata|Object`; Metadata (PartialObjectMetadata) by default */
  includeObject: 'None' | 'Metadata' | 'Object';
  /** omit columnDefinitions (watch events after the first) */
  noHeaders?: boolean;
  now: number;
}

function rowObject(obj: KubeObject, include: TableOptions['includeObject']): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

export function tableRow(type: ResourceType, obj: KubeObject, opts: TableOptions): Record<string, unknown> {
  const row: Record<string, unknown> = { cells: type.printer.cells(obj, opts.now) };
  const o = rowObject(obj, opts.includeObject);
  if (o !== undefined) row.object = o;
  return row;
}

/** A Table of `objects` with the list metadata given. */
export function buildTable(
  type: ResourceType,
  objects: KubeObject[],
  listMeta: { resourceVersion?: string; continue?: string; remainingItemCount?: number },
  opts: TableOptions,
): Record<string, unknown> {
  const columns: TableColumn[] = opts.noHeaders ? [] : type.printer.columns;
  const table: Record<string, unknown> = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns,
    rows: objects.map((o) => tableRow(type, o, opts)),
  };
  return table;
}
