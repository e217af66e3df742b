/**
 * Decodes request bodies (JSON, YAML, Kubernetes protobuf) into plain objects, refusing what would
 * hurt the server: bodies over the size limit, nesting deeper than any Kubernetes object needs,
 * YAML alias bombs. Every refusal is a 4xx Status that says what was wrong.
 */
import { parseDocument } from 'yaml';
import { errors } from './errors.js';
import { decodeProtobufBody, isProtobuf } from './protobuf.js';

/** Kubernetes' apiserver refuses bodies over 3 MiB (MaxRequestBodyBytes). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Deeper than this is no Kubernetes object; recursion over it could exhaust the stack. */
export const MAX_DEPTH = 100;

/** Counts bracket nesting outside strings, without recursion. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/**
 * True when `text` has at most `limit` opening brackets (those in strings counted too), so it can
 * nest no deeper than `limit`. Native searches: a typical object is cleared without a char-by-char scan.
 */
function fewBrackets(text: string, limit: number): boolean {
  let n = 0;
  for (const bracket of ['{', '[']) {
    for (let i = text.indexOf(bracket); i !== -1; i = text.indexOf(bracket, i + 1)) {
      if (++n > limit) return false;
    }
  }
  return true;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Parses JSON text, refusing deep nesting; errors say where the syntax broke. */
export function parseJson(text: string): unknown {
  if (!fewBrackets(text, MAX_DEPTH) && jsonDepth(text) > MAX_DEPTH) {
    throw errors.badRequest(`the request body is nested more than ${MAX_DEPTH} levels deep; no Kubernetes object is`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`error decoding JSON body: ${(e as Error).message}`);
  }
}

/** Parses one YAML document (a JSON body is valid YAML too). */
export function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, version: '1.2' });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const where = e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw errors.badRequest(`error decoding YAML body${where}: ${e.message.split('\n')[0]}`);
  }
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (jsonDepth(JSON.stringify(value) ?? '') > MAX_DEPTH) {
    throw errors.badRequest(`the request body is nested more than ${MAX_DEPTH} levels deep; no Kubernetes object is`);
  }
  return value;
}

const PATCH_TYPES = new Set([
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
  'application/apply-patch+cbor',
]);

/**
 * Decodes a body by its Content-Type into a JS value. `allowPatch` admits the patch media types
 * (which are JSON, except apply-patch+yaml).
 */
export function decodeBody(body: Buffer | undefined, contentType: string | undefined, allowPatch = false): unknown {
  if (!body || body.length === 0) throw errors.badRequest('the request body is empty; send the object as JSON or YAML');
  if (body.length > MAX_BODY_BYTES) throw errors.tooLarge(`the request body is ${body.length} bytes; the limit is ${MAX_BODY_BYTES}`);
  const type = mediaType(contentType);
  if (isProtobuf(type)) return decodeProtobufBody(body).object;
  if (allowPatch && PATCH_TYPES.has(type)) {
    if (type === 'application/apply-patch+yaml') return parseYaml(body.toString('utf8'));
    if (type === 'application/apply-patch+cbor') throw errors.unsupportedMediaType(type);
    return parseJson(body.toString('utf8'));
  }
  if (type === '' || type === 'application/json' || type === '*/*') return parseJson(body.toString('utf8'));
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return parseYaml(body.toString('utf8'));
  throw errors.unsupportedMediaType(type);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
