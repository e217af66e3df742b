/**
 * Decodes one Kubernetes protobuf message into the JSON the client would have sent, driven by the
 * field tables in messages.json (generated from the Go types by scripts/gen-proto-fields.ts).
 *
 * The JSON is what Go's encoding/json makes of the same Go value:
 * - gogo-protobuf writes every non-pointer field, zeros included. A zero scalar is dropped when its
 *   JSON tag has `omitempty`; pointer fields and fields without `omitempty` keep it (flag `k`), so
 *   `replicas: 0` or `automountServiceAccountToken: false` survive.
 * - Nested messages are kept even when empty (`status: {}`), as encoding/json never omits structs.
 *   The exception is a zero `Time`/`MicroTime`: its JSON is `null`, which means the same as absent, so
 *   it is dropped (`creationTimestamp: null` is never kept).
 * - Embedded structs tagged `json:",inline"` (flag `i`) are their own message on the wire and are
 *   merged into the parent, e.g. Volume.volumeSource and Probe.handler.
 * - `map<string, V>` (flag `m`) arrives as repeated entries {1 key, 2 value}; `bytes` become base64.
 * - int64 values become JS numbers (exact up to 2^53).
 * Unknown field numbers are skipped, as a server would for fields newer than its tables.
 */

import table from './messages.json' with { type: 'json' };
import { malformed, Reader, WIRE_LEN, WIRE_VARINT } from './wire.js';

interface FieldSpec {
  name: string;
  /** a message name from messages.json, or a scalar/special type name handled by `readValue` */
  type: string;
  repeated: boolean;
  map: boolean;
  keepZero: boolean;
  inline: boolean;
}
type Json = Record<string, unknown>;

const SCALARS = new Set(['int', 'bool']);
const MAP_VALUE_TYPES = new Set(['string', 'bytes', 'quantity', 'stringlist', 'time']);
/** The wire messages of the special types, which Kubernetes writes by hand rather than from Go fields. */
const SPECIAL_MESSAGES: Record<string, Array<[number, string, string, string]>> = {
  'meta/v1.Timestamp': [[1, 'seconds', 'int', 'k'], [2, 'nanos', 'int', 'k']],
  'resource.Quantity': [[1, 'string', 'string', 'k']],
  'intstr.IntOrString': [[1, 'type', 'int', 'k'], [2, 'intVal', 'int', 'k'], [3, 'strVal', 'string', 'k']],
  RawBytes: [[1, 'raw', 'rawbytes', 'k']], // runtime.RawExtension and meta/v1.FieldsV1
  ExtraValue: [[1, 'items', 'string', 'r']],
};
const MESSAGES = new Map<string, Map<number, FieldSpec>>(
  Object.entries({ ...(table.messages as unknown as typeof SPECIAL_MESSAGES), ...SPECIAL_MESSAGES }).map(([message, fields]) => [
    message,
    new Map(fields.map(([num, name, type, flags]) => [num, fieldSpec(message, name, type, flags)])),
  ]),
);

function fieldSpec(message: string, name: string, type: string, flags: string): FieldSpec {
  const map = flags.includes('m');
  if (map && !MAP_VALUE_TYPES.has(type)) throw new Error(`protobuf tables: map ${message}.${name} of ${type} is not supported`);
  return { name, type, repeated: flags.includes('r'), map, keepZero: flags.includes('k'), inline: flags.includes('i') };
}

/** The message decoding each served kind, keyed `apiVersion kind`, plus `DeleteOptions` (any apiVersion). */
export const KIND_MESSAGES: Readonly<Record<string, string>> = table.kinds;

/** Decodes `buf` as the message `name` of messages.json. */
export function decodeMessage(buf: Uint8Array, name: string): Json {
  const fields = MESSAGES.get(name);
  if (!fields) throw new Error(`protobuf tables have no message ${name}`);
  const out: Json = {};
  const r = new Reader(buf);
  while (!r.done) {
    const { num, wireType } = r.key();
    const field = fields.get(num);
    if (!field) {
      r.skip(wireType);
      continue;
    }
    if (field.repeated && SCALARS.has(field.type) && wireType === WIRE_LEN) {
      const packed = new Reader(r.bytes());
      while (!packed.done) push(out, field.name, scalar(packed, field.type));
      continue;
    }
    const expected = SCALARS.has(field.type) && !field.map ? WIRE_VARINT : WIRE_LEN;
    if (wireType !== expected) throw malformed(`field ${name}.${field.name} has wire type ${wireType}, expected ${expected}`);
    if (field.map) {
      const [key, value] = mapEntry(r.bytes(), field.type);
      // the client picks the keys: define them, so `__proto__` stays an ordinary key
      Object.defineProperty((out[field.name] ??= {}) as Json, key, { value, enumerable: true, writable: true, configurable: true });
    } else if (field.inline) {
      Object.assign(out, decodeMessage(r.bytes(), field.type));
    } else if (field.repeated) {
      push(out, field.name, readValue(r, field.type));
    } else {
      const value = readValue(r, field.type);
      if (value === undefined || (!field.keepZero && (value === '' || value === 0 || value === false))) delete out[field.name];
      else out[field.name] = value;
    }
  }
  return out;
}

function push(out: Json, name: string, value: unknown): void {
  ((out[name] ??= []) as unknown[]).push(value);
}

/** A map entry {1 key, 2 value}; a missing value is the type's zero. */
function mapEntry(buf: Uint8Array, type: string): [string, unknown] {
  let key = '';
  let value: unknown;
  const r = new Reader(buf);
  while (!r.done) {
    const { num, wireType } = r.key();
    if (num === 1 && wireType === WIRE_LEN) key = utf8(r.bytes());
    else if (num === 2 && wireType === (SCALARS.has(type) ? WIRE_VARINT : WIRE_LEN)) value = readValue(r, type);
    else r.skip(wireType);
  }
  return [key, value ?? mapZero(type)];
}

/** The zero of a map's value type (the only types maps of the served kinds have; checked at load). */
function mapZero(type: string): unknown {
  if (type === 'quantity') return '0';
  if (type === 'stringlist') return [];
  if (type === 'time') return null;
  return ''; // string, bytes
}
function scalar(r: Reader, type: string): number | boolean {
  const v = r.varint();
  return type === 'bool' ? v !== 0n : Number(BigInt.asIntN(64, v));
}

/** One value of `type`; `undefined` means "as if absent" (a zero Time, an empty RawExtension). */
function readValue(r: Reader, type: string): unknown {
  if (SCALARS.has(type)) return scalar(r, type);
  const buf = r.bytes();
  switch (type) {
    case 'string':
      return utf8(buf);
    case 'bytes':
      return Buffer.from(buf).toString('base64');
    case 'time':
      return timestamp(buf, false);
    case 'microtime':
      return timestamp(buf, true);
    case 'quantity':
      return (decodeMessage(buf, 'resource.Quantity').string as string | undefined) ?? '0';
    case 'intorstring': {
      const v = decodeMessage(buf, 'intstr.IntOrString');
      return v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    }
    case 'raw':
      return embeddedJson(buf, 'runtime.RawExtension');
    case 'fieldsv1':
      return embeddedJson(buf, 'FieldsV1');
    case 'rawbytes':
      return buf;
    case 'stringlist':
      return (decodeMessage(buf, 'ExtraValue').items as string[] | undefined) ?? [];
    default:
      return decodeMessage(buf, type);
  }
}

/**
 * meta/v1 Time and MicroTime are {1 seconds, 2 nanos} since the Unix epoch. Their JSON is RFC 3339 in
 * UTC: whole seconds for Time, microseconds for MicroTime. The zero time is JSON `null`, read as absent.
 */
function timestamp(buf: Uint8Array, micro: boolean): string | undefined {
  const t = decodeMessage(buf, 'meta/v1.Timestamp') as { seconds?: number; nanos?: number };
  const seconds = t.seconds ?? 0;
  const nanos = t.nanos ?? 0;
  if (seconds === 0 && nanos === 0) return undefined;
  const date = new Date(seconds * 1000);
  const year = date.getUTCFullYear(); // NaN when out of Date's range
  if (!(year >= 0 && year <= 9999) || nanos < 0 || nanos >= 1e9) throw malformed(`timestamp ${seconds}s ${nanos}ns is out of range`);
  const base = date.toISOString().slice(0, 19);
  return micro ? `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${base}Z`;
}

/** RawExtension and FieldsV1 are {1 raw}: JSON bytes, embedded as JSON. Empty is JSON `null`, read as absent. */
function embeddedJson(buf: Uint8Array, what: string): unknown {
  const raw = decodeMessage(buf, 'RawBytes').raw as Uint8Array | undefined;
  if (!raw?.length) return undefined;
  try {
    return JSON.parse(utf8(raw));
  } catch {
    throw malformed(`${what} does not hold JSON`);
  }
}

function utf8(buf: Uint8Array): string {
  return Buffer.from(buf).toString('utf8');
}
