/**
 * JSON patch (RFC 6902, `application/json-patch+json`), applied with fast-json-patch. `kubectl
 * rollout undo` and `kubectl patch --type json` send these. Failures are reported the way the
 * apiserver does: a body that is not a list of operations is 400 BadRequest; an operation that
 * cannot apply (a failed `test`, a missing path) is 422 with evanphx/json-patch's wording.
 */
import jsonpatch from 'fast-json-patch';
import { errors, StatusError } from '../errors.js';
import { deepCopy, goJsonKind, isObject, type JsonObject } from './json-value.js';
import { patchRejected } from './rejected.js';

/** The apiserver's cap on operations in one JSON patch. */
const MAX_OPERATIONS = 10000;

const KINDS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

type Operation = JsonObject & { op: string; path: string; from?: string };

/**
 * Applies the operations in order to a copy of `original`; the first failing operation rejects
 * the whole patch. The result may be any JSON value (a `replace` of "" swaps the document).
 */
export function applyJsonPatch(original: JsonObject, patch: unknown): unknown {
  if (!Array.isArray(patch)) {
    throw errors.badRequest(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type jsonpatch.Patch`);
  }
  if (patch.length > MAX_OPERATIONS) {
    throw new StatusError(
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${patch.length}`,
    );
  }
  for (const op of patch) {
    if (!isObject(op)) {
      throw errors.badRequest(`json: cannot unmarshal ${goJsonKind(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  let doc: unknown = deepCopy(original);
  for (const raw of patch as JsonObject[]) {
    const op = checkOperation(raw);
    try {
      doc = jsonpatch.applyOperation(doc, deepCopy(op) as jsonpatch.Operation, true, true).newDocument;
    } catch (e) {
      if (e instanceof jsonpatch.JsonPatchError || e instanceof TypeError) throw patchRejected(describeFailure(doc, op));
      throw e;
    }
  }
  return doc;
}

/** The operation's kind and paths, or the error evanphx/json-patch gives when they are unusable. */
function checkOperation(raw: JsonObject): Operation {
  const kind = typeof raw.op === 'string' ? raw.op : 'unknown';
  if (!KINDS.has(kind)) throw patchRejected(`Unexpected kind: ${kind}`);
  if (typeof raw.path !== 'string') throw patchRejected(`${kind} operation failed to decode path: missing value`);
  if ((kind === 'move' || kind === 'copy') && typeof raw.from !== 'string') {
    throw patchRejected(`${kind} operation failed to decode from: missing value`);
  }
  if ((kind === 'add' || kind === 'replace' || kind === 'test') && !('value' in raw)) {
    throw patchRejected(`${kind} operation failed to decode value: missing value`);
  }
  return raw as Operation;
}

interface Location {
  /** the container the last pointer token addresses into, if it exists */
  parent: unknown;
  key: string;
}

function locate(doc: unknown, pointer: string): Location {
  const tokens = pointer.split('/').slice(1).map(jsonpatch.unescapePathComponent);
  const key = tokens.pop() ?? '';
  let parent: unknown = doc;
  for (const t of tokens) {
    if (Array.isArray(parent)) parent = /^\d+$/.test(t) ? parent[Number(t)] : undefined;
    else if (isObject(parent) && Object.prototype.hasOwnProperty.call(parent, t)) parent = parent[t];
    else parent = undefined;
  }
  return { parent: Array.isArray(parent) || isObject(parent) ? parent : undefined, key };
}

function hasKey(loc: Location): boolean {
  if (Array.isArray(loc.parent)) return /^\d+$/.test(loc.key) && Number(loc.key) < loc.parent.length;
  return isObject(loc.parent) && Object.prototype.hasOwnProperty.call(loc.parent, loc.key);
}

/** Why `op` failed on `doc`, in evanphx/json-patch's words (what kubectl users see from Kubernetes). */
function describeFailure(doc: unknown, op: Operation): string {
  const { path } = op;
  const at = locate(doc, path);
  const badIndex = `Unable to access invalid index: ${at.key}: invalid index referenced`;
  switch (op.op) {
    case 'add':
      if (at.parent === undefined) return `add operation does not apply: doc is missing path: "${path}": missing value`;
      return `error in add for path: '${path}': ${badIndex}`;
    case 'remove':
      if (at.parent === undefined) return `remove operation does not apply: doc is missing path: "${path}": missing value`;
      if (Array.isArray(at.parent)) return `error in remove for path: '${path}': ${badIndex}`;
      return `error in remove for path: '${path}': Unable to remove nonexistent key: ${at.key}: missing value`;
    case 'replace':
      if (at.parent === undefined) return `replace operation does not apply: doc is missing path: ${path}: missing value`;
      return `replace operation does not apply: doc is missing key: ${path}: missing value`;
    case 'test':
      if (at.parent === undefined) return `test operation does not apply: is missing path: ${path}: missing value`;
      return `testing value ${path} failed: test failed`;
    default: {
      const from = op.from ?? '';
      if (!hasKey(locate(doc, from))) return `${op.op} operation does not apply: doc is missing from path: ${from}: missing value`;
      return `${op.op} operation does not apply: doc is missing destination path: ${path}: missing value`;
    }
  }
}
