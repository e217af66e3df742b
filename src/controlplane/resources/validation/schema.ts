/**
 * Structural validation of an object against its kind's schema: wrong JSON types, missing required
 * fields and malformed formats become causes worded as the apiserver words them for schema
 * failures (`spec.replicas: Invalid value: "string": spec.replicas in body must be of type
 * integer: "string"`); fields the schema does not know are collected separately, for
 * `fieldValidation=Strict` (reject) or `Warn`.
 */
import type { StatusCause } from '../../api/errors.js';
import { QUANTITY_FORMAT } from '../schema.js';
import type { SchemaNode } from '../types.js';
import { child, index, invalid, key, notSupported, required } from './field.js';

export interface SchemaCheck {
  causes: StatusCause[];
  /** paths of fields the schema does not define, e.g. `spec.containers[0].foo` */
  unknownFields: string[];
}

const QUANTITY_RE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The JSON type name of a value, as the OpenAPI validator reports it. */
function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeError(path: string, expected: string, actual: string): StatusCause {
  return invalid(path, actual, `${path} in body must be of type ${expected}: ${JSON.stringify(actual)}`);
}

function matchesType(expected: NonNullable<SchemaNode['type']>, actual: string): boolean {
  return expected === actual || (expected === 'number' && actual === 'integer');
}

function checkFormat(node: SchemaNode, value: unknown, path: string, out: SchemaCheck): void {
  if (typeof value !== 'string') return;
  if (node.format === 'date-time' && !RFC3339_RE.test(value)) out.causes.push(invalid(path, value, `${path} in body must be of type date-time: ${JSON.stringify(value)}`));
  if (node.format === 'byte' && !BASE64_RE.test(value)) out.causes.push(invalid(path, value, `${path} in body must be of type byte: ${JSON.stringify(value)}`));
}

function walk(value: unknown, node: SchemaNode, path: string, out: SchemaCheck): void {
  if (value === null || value === undefined) return;
  const actual = jsonType(value);
  if (node.intOrString) {
    if (actual !== 'integer' && actual !== 'string') out.causes.push(typeError(path, 'integer,string', actual));
    return;
  }
  if (node.format === QUANTITY_FORMAT) {
    if (actual === 'string') {
      if (!QUANTITY_RE.test(value as string)) out.causes.push(invalid(path, value, `quantities must match the regular expression '${QUANTITY_RE.source}'`));
    } else if (actual !== 'integer' && actual !== 'number') {
      out.causes.push(typeError(path, 'string,number', actual));
    }
    return;
  }
  if (node.type && !matchesType(node.type, actual)) {
    out.causes.push(typeError(path, node.type, actual));
    return;
  }
  if (node.enum && typeof value === 'string' && !node.enum.includes(value)) out.causes.push(notSupported(path, value, node.enum));
  checkFormat(node, value, path, out);
  if (Array.isArray(value)) {
    if (node.items) value.forEach((item, i) => walk(item, node.items!, index(path, i), out));
    return;
  }
  if (actual !== 'object') return;
  const obj = value as Record<string, unknown>;
  for (const name of node.required ?? []) {
    if (obj[name] === undefined || obj[name] === null) out.causes.push(required(child(path, name)));
  }
  for (const [k, v] of Object.entries(obj)) {
    const prop = node.properties?.[k];
    if (prop) walk(v, prop, child(path, k), out);
    else if (node.additionalProperties) walk(v, node.additionalProperties, key(path, k), out);
    else if (node.properties && !node.preserveUnknownFields) out.unknownFields.push(child(path, k));
  }
}

/** Type errors and unknown fields of `value` under `schema`; `path` prefixes every field path. */
export function checkSchema(value: unknown, schema: SchemaNode, path = ''): SchemaCheck {
  const out: SchemaCheck = { causes: [], unknownFields: [] };
  walk(value, schema, path, out);
  return out;
}
