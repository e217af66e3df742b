/**
 * Kubernetes REST verbs on resource paths: get, list, watch, create, update, patch, delete,
 * deletecollection, and the subresources. Turns query parameters and bodies into ObjectService
 * calls and results into responses (JSON, Table, watch stream).
 */
import { decodeBody, isPlainObject } from './body.js';
import { errors, StatusError } from './errors.js';
import { ObjectService, storeKey, UNCHANGED, type DeleteOptions, type FieldValidation, type WriteOptions, type WriteResult } from './objects.js';
import type { ResourcePath } from './paths.js';
import { jsonResponse, type ApiRequest, type ApiResponse, type UserInfo } from './request.js';
import { buildTable, wantsTable } from './table.js';
import { watchStream } from './watch.js';
import { applyJsonPatch } from './patch/json-patch.js';
import { applyMergePatch } from './patch/merge-patch.js';
import { applyStrategicMergePatch } from './patch/strategic-merge.js';
import { serverSideApply } from './apply/apply.js';
import { handleSubresource } from './subresources.js';
import { clone, timestamp } from './metadata.js';
import { parseSelection, selectableOf, type Selection } from './selection.js';
import type { ObjectStore } from '../store/types.js';
import { apiVersionOf, type KubeObject, type ResourceType } from '../resources/types.js';

export interface RestContext {
  req: ApiRequest;
  user: UserInfo;
  path: ResourcePath;
  type: ResourceType;
  /** '' for cluster-scoped resources */
  namespace: string;
  /** the audit annotations of the request, when it is audited */
  auditAnnotations?: Record<string, string>;
}

const FIELD_VALIDATIONS = new Set(['Strict', 'Warn', 'Ignore']);

/** `dryRun=All` is the only value Kubernetes accepts. */
function dryRunOf(q: URLSearchParams): boolean {
  const values = q.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw errors.badRequest(`unsupported dryRun value "${v}": the only supported value is "All"`);
  return values.length > 0;
}

/** The default field manager is the user agent's program name, as the apiserver does. */
function fieldManagerOf(req: ApiRequest): string {
  const explicit = req.query.get('fieldManager');
  if (explicit) {
    if (explicit.length > 128) throw errors.badRequest('fieldManager must be at most 128 characters');
    return explicit;
  }
  const ua = req.headers['user-agent'] ?? 'unknown';
  return ua.split('/')[0] || 'unknown';
}

function fieldValidationOf(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation') ?? 'Warn';
  if (!FIELD_VALIDATIONS.has(v)) throw errors.badRequest(`fieldValidation must be one of Strict, Warn, Ignore (got "${v}")`);
  return v as FieldValidation;
}

export function writeOptions(ctx: RestContext, subresource?: string): WriteOptions {
  const q = ctx.req.query;
  return { user: ctx.user, dryRun: dryRunOf(q), fieldManager: fieldManagerOf(ctx.req), fieldValidation: fieldValidationOf(q), subresource, auditAnnotations: ctx.auditAnnotations };
}

function warningHeaders(warnings: string[]): Record<string, string> {
  if (warnings.length === 0) return {};
  return { warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') };
}

export function writeResponse(status: number, result: WriteResult): ApiResponse {
  return jsonResponse(status, result.json, warningHeaders(result.warnings));
}

function requireObject(v: unknown, what: string): KubeObject {
  if (!isPlainObject(v)) throw errors.badRequest(`the body must be a JSON or YAML object (a ${what}), not ${Array.isArray(v) ? 'a list' : typeof v}`);
  return v as KubeObject;
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`${name} must be a non-negative integer (got "${v}")`);
  return n;
}

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

/** The list/watch selection from the query; undefined when there is none. */
function selectionOf(type: ResourceType, q: URLSearchParams): Selection | undefined {
  return parseSelection(type, q.get('labelSelector'), q.get('fieldSelector'));
}

/** A predicate on parsed objects for lists. */
function objectFilter(type: ResourceType, q: URLSearchParams): ((obj: KubeObject) => boolean) | undefined {
  const sel = selectionOf(type, q);
  return sel && ((obj) => sel.matches(selectableOf(type, obj)));
}

function deleteOptionsOf(ctx: RestContext): DeleteOptions {
  const q = ctx.req.query;
  let body: Record<string, unknown> = {};
  if (ctx.req.body && ctx.req.body.length > 0) body = requireObject(decodeBody(ctx.req.body, ctx.req.headers['content-type']), 'DeleteOptions');
  const policy = (body.propagationPolicy as string | undefined) ?? q.get('propagationPolicy') ?? undefined;
  if (policy !== undefined && !['Foreground', 'Background', 'Orphan'].includes(policy)) {
    throw errors.badRequest(`propagationPolicy must be Foreground, Background or Orphan (got "${policy}")`);
  }
  const graceRaw = body.gracePeriodSeconds ?? intParam(q, 'gracePeriodSeconds');
  if (graceRaw !== undefined && (typeof graceRaw !== 'number' || !Number.isInteger(graceRaw))) throw errors.badRequest('gracePeriodSeconds must be an integer');
  const bodyDryRun = Array.isArray(body.dryRun) && body.dryRun.includes('All');
  const orphan = body.orphanDependents ?? (q.has('orphanDependents') ? isTrue(q.get('orphanDependents')) : undefined);
  return {
    propagationPolicy: policy as DeleteOptions['propagationPolicy'],
    gracePeriodSeconds: graceRaw as number | undefined,
    preconditions: isPlainObject(body.preconditions) ? (body.preconditions as DeleteOptions['preconditions']) : undefined,
    orphanDependents: orphan as boolean | undefined,
    dryRun: bodyDryRun || dryRunOf(q),
    user: ctx.user,
    auditAnnotations: ctx.auditAnnotations,
  };
}

export class RestHandler {
  constructor(
    private readonly objects: ObjectService,
    private readonly store: ObjectStore,
    private readonly now: () => number = Date.now,
  ) {}

  async handle(ctx: RestContext): Promise<ApiResponse> {
    const { req, path } = ctx;
    const method = req.method.toUpperCase();
    if (path.subresource) return handleSubresource(this.objects, ctx, method);
    if (path.name === undefined) {
      switch (method) {
        case 'GET':
          return isTrue(req.query.get('watch')) ? this.watch(ctx) : this.list(ctx);
        case 'POST':
          return this.create(ctx);
        case 'DELETE':
          return this.deleteCollection(ctx);
        default:
          throw errors.methodNotAllowed(`${method} is not supported on the ${ctx.type.resource} collection`);
      }
    }
    switch (method) {
      case 'GET':
        return this.get(ctx, path.name);
      case 'PUT':
        return this.update(ctx, path.name);
      case 'PATCH':
        return this.patch(ctx, path.name);
      case 'DELETE':
        return this.delete(ctx, path.name);
      default:
        throw errors.methodNotAllowed(`${method} is not supported on ${ctx.type.resource} "${path.name}"`);
    }
  }

  private async get(ctx: RestContext, name: string): Promise<ApiResponse> {
    const { object, stored } = await this.objects.get(ctx.type, ctx.namespace, name);
    if (wantsTable(ctx.req.headers.accept)) {
      return jsonResponse(200, buildTable(ctx.type, [object], { resourceVersion: stored.rv }, this.tableOptions(ctx)));
    }
    return jsonResponse(200, stored.json);
  }

  private tableOptions(ctx: RestContext) {
    const inc = ctx.req.query.get('includeObject') ?? 'Metadata';
    if (!['None', 'Metadata', 'Object'].includes(inc)) throw errors.badRequest(`includeObject must be None, Metadata or Object (got "${inc}")`);
    return { includeObject: inc as 'None' | 'Metadata' | 'Object', now: this.now() };
  }

  private async list(ctx: RestContext): Promise<ApiResponse> {
    const q = ctx.req.query;
    const filter = objectFilter(ctx.type, q);
    const limit = intParam(q, 'limit');
    const page = await this.store.list(storeKey(ctx.type), {
      namespace: ctx.type.namespaced && ctx.namespace ? ctx.namespace : undefined,
      limit,
      continue: q.get('continue') ?? undefined,
    });
    const listMeta: Record<string, unknown> = { resourceVersion: page.resourceVersion };
    if (page.continue) listMeta.continue = page.continue;
    if (page.remainingItemCount !== undefined && !filter) listMeta.remainingItemCount = page.remainingItemCount;
    if (wantsTable(ctx.req.headers.accept)) {
      let objs = page.items.map((i) => JSON.parse(i.json) as KubeObject);
      if (filter) objs = objs.filter(filter);
      return jsonResponse(200, buildTable(ctx.type, objs, listMeta, this.tableOptions(ctx)));
    }
    // Items are spliced in as stored: no re-encoding unless a selector needs the parsed object.
    const items = filter ? page.items.filter((i) => filter(JSON.parse(i.json) as KubeObject)) : page.items;
    const head = JSON.stringify({ kind: ctx.type.listKind, apiVersion: apiVersionOf(ctx.type), metadata: listMeta });
    const body = `${head.slice(0, -1)},"items":[${items.map((i) => i.json).join(',')}]}`;
    return jsonResponse(200, body);
  }

  private watch(ctx: RestContext): ApiResponse {
    const q = ctx.req.query;
    const rv = q.get('resourceVersion') ?? '';
    if (rv !== '' && !/^\d+$/.test(rv)) throw errors.badRequest(`invalid resourceVersion "${rv}": must be a number`);
    const sendInitial = q.get('sendInitialEvents');
    const fromStart = rv === '' || rv === '0' || isTrue(sendInitial);
    const table = wantsTable(ctx.req.headers.accept) ? this.tableOptions(ctx) : undefined;
    const stream = watchStream(this.store, {
      type: ctx.type,
      namespace: ctx.type.namespaced && ctx.namespace ? ctx.namespace : undefined,
      fromRv: fromStart ? undefined : rv,
      selection: selectionOf(ctx.type, q),
      table,
      bookmarks: isTrue(q.get('allowWatchBookmarks')),
      sendInitialEvents: isTrue(sendInitial),
      timeoutSeconds: intParam(q, 'timeoutSeconds'),
    });
    return { status: 200, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, stream };
  }

  private async create(ctx: RestContext): Promise<ApiResponse> {
    const obj = requireObject(decodeBody(ctx.req.body, ctx.req.headers['content-type']), ctx.type.kind);
    const result = await this.objects.create(ctx.type, ctx.namespace, obj, writeOptions(ctx));
    return writeResponse(201, result);
  }

  private async update(ctx: RestContext, name: string): Promise<ApiResponse> {
    const obj = requireObject(decodeBody(ctx.req.body, ctx.req.headers['content-type']), ctx.type.kind);
    const result = await this.objects.update(ctx.type, ctx.namespace, name, obj, writeOptions(ctx));
    return writeResponse(200, result);
  }

  private async patch(ctx: RestContext, name: string): Promise<ApiResponse> {
    const result = await patchObject(this.objects, ctx, name, writeOptions(ctx), this.now);
    return writeResponse(result.created ? 201 : 200, result);
  }

  private async delete(ctx: RestContext, name: string): Promise<ApiResponse> {
    const res = await this.objects.delete(ctx.type, ctx.namespace, name, deleteOptionsOf(ctx));
    return jsonResponse(res.deleted ? 200 : 202, res.json);
  }

  private async deleteCollection(ctx: RestContext): Promise<ApiResponse> {
    const q = ctx.req.query;
    const filter = objectFilter(ctx.type, q);
    const opts = deleteOptionsOf(ctx);
    const page = await this.store.list(storeKey(ctx.type), { namespace: ctx.type.namespaced && ctx.namespace ? ctx.namespace : undefined });
    const deleted: string[] = [];
    for (const item of page.items) {
      const obj = JSON.parse(item.json) as KubeObject;
      if (filter && !filter(obj)) continue;
      try {
        const r = await this.objects.delete(ctx.type, obj.metadata?.namespace ?? '', obj.metadata?.name ?? '', opts);
        deleted.push(r.json);
      } catch (e) {
        if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
      }
    }
    const head = JSON.stringify({ kind: ctx.type.listKind, apiVersion: apiVersionOf(ctx.type), metadata: { resourceVersion: page.resourceVersion } });
    return jsonResponse(200, `${head.slice(0, -1)},"items":[${deleted.join(',')}]}`);
  }
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

/**
 * PATCH on an object or its status: applies the patch to the current state and writes the result
 * through the update pipeline (server-side apply may create). Exported for subresources.
 */
export async function patchObject(objects: ObjectService, ctx: RestContext, name: string, opts: WriteOptions, now: () => number): Promise<WriteResult> {
  const contentType = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!PATCH_TYPES.includes(contentType)) {
    throw new StatusError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`);
  }
  const isBuiltin = ctx.type.group !== 'berth.dev';
  if (contentType === 'application/strategic-merge-patch+json' && !isBuiltin) {
    throw new StatusError('UnsupportedMediaType', `strategic merge patch is not supported for ${ctx.type.resource}.${ctx.type.group}: use a JSON merge patch (--type merge) or a JSON patch (--type json)`);
  }
  const patch = decodeBody(ctx.req.body, contentType, true);
  const schema = ctx.type.schema();
  if (contentType === 'application/apply-patch+yaml') {
    const config = requireObject(patch, ctx.type.kind);
    if (!ctx.req.query.get('fieldManager')) throw errors.badRequest('PATCH with apply requires a fieldManager query parameter');
    if (config.apiVersion !== apiVersionOf(ctx.type) || config.kind !== ctx.type.kind) {
      throw errors.badRequest(`apply: apiVersion and kind must be ${apiVersionOf(ctx.type)} ${ctx.type.kind} (got ${String(config.apiVersion)} ${String(config.kind)})`);
    }
    const cm = (config.metadata ?? {}) as { name?: string; namespace?: string; resourceVersion?: string };
    if (cm.name !== undefined && cm.name !== name) throw errors.badRequest(`the name of the object (${cm.name}) does not match the name on the URL (${name})`);
    const force = isTrue(ctx.req.query.get('force'));
    return objects.mutate(
      ctx.type,
      ctx.namespace,
      name,
      (live) => {
        const cfg = clone(config);
        const cmeta = (cfg.metadata ??= {});
        cmeta.name = name;
        if (ctx.type.namespaced) cmeta.namespace = ctx.namespace;
        delete cmeta.resourceVersion;
        const { object, managedFields } = serverSideApply({
          live,
          config: cfg,
          manager: opts.fieldManager,
          force,
          schema,
          apiVersion: apiVersionOf(ctx.type),
          now: timestamp(now()),
          subresource: opts.subresource,
        });
        object.metadata = { ...(object.metadata ?? {}), managedFields };
        return object;
      },
      { ...opts, allowCreate: opts.subresource === undefined, expectedRv: cm.resourceVersion || undefined, applied: true },
    );
  }
  let expectedRv: string | undefined;
  if (isPlainObject(patch) && isPlainObject(patch.metadata) && typeof patch.metadata.resourceVersion === 'string') {
    expectedRv = patch.metadata.resourceVersion;
  }
  return objects.mutate(
    ctx.type,
    ctx.namespace,
    name,
    (current) => {
      if (!current) return UNCHANGED;
      let next: KubeObject;
      if (contentType === 'application/json-patch+json') next = applyJsonPatch(current, patch) as KubeObject;
      else if (contentType === 'application/merge-patch+json') next = applyMergePatch(current, patch) as KubeObject;
      else next = applyStrategicMergePatch(current, patch, schema) as KubeObject;
      if (!isPlainObject(next)) throw errors.badRequest('the patch must leave an object');
      return next;
    },
    { ...opts, expectedRv },
  );
}
