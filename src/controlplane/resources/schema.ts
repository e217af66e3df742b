/**
 * The schemas of the kinds we serve, loaded once from generated/schemas.json (written by
 * scripts/gen-schemas.ts) and resolved into `SchemaNode` graphs for validation, pruning and
 * patching; the raw definitions stay available for the OpenAPI documents.
 */
import generated from './generated/schemas.json' with { type: 'json' };
import type { SchemaNode } from './types.js';

/** One definition as written in the JSON (OpenAPI v3 schema object, Kubernetes extensions). */
export interface RawSchema {
  type?: SchemaNode['type'];
  format?: string;
  description?: string;
  properties?: Record<string, RawSchema>;
  additionalProperties?: RawSchema;
  items?: RawSchema;
  required?: string[];
  enum?: string[];
  $ref?: string;
  allOf?: RawSchema[];
  oneOf?: RawSchema[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-group-version-kind'?: Array<{ group: string; version: string; kind: string }>;
}

export const SCHEMA_REF_PREFIX = '#/components/schemas/';

/** `format` of a resource.Quantity node (published as `oneOf` string/number): a string or a number. */
export const QUANTITY_FORMAT = 'quantity';

const definitions = (generated as unknown as { components: { schemas: Record<string, RawSchema> } }).components.schemas;

/** Every definition, by name (`V1Pod`, `V1Container`, ...), as published in OpenAPI. */
export function schemaDefinitions(): Readonly<Record<string, RawSchema>> {
  return definitions;
}

/** The name a `$ref` points at. */
export function refName(ref: string): string {
  return ref.startsWith(SCHEMA_REF_PREFIX) ? ref.slice(SCHEMA_REF_PREFIX.length) : ref;
}

let resolved: Map<string, SchemaNode> | undefined;

/**
 * Resolves every definition once. A `$ref` becomes the shared node of its definition (so the
 * graph may be cyclic); an `allOf: [$ref]` wrapper, which carries a field's own description or
 * patch extensions, becomes a copy of the definition's node with those keys on top — copied after
 * all definitions are filled, since a definition may still be filling when a wrapper meets it.
 */
function resolveAll(): Map<string, SchemaNode> {
  const nodes = new Map<string, SchemaNode>();
  const wrappers: Array<{ node: SchemaNode; target: SchemaNode }> = [];
  for (const name of Object.keys(definitions)) nodes.set(name, {});

  const target = (ref: string): SchemaNode => {
    const node = nodes.get(refName(ref));
    if (!node) throw new Error(`schema reference ${ref} has no definition`);
    return node;
  };
  const convert = (raw: RawSchema, into: SchemaNode = {}): SchemaNode => {
    if (raw.$ref) return target(raw.$ref);
    if (raw.allOf?.length === 1 && raw.allOf[0].$ref) {
      const node = into;
      fill(node, { ...raw, allOf: undefined });
      wrappers.push({ node, target: target(raw.allOf[0].$ref) });
      return node;
    }
    fill(into, raw);
    return into;
  };
  const fill = (node: SchemaNode, raw: RawSchema): void => {
    if (raw.type) node.type = raw.type;
    if (raw.format) node.format = raw.format;
    if (raw.description) node.description = raw.description;
    if (raw.properties) {
      node.properties = {};
      for (const [k, v] of Object.entries(raw.properties)) node.properties[k] = convert(v);
    }
    if (raw.additionalProperties) node.additionalProperties = convert(raw.additionalProperties);
    if (raw.items) node.items = convert(raw.items);
    if (raw.required) node.required = raw.required;
    if (raw.enum) node.enum = raw.enum;
    if (raw.format === 'int-or-string') {
      node.intOrString = true;
      delete node.type;
    }
    if (raw.oneOf) node.format = QUANTITY_FORMAT;
    if (raw['x-kubernetes-preserve-unknown-fields']) node.preserveUnknownFields = true;
    if (raw['x-kubernetes-patch-strategy']) node.patchStrategy = raw['x-kubernetes-patch-strategy'];
    if (raw['x-kubernetes-patch-merge-key']) node.patchMergeKey = raw['x-kubernetes-patch-merge-key'];
    if (raw['x-kubernetes-list-type']) node.listType = raw['x-kubernetes-list-type'];
    if (raw['x-kubernetes-list-map-keys']) node.listMapKeys = raw['x-kubernetes-list-map-keys'];
    if (raw['x-kubernetes-map-type']) node.mapType = raw['x-kubernetes-map-type'];
  };

  for (const [name, raw] of Object.entries(definitions)) convert(raw, nodes.get(name));
  for (const { node, target: def } of wrappers) {
    const own = { ...node };
    Object.assign(node, def, own);
  }
  return nodes;
}

/** The resolved schema of a definition (`V1Pod`...), or undefined if there is none. */
export function schemaNode(name: string): SchemaNode | undefined {
  resolved ??= resolveAll();
  return resolved.get(name);
}

let byGVK: Map<string, string> | undefined;

/** The definition that carries `x-kubernetes-group-version-kind` {group, version, kind}. */
export function definitionNameOf(group: string, version: string, kind: string): string | undefined {
  if (!byGVK) {
    byGVK = new Map();
    for (const [name, raw] of Object.entries(definitions)) {
      for (const g of raw['x-kubernetes-group-version-kind'] ?? []) byGVK.set(`${g.group}/${g.version}/${g.kind}`, name);
    }
  }
  return byGVK.get(`${group}/${version}/${kind}`);
}

/** The resolved schema of a kind, found by its group-version-kind. */
export function kindSchema(group: string, version: string, kind: string): SchemaNode | undefined {
  const name = definitionNameOf(group, version, kind);
  return name ? schemaNode(name) : undefined;
}
