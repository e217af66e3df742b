/**
 * Field errors as Kubernetes words them (k8s.io/apimachinery/pkg/util/validation/field): each
 * becomes a `StatusCause` whose message is the error body (`Invalid value: "x": detail`) and whose
 * field is the path, so `errors.invalid` prints `spec.replicas: Invalid value: -1: ...`.
 */
import type { StatusCause } from '../../api/errors.js';

/**
 * How Go's field.Error renders a bad value: strings quoted, numbers and booleans bare, string maps
 * (labels, selectors) as Go's %#v does; other structures as JSON.
 */
export function renderValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const values = typeof value === 'object' && !Array.isArray(value) ? Object.values(value) : [];
  if (values.length > 0 && values.every((v) => typeof v === 'string')) {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify((value as Record<string, string>)[k])}`);
    return `map[string]string{${entries.join(', ')}}`;
  }
  return JSON.stringify(value);
}

function withDetail(body: string, detail?: string): string {
  return detail ? `${body}: ${detail}` : body;
}

export function invalid(field: string, value: unknown, detail?: string): StatusCause {
  return { reason: 'FieldValueInvalid', field, message: withDetail(`Invalid value: ${renderValue(value)}`, detail) };
}

export function required(field: string, detail?: string): StatusCause {
  return { reason: 'FieldValueRequired', field, message: withDetail('Required value', detail) };
}

export function notSupported(field: string, value: unknown, supported: string[]): StatusCause {
  const list = supported.map((s) => JSON.stringify(s)).join(', ');
  return { reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${renderValue(value)}: supported values: ${list}` };
}

export function duplicate(field: string, value: unknown): StatusCause {
  return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${renderValue(value)}` };
}

export function notFound(field: string, value: unknown): StatusCause {
  return { reason: 'FieldValueNotFound', field, message: `Not found: ${renderValue(value)}` };
}

export function forbidden(field: string, detail: string): StatusCause {
  return { reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
}

export function tooLong(field: string, max: number): StatusCause {
  return { reason: 'FieldValueTooLong', field, message: `Too long: may not be more than ${max} bytes` };
}

/** `field` + `.child` (or just `child` at the top). */
export function child(field: string, name: string): string {
  return field ? `${field}.${name}` : name;
}

/** `field[i]` */
export function index(field: string, i: number): string {
  return `${field}[${i}]`;
}

/** `field[key]`, the way field.Path.Key prints map entries */
export function key(field: string, k: string): string {
  return `${field}[${k}]`;
}
