/**
 * Builds a `ResourceType` from a short declaration, so each API group's file lists only what
 * differs between kinds: names, scope, subresources, printer, field selectors, defaults and checks.
 * Every kind gets the ObjectMeta checks and its schema from generated/schemas.json.
 */
import type { StatusCause } from '../../api/errors.js';
import type { JsonObject } from '../object.js';
import { isObject } from '../object.js';
import { kindSchema } from '../schema.js';
import { NAME_AGE_PRINTER } from '../tables/columns.js';
import type { KubeObject, ResourceType, SchemaNode, SubresourceType, TablePrinter, Verb } from '../types.js';
import { validateObjectMeta } from '../validation/metadata.js';
import { nameIsDNSSubdomain, type NameValidator } from '../validation/names.js';

/** Verbs of an ordinary resource, in the order discovery lists them. */
export const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export interface KindDefinition {
  group: string;
  version: string;
  kind: string;
  /** plural, the path segment */
  resource: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: Verb[];
  /** has a `status` subresource */
  status?: boolean;
  /** subresources besides status */
  subresources?: SubresourceType[];
  printer?: TablePrinter;
  fieldSelectors?: Record<string, (obj: KubeObject) => string | undefined>;
  defaults?: (obj: JsonObject) => void;
  /** checks beyond ObjectMeta; `old` on update */
  validate?: (obj: KubeObject, old?: KubeObject) => StatusCause[];
  /** the rule for metadata.name; DNS-1123 subdomain unless said otherwise */
  nameValidator?: NameValidator;
}

export function defineKind(d: KindDefinition): ResourceType {
  const subresources: SubresourceType[] = [];
  if (d.status) subresources.push({ name: 'status', kind: d.kind, group: d.group, version: d.version, verbs: ['get', 'patch', 'update'] });
  subresources.push(...(d.subresources ?? []));
  let schema: SchemaNode | undefined;
  const nameValidator = d.nameValidator ?? nameIsDNSSubdomain;
  return {
    group: d.group,
    version: d.version,
    kind: d.kind,
    listKind: `${d.kind}List`,
    resource: d.resource,
    singular: d.kind.toLowerCase(),
    namespaced: d.namespaced,
    verbs: d.verbs ?? ALL_VERBS,
    shortNames: d.shortNames ?? [],
    categories: d.categories ?? [],
    subresources,
    hasStatus: Boolean(d.status),
    printer: d.printer ?? NAME_AGE_PRINTER,
    fieldSelectors: d.fieldSelectors ?? {},
    defaults(obj: KubeObject): void {
      d.defaults?.(obj as JsonObject);
    },
    validate(obj: KubeObject, old?: KubeObject): StatusCause[] {
      return [...validateObjectMeta(obj.metadata, d.namespaced, nameValidator), ...(d.validate?.(obj, old) ?? [])];
    },
    schema(): SchemaNode {
      schema ??= kindSchema(d.group, d.version, d.kind);
      if (!schema) throw new Error(`no schema for ${d.group}/${d.version} ${d.kind} in generated/schemas.json`);
      return schema;
    },
  };
}

/** A subresource served by another kind than its parent (scale → autoscaling/v1 Scale...). */
export function subresource(name: string, kind: string, verbs: Verb[], group = '', version = 'v1'): SubresourceType {
  return { name, kind, group, version, verbs };
}

export const SCALE = subresource('scale', 'Scale', ['get', 'patch', 'update'], 'autoscaling', 'v1');

/**
 * A field selector reading a dotted path; unset fields read as Kubernetes reads them (`""`,
 * `"false"` for booleans when `bool`), so `spec.nodeName=` selects unscheduled pods.
 */
export function fieldAt(path: string, unset = ''): (obj: KubeObject) => string {
  const parts = path.split('.');
  return (obj) => {
    let v: unknown = obj;
    for (const p of parts) v = isObject(v) ? v[p] : undefined;
    if (v === undefined || v === null) return unset;
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  };
}

/** A typed (kubernetes-types) view of an object, for validators written against those types. */
export function as<T>(obj: KubeObject): T {
  return obj as unknown as T;
}
