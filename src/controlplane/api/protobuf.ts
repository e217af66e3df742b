/**
 * Decodes the protobuf request bodies client-go sends. Its typed clients (kubectl's `create <generator>`,
 * `expose`, `auth can-i`, `drain`, `create token`, and controllers and node agents built on client-go)
 * send `application/vnd.kubernetes.protobuf`, and client-go does not fall back to JSON on a 415, so
 * every built-in kind we serve must decode. Replies stay JSON, which client-go accepts.
 *
 * A body is the magic `k8s\0`, then a `runtime.Unknown` envelope {1 typeMeta{1 apiVersion, 2 kind}, 2 raw,
 * 3 contentEncoding, 4 contentType}; `raw` is the object's own message, decoded by ./protobuf/decode.ts
 * from field tables generated out of the Kubernetes Go types (scripts/gen-proto-fields.ts).
 */

import { errors } from './errors.js';
import { decodeMessage, KIND_MESSAGES } from './protobuf/decode.js';
import { malformed, Reader, WIRE_LEN } from './protobuf/wire.js';

const MAGIC = [0x6b, 0x38, 0x73, 0x00];
const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** True when the Content-Type names the Kubernetes protobuf encoding (parameters are ignored). */
export function isProtobuf(contentType: string | undefined): boolean {
  if (!contentType) return false;
  return contentType.split(';')[0].trim().toLowerCase() === PROTOBUF_MEDIA_TYPE;
}

/**
 * Decodes a `application/vnd.kubernetes.protobuf` request body into the object the client would have
 * sent as JSON (including `apiVersion` and `kind`). DeleteOptions is accepted under any apiVersion, since
 * clients stamp it with the group version of the resource being deleted.
 * Throws a BadRequest `StatusError` for a bad prefix, malformed bytes or a kind we do not serve.
 */
export function decodeProtobufBody(body: Buffer): { apiVersion: string; kind: string; object: Record<string, unknown> } {
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b)) {
    throw errors.badRequest('protobuf body does not start with the Kubernetes prefix "k8s\\x00"');
  }
  const envelope = readEnvelope(body.subarray(MAGIC.length));
  const { apiVersion, kind } = envelope;
  if (envelope.contentEncoding || (envelope.contentType && envelope.contentType !== PROTOBUF_MEDIA_TYPE)) {
    throw errors.badRequest(
      `protobuf envelope with contentEncoding "${envelope.contentEncoding}" and contentType "${envelope.contentType}" is not supported; send the body as application/json`,
    );
  }
  const key = kind === 'DeleteOptions' ? kind : `${apiVersion} ${kind}`;
  const message = Object.hasOwn(KIND_MESSAGES, key) ? KIND_MESSAGES[key] : undefined;
  if (!message) {
    throw errors.badRequest(
      `the server cannot decode ${kind || 'an object with no kind'} (${apiVersion || 'no apiVersion'}) from ${PROTOBUF_MEDIA_TYPE}; send it as application/json`,
    );
  }
  const object = { apiVersion, kind, ...decodeMessage(envelope.raw, message) };
  return { apiVersion, kind, object };
}

/** runtime.Unknown, with runtime.TypeMeta inside (k8s.io/apimachinery/pkg/runtime/generated.proto). */
function readEnvelope(buf: Uint8Array) {
  const env = { apiVersion: '', kind: '', raw: new Uint8Array() as Uint8Array, contentEncoding: '', contentType: '' };
  const r = new Reader(buf);
  while (!r.done) {
    const { num, wireType } = r.key();
    if (num > 4) {
      r.skip(wireType);
      continue;
    }
    if (wireType !== WIRE_LEN) throw malformed(`envelope field ${num} has wire type ${wireType}`);
    const bytes = r.bytes();
    if (num === 1) {
      const tm = new Reader(bytes);
      while (!tm.done) {
        const f = tm.key();
        if (f.num > 2) tm.skip(f.wireType);
        else if (f.wireType !== WIRE_LEN) throw malformed(`typeMeta field ${f.num} has wire type ${f.wireType}`);
        else env[f.num === 1 ? 'apiVersion' : 'kind'] = Buffer.from(tm.bytes()).toString('utf8');
      }
    } else if (num === 2) {
      env.raw = bytes;
    } else {
      env[num === 3 ? 'contentEncoding' : 'contentType'] = Buffer.from(bytes).toString('utf8');
    }
  }
  return env;
}
