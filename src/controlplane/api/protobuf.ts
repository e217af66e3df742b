/**
 * Decodes the protobuf request bodies kubectl sends. client-go 1.32 typed clients send some bodies as
 * `application/vnd.kubernetes.protobuf` (DeleteOptions in `drain`, SelfSubjectAccessReview in `auth can-i`,
 * SelfSubjectRulesReview, SelfSubjectReview, TokenRequest in `create token`). client-go does not fall back
 * to JSON on a 415, so these bodies must be decoded. Replies stay JSON, which client-go accepts.
 *
 * A body is the magic `k8s\0`, then a `runtime.Unknown` envelope {1 typeMeta{1 apiVersion, 2 kind}, 2 raw,
 * 3 contentEncoding, 4 contentType}. `raw` is the object's own message. Only the few request kinds below
 * are decoded, so a small wire reader driven by field tables is used instead of a protobuf library and
 * `.proto` files. Field numbers come from the Kubernetes `generated.proto` files (apimachinery meta/v1,
 * api authorization/v1, authentication/v1, policy/v1).
 *
 * The result is the object Kubernetes would have sent as JSON. gogo-protobuf writes every non-pointer
 * field, even `""` and `0`, and JSON drops them (`omitempty`), so zero values of plain fields are dropped.
 * Pointer fields (`optional: true`) are kept even when zero, e.g. `gracePeriodSeconds: 0`.
 * Server-filled fields (`status`) and unlisted fields are skipped.
 */

import { errors, type StatusError } from './errors.js';

const MAGIC = [0x6b, 0x38, 0x73, 0x00];
const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** A message: field number → how to decode that field. */
type MessageSpec = Record<number, FieldSpec>;

interface FieldSpec {
  /** JSON name of the field */
  name: string;
  /** `extra` is `map<string, ExtraValue>`, which becomes `{key: string[]}` in JSON */
  type: 'string' | 'bytes' | 'int64' | 'bool' | 'extra' | MessageSpec;
  repeated?: true;
  /** A Go pointer field: kept when present even if zero. */
  optional?: true;
}

const str = (name: string): FieldSpec => ({ name, type: 'string' });
const strs = (name: string): FieldSpec => ({ name, type: 'string', repeated: true });

// k8s.io/apimachinery/pkg/apis/meta/v1
const objectMeta: MessageSpec = { 1: str('name'), 2: str('generateName'), 3: str('namespace') };
const preconditions: MessageSpec = {
  1: { name: 'uid', type: 'string', optional: true },
  2: { name: 'resourceVersion', type: 'string', optional: true },
};
const deleteOptions: MessageSpec = {
  1: { name: 'gracePeriodSeconds', type: 'int64', optional: true },
  2: { name: 'preconditions', type: preconditions },
  3: { name: 'orphanDependents', type: 'bool', optional: true },
  4: { name: 'propagationPolicy', type: 'string', optional: true },
  5: strs('dryRun'),
};
// FieldSelectorRequirement (authorization/v1) and LabelSelectorRequirement (meta/v1) share these numbers.
const selectorRequirement: MessageSpec = { 1: str('key'), 2: str('operator'), 3: strs('values') };
const selectorAttributes: MessageSpec = {
  1: str('rawSelector'),
  2: { name: 'requirements', type: selectorRequirement, repeated: true },
};

// k8s.io/api/authorization/v1
const resourceAttributes: MessageSpec = {
  1: str('namespace'),
  2: str('verb'),
  3: str('group'),
  4: str('version'),
  5: str('resource'),
  6: str('subresource'),
  7: str('name'),
  8: { name: 'fieldSelector', type: selectorAttributes },
  9: { name: 'labelSelector', type: selectorAttributes },
};
const nonResourceAttributes: MessageSpec = { 1: str('path'), 2: str('verb') };
const selfSubjectAccessReviewSpec: MessageSpec = {
  1: { name: 'resourceAttributes', type: resourceAttributes },
  2: { name: 'nonResourceAttributes', type: nonResourceAttributes },
};
const subjectAccessReviewSpec: MessageSpec = {
  ...selfSubjectAccessReviewSpec,
  3: str('user'),
  4: strs('groups'),
  5: { name: 'extra', type: 'extra' },
  6: str('uid'),
};

// k8s.io/api/authentication/v1
const boundObjectReference: MessageSpec = { 1: str('kind'), 2: str('apiVersion'), 3: str('name'), 4: str('uid') };
const tokenRequestSpec: MessageSpec = {
  1: strs('audiences'),
  3: { name: 'boundObjectRef', type: boundObjectReference },
  4: { name: 'expirationSeconds', type: 'int64', optional: true },
};
const tokenReviewSpec: MessageSpec = { 1: str('token'), 2: strs('audiences') };

/** Top-level kinds: metadata is field 1 and spec field 2 in all of them; status (3) is skipped. */
const withSpec = (spec: MessageSpec): MessageSpec => ({
  1: { name: 'metadata', type: objectMeta },
  2: { name: 'spec', type: spec },
});

const KINDS: Record<string, MessageSpec> = {
  'authorization.k8s.io/v1 SelfSubjectAccessReview': withSpec(selfSubjectAccessReviewSpec),
  'authorization.k8s.io/v1 SubjectAccessReview': withSpec(subjectAccessReviewSpec),
  'authorization.k8s.io/v1 LocalSubjectAccessReview': withSpec(subjectAccessReviewSpec),
  'authorization.k8s.io/v1 SelfSubjectRulesReview': withSpec({ 1: str('namespace') }),
  'authentication.k8s.io/v1 SelfSubjectReview': { 1: { name: 'metadata', type: objectMeta } },
  'authentication.k8s.io/v1 TokenReview': withSpec(tokenReviewSpec),
  'authentication.k8s.io/v1 TokenRequest': withSpec(tokenRequestSpec),
  'policy/v1 Eviction': {
    1: { name: 'metadata', type: objectMeta },
    2: { name: 'deleteOptions', type: deleteOptions },
  },
};

// runtime.Unknown and runtime.TypeMeta (k8s.io/apimachinery/pkg/runtime/generated.proto)
const unknown: MessageSpec = {
  1: { name: 'typeMeta', type: { 1: str('apiVersion'), 2: str('kind') } },
  2: { name: 'raw', type: 'bytes' },
  3: str('contentEncoding'),
  4: str('contentType'),
};

/** True when the Content-Type names the Kubernetes protobuf encoding (parameters are ignored). */
export function isProtobuf(contentType: string | undefined): boolean {
  if (!contentType) return false;
  return contentType.split(';')[0].trim().toLowerCase() === PROTOBUF_MEDIA_TYPE;
}

/**
 * Decodes a `application/vnd.kubernetes.protobuf` request body into the object the client would have
 * sent as JSON (including `apiVersion` and `kind`). DeleteOptions is accepted under any apiVersion, since
 * clients stamp it with the group version of the resource being deleted.
 * Throws a BadRequest `StatusError` for a bad prefix, malformed bytes or a kind not listed here.
 */
export function decodeProtobufBody(body: Buffer): { apiVersion: string; kind: string; object: Record<string, unknown> } {
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b)) {
    throw errors.badRequest('protobuf body does not start with the Kubernetes prefix "k8s\\x00"');
  }
  const envelope = decodeMessage(body.subarray(MAGIC.length), unknown);
  const tm = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const apiVersion = tm.apiVersion ?? '';
  const kind = tm.kind ?? '';
  if (envelope.contentEncoding || (envelope.contentType && envelope.contentType !== PROTOBUF_MEDIA_TYPE)) {
    throw errors.badRequest(
      `protobuf envelope with contentEncoding "${String(envelope.contentEncoding ?? '')}" and contentType "${String(envelope.contentType ?? '')}" is not supported; send the body as application/json`,
    );
  }
  const key = `${apiVersion} ${kind}`;
  const spec = kind === 'DeleteOptions' ? deleteOptions : Object.hasOwn(KINDS, key) ? KINDS[key] : undefined;
  if (!spec) {
    throw errors.badRequest(
      `the server cannot decode ${kind || 'an object with no kind'} (${apiVersion || 'no apiVersion'}) from ${PROTOBUF_MEDIA_TYPE}; send it as application/json`,
    );
  }
  const raw = (envelope.raw as Uint8Array | undefined) ?? new Uint8Array();
  const object = { apiVersion, kind, ...decodeMessage(raw, spec) };
  return { apiVersion, kind, object };
}

function malformed(why: string): StatusError {
  return errors.badRequest(`unable to decode protobuf body: ${why}`);
}

/** Reads protobuf wire format from one message's bytes; every overrun throws BadRequest. */
class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw malformed('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw malformed('varint longer than 10 bytes');
  }

  bytes(): Uint8Array {
    const len = this.varint();
    if (len > BigInt(this.buf.length - this.pos)) throw malformed('length-delimited field runs past the end');
    const out = this.buf.subarray(this.pos, this.pos + Number(len));
    this.pos += Number(len);
    return out;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        return this.advance(8);
      case 2:
        this.bytes();
        return;
      case 5:
        return this.advance(4);
      default:
        throw malformed(`unsupported wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.buf.length) throw malformed('fixed-width field runs past the end');
    this.pos += n;
  }
}

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

/**
 * Decodes one message by `spec`. Unknown fields are skipped; zero values of non-optional scalars are
 * dropped, as JSON omitempty does.
 */
function decodeMessage(buf: Uint8Array, spec: MessageSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (!r.done) {
    const key = r.varint();
    const num = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (num === 0) throw malformed('field number 0');
    const field = spec[num];
    if (!field) {
      r.skip(wireType);
      continue;
    }
    const expected = field.type === 'int64' || field.type === 'bool' ? WIRE_VARINT : WIRE_LEN;
    if (wireType !== expected) throw malformed(`field ${field.name} has wire type ${wireType}, expected ${expected}`);
    const value = readValue(r, field);
    if (field.type === 'extra') {
      const [k, items] = value as [string, string[]];
      // the client picks the keys: define them, so `__proto__` stays an ordinary key
      Object.defineProperty((out.extra ??= {}), k, { value: items, enumerable: true, writable: true, configurable: true });
    } else if (field.repeated) {
      ((out[field.name] ??= []) as unknown[]).push(value);
    } else if (field.optional || !isZero(value)) {
      out[field.name] = value;
    } else {
      delete out[field.name];
    }
  }
  return out;
}

function readValue(r: Reader, field: FieldSpec): unknown {
  switch (field.type) {
    case 'string':
      return Buffer.from(r.bytes()).toString('utf8');
    case 'bytes':
      return r.bytes();
    case 'int64':
      return Number(BigInt.asIntN(64, r.varint()));
    case 'bool':
      return r.varint() !== 0n;
    case 'extra': {
      // map entry {1 key, 2 ExtraValue{1 repeated items}}
      const entry = decodeMessage(r.bytes(), { 1: str('key'), 2: { name: 'value', type: { 1: strs('items') } } });
      const value = (entry.value ?? {}) as { items?: string[] };
      return [entry.key ?? '', value.items ?? []];
    }
    default:
      return decodeMessage(r.bytes(), field.type);
  }
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}
