/**
 * Generates src/controlplane/resources/generated/schemas.json: the OpenAPI v3 `components.schemas`
 * of every kind the API server serves and every type they reach. The shapes come from
 * @kubernetes/client-node's models (their `attributeTypeMap`, and the `.d.ts` files for
 * descriptions and required fields); the patch/apply metadata client-node drops comes from the
 * hand-written tables in gen-schemas-tables.ts. Run with `npx tsx scripts/gen-schemas.ts`.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node/dist/gen/models/all.js';
import {
  ATOMIC_STRUCTS,
  BERTH_GROUP,
  BERTH_KINDS,
  BERTH_VERSION,
  CONDITIONS,
  FIELD_EXTENSIONS,
  QUANTITY_FIELDS,
  ROOT_KINDS,
} from './gen-schemas-tables.js';

type Json = Record<string, unknown>;
interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}
interface ModelDoc {
  description?: string;
  fields: Map<string, { description?: string; required: boolean }>;
}

const REF = '#/components/schemas/';
const QUANTITY = 'ResourceQuantity';
const INT_OR_STRING = 'IntOrString';
const require = createRequire(import.meta.url);
const modelsDir = dirname(require.resolve('@kubernetes/client-node/dist/gen/models/all.js'));
const clientNodeVersion = (JSON.parse(readFileSync(require.resolve('@kubernetes/client-node/package.json'), 'utf8')) as { version: string }).version;
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'controlplane', 'resources', 'generated', 'schemas.json');

function attributesOf(model: string): Attribute[] {
  const cls = (k8s as unknown as Record<string, { attributeTypeMap?: Attribute[] } | undefined>)[model];
  if (!cls?.attributeTypeMap) throw new Error(`@kubernetes/client-node has no model ${model}`);
  return cls.attributeTypeMap;
}

function isModel(name: string): boolean {
  return Boolean((k8s as unknown as Record<string, { attributeTypeMap?: unknown } | undefined>)[name]?.attributeTypeMap);
}

/** Descriptions and required-ness as written in the model's .d.ts (client-node keeps them there). */
function docOf(model: string): ModelDoc {
  const lines = readFileSync(join(modelsDir, `${model}.d.ts`), 'utf8').split('\n');
  const doc: ModelDoc = { fields: new Map() };
  let comment: string[] | undefined;
  let pending: string | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('/**')) {
      comment = [];
      continue;
    }
    if (comment && line.startsWith('*/')) {
      pending = comment.join('\n').trim().replace(/\\(['"])/g, '$1') || undefined;
      comment = undefined;
      continue;
    }
    if (comment) {
      comment.push(line.replace(/^\* ?/, ''));
      continue;
    }
    if (line.startsWith('export declare class')) doc.description = pending;
    const field = /^'([^']+)'(\?)?:/.exec(line);
    if (field) doc.fields.set(field[1], { description: pending, required: !field[2] });
    pending = undefined;
  }
  return doc;
}

function refTo(name: string): Json {
  return { $ref: REF + name };
}

/** The schema of a client-node type string; `quantity` marks strings that are resource.Quantity. */
function schemaOfType(type: string, format: string, quantity: boolean, reached: Set<string>): Json {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return { type: 'array', items: schemaOfType(array[1], format, quantity, reached) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { type: 'object', additionalProperties: schemaOfType(map[1], format, quantity, reached) };
  switch (type) {
    case 'string':
      if (quantity) return refTo(QUANTITY);
      return format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
    case 'number':
      if (format === 'int32' || format === 'int64') return { type: 'integer', format };
      return format ? { type: 'number', format } : { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'Date':
    case 'V1MicroTime':
      return { type: 'string', format: 'date-time' };
    case 'IntOrString':
      return refTo(INT_OR_STRING);
    case 'any':
      return { 'x-kubernetes-preserve-unknown-fields': true };
    default:
      if (!isModel(type)) throw new Error(`unknown client-node type ${type}`);
      reached.add(type);
      return refTo(type);
  }
}

/** A property: Kubernetes wraps a `$ref` in `allOf` when the property carries its own keys. */
function property(schema: Json, extra: Json): Json {
  if (Object.keys(extra).length === 0) return schema;
  if (schema.$ref) return { allOf: [schema], ...extra };
  return { ...schema, ...extra };
}

/** `root`: a top-level kind, whose apiVersion and kind the server fills in; metadata is never required. */
function definitionOf(model: string, root: boolean, reached: Set<string>): Json {
  const doc = docOf(model);
  const extensions = FIELD_EXTENSIONS[model] ?? {};
  const quantities = QUANTITY_FIELDS[model] ?? [];
  const properties: Json = {};
  const required: string[] = [];
  for (const attr of attributesOf(model)) {
    const quantity = quantities.includes(attr.baseName) || quantities.includes(`${attr.baseName}*`);
    const schema = schemaOfType(attr.type, attr.format, quantity, reached);
    const fieldDoc = doc.fields.get(attr.name);
    const extra: Json = {};
    if (fieldDoc?.description) extra.description = fieldDoc.description;
    let ext = extensions[attr.baseName];
    if (!ext && attr.baseName === 'conditions' && model.endsWith('Status') && schema.type === 'array') ext = CONDITIONS;
    Object.assign(extra, ext);
    properties[attr.baseName] = property(schema, extra);
    const optional = attr.baseName === 'metadata' || (root && (attr.baseName === 'apiVersion' || attr.baseName === 'kind'));
    if (fieldDoc?.required && !optional) required.push(attr.baseName);
  }
  for (const name of Object.keys(extensions)) {
    if (!(name in properties)) throw new Error(`${model} has no field ${name} (gen-schemas-tables.ts)`);
  }
  const def: Json = {};
  if (doc.description) def.description = doc.description;
  def.type = 'object';
  def.properties = properties;
  if (required.length) def.required = required.sort();
  if (ATOMIC_STRUCTS.includes(model)) def['x-kubernetes-map-type'] = 'atomic';
  return def;
}

function gvk(group: string, version: string, kind: string): Json {
  return { 'x-kubernetes-group-version-kind': [{ group, kind, version }] };
}

/** The schemas no client-node model describes: quantities, int-or-string, patch bodies, berth.dev kinds. */
function handWritten(): Record<string, Json> {
  const defs: Record<string, Json> = {
    [QUANTITY]: {
      description: 'Quantity is a fixed-point representation of a number, written as a string such as `100m`, `1.5Gi` or `2`, or as a number.',
      oneOf: [{ type: 'string' }, { type: 'number' }],
    },
    [INT_OR_STRING]: {
      description: 'IntOrString is a type that can hold an int32 or a string.',
      type: 'string',
      format: 'int-or-string',
    },
    V1Patch: {
      description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
      type: 'object',
    },
  };
  const open = (description: string): Json => ({ description, type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  const prefix = `Berth${BERTH_VERSION.charAt(0).toUpperCase()}${BERTH_VERSION.slice(1)}`;
  for (const { kind, description } of BERTH_KINDS) {
    defs[`${prefix}${kind}`] = {
      description,
      type: 'object',
      properties: {
        apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
        kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
        metadata: refTo('V1ObjectMeta'),
        spec: open(`Desired state of the ${kind}.`),
        status: open(`Observed state of the ${kind}.`),
      },
      ...gvk(BERTH_GROUP, BERTH_VERSION, kind),
    };
    defs[`${prefix}${kind}List`] = {
      description: `${kind}List is a list of ${kind} objects.`,
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: refTo('V1ListMeta'),
        items: { type: 'array', items: refTo(`${prefix}${kind}`) },
      },
      required: ['items'],
      ...gvk(BERTH_GROUP, BERTH_VERSION, `${kind}List`),
    };
  }
  return defs;
}

function generate(): Json {
  const schemas: Record<string, Json> = {};
  const queue: string[] = [];
  const roots = new Map<string, Json>();
  for (const r of ROOT_KINDS) {
    roots.set(r.model, gvk(r.group, r.version, r.kind));
    queue.push(r.model);
    if (r.list) {
      roots.set(`${r.model}List`, gvk(r.group, r.version, `${r.kind}List`));
      queue.push(`${r.model}List`);
    }
  }
  queue.push('V1ListMeta');
  const reached = new Set<string>();
  while (queue.length) {
    const model = queue.pop()!;
    if (schemas[model]) continue;
    schemas[model] = { ...definitionOf(model, roots.has(model), reached), ...roots.get(model) };
    for (const m of reached) if (!schemas[m]) queue.push(m);
    reached.clear();
  }
  Object.assign(schemas, handWritten());
  const sorted: Record<string, Json> = {};
  for (const name of Object.keys(schemas).sort()) sorted[name] = schemas[name];
  return {
    info: { generator: 'scripts/gen-schemas.ts', source: `@kubernetes/client-node ${clientNodeVersion}` },
    components: { schemas: sorted },
  };
}

const doc = generate();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
console.log(`wrote ${Object.keys((doc.components as { schemas: Json }).schemas).length} schemas to ${out}`);
