/**
 * OpenAPI v3 as kubectl reads it: the `/openapi/v3` root lists one document per group-version
 * (`api/v1`, `apis/apps/v1`...) under a content-hashed URL, and each document carries the full
 * schemas of that group-version's kinds (with `x-kubernetes-group-version-kind`) plus `paths` for
 * every resource. Every `patch` operation names its kind and takes `fieldValidation`, which is what
 * makes kubectl send `fieldValidation=Strict` instead of validating client-side (notes §1.3).
 * Documents are built on first use and cached as serialized JSON with their hash.
 */
import { createHash } from 'node:crypto';
import { registry as defaultRegistry, type Registry } from '../resources/registry.js';
import { definitionNameOf, refName, schemaDefinitions, SCHEMA_REF_PREFIX, type RawSchema } from '../resources/schema.js';
import type { ResourceType, SubresourceType } from '../resources/types.js';
import { KUBERNETES_VERSION } from './discovery.js';

export interface OpenAPIDocument {
  /** the serialized document */
  json: string;
  /** upper-case hex SHA-512 of `json`, the `hash` query of its URL */
  hash: string;
}

type Json = Record<string, unknown>;

/** `api/v1` or `apis/<group>/<version>`: the key of a group-version in the root and in URLs. */
export function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const stringParam = (name: string, where: 'query' | 'path', description: string, required = false): Json => ({
  name,
  in: where,
  description,
  ...(required ? { required: true } : {}),
  schema: { type: 'string', uniqueItems: true },
});
const boolParam = (name: string, description: string): Json => ({ name, in: 'query', description, schema: { type: 'boolean', uniqueItems: true } });
const intParam = (name: string, description: string): Json => ({ name, in: 'query', description, schema: { type: 'integer', uniqueItems: true } });

const PRETTY = stringParam('pretty', 'query', "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).");
const NAMESPACE = stringParam('namespace', 'path', 'object name and auth scope, such as for teams and projects', true);
const DRY_RUN = stringParam('dryRun', 'query', 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed');
const FIELD_MANAGER = stringParam('fieldManager', 'query', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.');
const FIELD_VALIDATION = stringParam(
  'fieldValidation',
  'query',
  'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
);
const FORCE = boolParam('force', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.');
const LIST_PARAMS: Json[] = [
  boolParam('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".'),
  stringParam('continue', 'query', 'The continue option should be set when retrieving more results from the server.'),
  stringParam('fieldSelector', 'query', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  stringParam('labelSelector', 'query', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  intParam('limit', 'limit is a maximum number of responses to return for a list call.'),
  stringParam('resourceVersion', 'query', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  stringParam('resourceVersionMatch', 'query', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  boolParam('sendInitialEvents', '`sendInitialEvents=true` may be set together with `watch=true`.'),
  intParam('timeoutSeconds', 'Timeout for the list/watch call.'),
  boolParam('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.'),
];
const DELETE_PARAMS: Json[] = [
  DRY_RUN,
  intParam('gracePeriodSeconds', 'The duration in seconds before the object should be deleted.'),
  stringParam('propagationPolicy', 'query', "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'."),
];

const ref = (name: string): Json => ({ $ref: SCHEMA_REF_PREFIX + name });
const content = (schema: Json, types = ['application/json', 'application/yaml']): Json => Object.fromEntries(types.map((t) => [t, { schema }]));
const responses = (codes: string[], schema: Json): Json => ({
  ...Object.fromEntries(codes.map((c) => [c, { description: c === '201' ? 'Created' : c === '202' ? 'Accepted' : 'OK', content: content(schema) }])),
  '401': { description: 'Unauthorized' },
});

/** `rbac.authorization.k8s.io` → `RbacAuthorization`, '' → `Core`: the group part of operation ids. */
function groupWord(group: string): string {
  if (!group) return 'Core';
  return group
    .replace(/\.k8s\.io$/, '')
    .split(/[.-]/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

interface PathContext {
  t: ResourceType;
  gvk: Json;
  idPart: string;
  tag: string;
  strategicMerge: boolean;
}

function operation(ctx: PathContext, action: string, verbWord: string, description: string, extra: Json, gvk = ctx.gvk): Json {
  return {
    tags: [ctx.tag],
    description,
    operationId: `${verbWord}${ctx.idPart}`,
    ...extra,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  };
}

function patchOperation(ctx: PathContext, idPart: string, description: string, kindDef: string, gvk: Json): Json {
  const types = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json'];
  if (ctx.strategicMerge) types.push('application/strategic-merge-patch+json');
  return operation({ ...ctx, idPart }, 'patch', 'patch', description, {
    parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE],
    requestBody: { content: content(ref('V1Patch'), types), required: true },
    responses: responses(['200', '201'], ref(kindDef)),
  }, gvk);
}

/** The paths of one resource: collection, item, all-namespaces list, and status/scale/create-only subresources. */
function resourcePaths(t: ResourceType, strategicMerge: boolean): Record<string, Json> {
  const kindDef = definitionNameOf(t.group, t.version, t.kind);
  if (!kindDef) return {};
  const listDef = definitionNameOf(t.group, t.version, t.listKind) ?? kindDef;
  const base = `/${gvPath(t.group, t.version)}`;
  const ns = t.namespaced ? 'Namespaced' : '';
  const idBase = `${groupWord(t.group)}${t.version.charAt(0).toUpperCase()}${t.version.slice(1)}`;
  const ctx: PathContext = {
    t,
    gvk: { group: t.group, version: t.version, kind: t.kind },
    idPart: `${idBase}${ns}${t.kind}`,
    tag: `${t.group ? groupWord(t.group).toLowerCase() : 'core'}_${t.version}`,
    strategicMerge,
  };
  const collection = t.namespaced ? `${base}/namespaces/{namespace}/${t.resource}` : `${base}/${t.resource}`;
  const scope = t.namespaced ? [NAMESPACE] : [];
  const nameParam = stringParam('name', 'path', `name of the ${t.kind}`, true);
  const paths: Record<string, Json> = {};

  paths[collection] = {
    get: operation(ctx, 'list', 'list', `list or watch objects of kind ${t.kind}`, { parameters: LIST_PARAMS, responses: responses(['200'], ref(listDef)) }),
    post: operation(ctx, 'post', 'create', `create a ${t.kind}`, {
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
      requestBody: { content: content(ref(kindDef)), required: true },
      responses: responses(['200', '201', '202'], ref(kindDef)),
    }),
    ...(t.verbs.includes('deletecollection')
      ? { delete: operation(ctx, 'deletecollection', 'deleteCollection', `delete collection of ${t.kind}`, { parameters: [...DELETE_PARAMS, ...LIST_PARAMS], responses: responses(['200'], ref('V1Status')) }) }
      : {}),
    parameters: [...scope, PRETTY],
  };
  paths[`${collection}/{name}`] = {
    get: operation(ctx, 'get', 'read', `read the specified ${t.kind}`, { responses: responses(['200'], ref(kindDef)) }),
    put: operation(ctx, 'put', 'replace', `replace the specified ${t.kind}`, {
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
      requestBody: { content: content(ref(kindDef)), required: true },
      responses: responses(['200', '201'], ref(kindDef)),
    }),
    patch: patchOperation(ctx, ctx.idPart, `partially update the specified ${t.kind}`, kindDef, ctx.gvk),
    delete: operation(ctx, 'delete', 'delete', `delete a ${t.kind}`, {
      parameters: DELETE_PARAMS,
      requestBody: { content: content(ref('V1DeleteOptions')) },
      responses: responses(['200', '202'], ref('V1Status')),
    }),
    parameters: [nameParam, ...scope, PRETTY],
  };
  if (t.namespaced) {
    paths[`${base}/${t.resource}`] = {
      get: operation({ ...ctx, idPart: `${idBase}${t.kind}ForAllNamespaces` }, 'list', 'list', `list or watch objects of kind ${t.kind}`, {
        parameters: LIST_PARAMS,
        responses: responses(['200'], ref(listDef)),
      }),
      parameters: [PRETTY],
    };
  }
  for (const s of t.subresources) Object.assign(paths, subresourcePath(ctx, s, collection, nameParam, scope));
  return paths;
}

function subresourcePath(ctx: PathContext, s: SubresourceType, collection: string, nameParam: Json, scope: Json[]): Record<string, Json> {
  const def = definitionNameOf(s.group, s.version, s.kind);
  if (!def) return {};
  const word = s.name.charAt(0).toUpperCase() + s.name.slice(1);
  const sub: PathContext = { ...ctx, idPart: `${ctx.idPart}${word}` };
  const gvk = { group: s.group, version: s.version, kind: s.kind };
  const path: Json = { parameters: [nameParam, ...scope, PRETTY] };
  if (s.verbs.includes('get')) path.get = operation(sub, 'get', 'read', `read ${s.name} of the specified ${ctx.t.kind}`, { responses: responses(['200'], ref(def)) }, gvk);
  if (s.verbs.includes('update')) {
    path.put = operation(sub, 'put', 'replace', `replace ${s.name} of the specified ${ctx.t.kind}`, {
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
      requestBody: { content: content(ref(def)), required: true },
      responses: responses(['200', '201'], ref(def)),
    }, gvk);
  }
  if (s.verbs.includes('patch')) path.patch = patchOperation(ctx, sub.idPart, `partially update ${s.name} of the specified ${ctx.t.kind}`, def, gvk);
  if (s.verbs.includes('create')) {
    path.post = operation(sub, 'post', 'create', `create ${s.name} of a ${ctx.t.kind}`, {
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
      requestBody: { content: content(ref(def)), required: true },
      responses: responses(['200', '201', '202'], ref(def)),
    }, gvk);
  }
  return { [`${collection}/{name}/${s.name}`]: path };
}

/** Every definition reachable from `roots` through `$ref`s. */
function closure(roots: string[]): string[] {
  const defs = schemaDefinitions();
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string') add(refName(v));
        else visit(v);
      }
    }
  };
  const add = (name: string): void => {
    if (seen.has(name) || !defs[name]) return;
    seen.add(name);
    visit(defs[name]);
  };
  roots.forEach(add);
  return [...seen].sort();
}

function buildDocument(reg: Registry, group: string, version: string): Json {
  const types = reg.groupVersion(group, version);
  // Our own kinds behave like custom resources: no strategic merge patch.
  const strategicMerge = !group.endsWith('berth.dev');
  const paths: Record<string, Json> = {};
  const roots = ['V1Patch', 'V1Status', 'V1DeleteOptions'];
  for (const t of types) {
    Object.assign(paths, resourcePaths(t, strategicMerge));
    for (const [g, v, k] of [[t.group, t.version, t.kind], [t.group, t.version, t.listKind], ...t.subresources.map((s) => [s.group, s.version, s.kind])]) {
      const name = definitionNameOf(g, v, k);
      if (name) roots.push(name);
    }
  }
  const defs = schemaDefinitions();
  const schemas: Record<string, RawSchema> = {};
  for (const name of closure(roots)) schemas[name] = defs[name];
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion },
    paths,
    components: { schemas },
  };
}

const caches = new WeakMap<Registry, Map<string, OpenAPIDocument>>();

/** The document of one group-version (`api/v1`, `apis/apps/v1`), or undefined if not served. */
export function openapiDocument(path: string, reg: Registry = defaultRegistry): OpenAPIDocument | undefined {
  let cache = caches.get(reg);
  if (!cache) caches.set(reg, (cache = new Map()));
  const hit = cache.get(path);
  if (hit) return hit;
  const gv = reg.groups().flatMap((g) => g.versions.map((v) => ({ group: g.name, version: v }))).find((x) => gvPath(x.group, x.version) === path);
  if (!gv) return undefined;
  const json = JSON.stringify(buildDocument(reg, gv.group, gv.version));
  const doc = { json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
  cache.set(path, doc);
  return doc;
}

/** The `/openapi/v3` root: every group-version's document URL, with its hash. */
export function openapiRoot(reg: Registry = defaultRegistry): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const g of reg.groups()) {
    for (const v of g.versions) {
      const p = gvPath(g.name, v);
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${openapiDocument(p, reg)!.hash}` };
    }
  }
  return { paths };
}
