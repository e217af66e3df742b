/**
 * What the API server knows about each kind it serves. One `ResourceType` per group/version/resource;
 * the registry (registry.ts) holds them all, and discovery, OpenAPI, validation, defaulting, tables,
 * field selectors and patching are all driven from it.
 */
import type { StatusCause } from '../api/errors.js';

/** A Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

/** A column of server-side Table output (meta.k8s.io/v1 TableColumnDefinition). */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0 = always shown; >0 = only with `-o wide` */
  priority: number;
}

export interface TablePrinter {
  columns: TableColumn[];
  /** one cell per column, in order; `now` makes ages testable */
  cells(obj: KubeObject, now: number): unknown[];
}

/**
 * A node of a kind's schema, with every `$ref` already resolved (the graph may be cyclic, e.g.
 * JSONSchemaProps). Mirrors the OpenAPI v3 vocabulary Kubernetes publishes, including the
 * extensions that drive strategic merge patch and server-side apply.
 */
export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  /** named fields of an object */
  properties?: Record<string, SchemaNode>;
  /** values of a map (`{ [key: string]: T }`) */
  additionalProperties?: SchemaNode;
  /** elements of an array */
  items?: SchemaNode;
  required?: string[];
  enum?: string[];
  /** int-or-string (`x-kubernetes-int-or-string`) */
  intOrString?: boolean;
  /** accepts any JSON (`x-kubernetes-preserve-unknown-fields`, RawExtension, JSON) */
  preserveUnknownFields?: boolean;
  /** `x-kubernetes-patch-strategy`: 'merge', 'replace', 'retainKeys', 'merge,retainKeys' */
  patchStrategy?: string;
  /** `x-kubernetes-patch-merge-key` */
  patchMergeKey?: string;
  /** `x-kubernetes-list-type` */
  listType?: 'atomic' | 'set' | 'map';
  /** `x-kubernetes-list-map-keys` */
  listMapKeys?: string[];
  /** `x-kubernetes-map-type` */
  mapType?: 'atomic' | 'granular';
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface SubresourceType {
  /** `status`, `scale`, `binding`, `eviction`, `log`, `exec`, `finalize`, ... */
  name: string;
  /** the kind the subresource reads and writes (`Scale` in group autoscaling for scale) */
  kind: string;
  group: string;
  version: string;
  verbs: Verb[];
}

export interface ResourceType {
  /** '' for core */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** plural, lower case: the path segment */
  resource: string;
  singular: string;
  namespaced: boolean;
  verbs: Verb[];
  shortNames: string[];
  categories: string[];
  subresources: SubresourceType[];
  /**
   * Top-level fields that are not spec: writes to the main resource that change only these (and
   * metadata) do not bump `generation`; for kinds with a status subresource, main-resource writes
   * keep the stored status and /status writes change nothing else.
   */
  hasStatus: boolean;
  printer: TablePrinter;
  /** field selector fields beyond metadata.name / metadata.namespace, with how to read them */
  fieldSelectors: Record<string, (obj: KubeObject) => string | undefined>;
  /** fills defaults in place (Kubernetes' SetDefaults_*); must be idempotent */
  defaults(obj: KubeObject): void;
  /** semantic validation beyond the schema (names, label syntax, required fields...); `old` on update */
  validate(obj: KubeObject, old?: KubeObject): StatusCause[];
  /** the resolved schema of the kind, for validation, OpenAPI and patching */
  schema(): SchemaNode;
}

/** `apiVersion` as written in objects: `v1` for core, `apps/v1` otherwise. */
export function apiVersionOf(t: { group: string; version: string }): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}
