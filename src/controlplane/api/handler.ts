/**
 * The API server's single entry point: authenticate, route (discovery, OpenAPI, health, resources),
 * authorize, then hand resource requests to the REST layer, and record the request in the audit log
 * when there is one. Both transports — HTTP and in-process — call `ApiHandler.handle`, so every
 * request takes the same path.
 */
import { errors, asStatusError, StatusError } from './errors.js';
import { alwaysAllow, type AdmissionPlugin, type Authenticator, type Authorizer } from './admission.js';
import { ObjectService } from './objects.js';
import { ServiceAllocator, type ServiceAllocationOptions } from './service-allocation.js';
import { parseResourcePath, type ResourcePath } from './paths.js';
import { jsonResponse, type ApiRequest, type ApiResponse, type UserInfo } from './request.js';
import { RestHandler } from './rest.js';
import { discoveryResponse } from './discovery-routes.js';
import type { ObjectStore } from '../store/types.js';
import { registry } from '../resources/registry.js';
import type { AuditLog, RequestAudit } from './audit/audit-log.js';
import { serveMetrics } from './metrics/metrics-api.js';
import { METRICS_GROUP } from './metrics/metrics-objects.js';

/**
 * Create-only endpoints answered by the policy engine and never stored (authorization.k8s.io and
 * authentication.k8s.io reviews, serviceaccounts/token). The handler authorizes the request first.
 */
export interface ReviewEndpoints {
  serves(path: ResourcePath): boolean;
  handle(req: ApiRequest, user: UserInfo, path: ResourcePath): Promise<ApiResponse>;
}

export interface ApiHandlerOptions {
  store: ObjectStore;
  authenticator: Authenticator;
  authorizer?: Authorizer;
  admission?: AdmissionPlugin[];
  reviews?: ReviewEndpoints;
  /** let requests without credentials in as system:anonymous (off by default) */
  allowAnonymous?: boolean;
  /** records every request the audit policy selects */
  auditLog?: AuditLog;
  /** the service CIDR and nodePort range Services get their values from (Kubernetes' defaults) */
  services?: ServiceAllocationOptions;
  now?: () => number;
}

const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

/** Paths anyone may read, as Kubernetes' system:public-info-viewer role allows. */
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);

/** Pod subresources that open streams to a container. */
const STREAM_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

/** The verb RBAC sees for a request (Kubernetes' RequestInfoFactory). */
function verbOf(method: string, hasName: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
      if (watch) return 'watch';
      return hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

export class ApiHandler {
  readonly objects: ObjectService;
  private readonly rest: RestHandler;
  private readonly authenticator: Authenticator;
  private readonly authorizer: Authorizer;
  private readonly allowAnonymous: boolean;
  private readonly reviews?: ReviewEndpoints;
  private readonly auditLog?: AuditLog;
  private ready = true;

  constructor(opts: ApiHandlerOptions) {
    const now = opts.now ?? Date.now;
    const namespaceType = registry.find('', 'v1', 'namespaces');
    if (!namespaceType) throw new Error('the registry has no core/v1 namespaces');
    const services = new ServiceAllocator(opts.services ?? {}, (claims) => opts.store.claimHolders(claims));
    this.objects = new ObjectService({ store: opts.store, admission: opts.admission ?? [], namespaceType, services, now });
    this.rest = new RestHandler(this.objects, opts.store, now);
    this.authenticator = opts.authenticator;
    this.authorizer = opts.authorizer ?? alwaysAllow;
    this.allowAnonymous = opts.allowAnonymous ?? false;
    this.reviews = opts.reviews;
    this.auditLog = opts.auditLog;
  }

  /** Stops background work (the namespace cache's watch). */
  close(): void {
    this.objects.close();
  }

  /** Marks the server as shutting down: /readyz fails so load balancers stop sending work. */
  setReady(ready: boolean): void {
    this.ready = ready;
  }

  /** Never throws: every failure becomes a Kubernetes Status response. */
  async handle(req: ApiRequest): Promise<ApiResponse> {
    const audit = this.auditLog?.begin(req);
    let res: ApiResponse;
    try {
      res = await this.route(req, audit);
    } catch (e) {
      const err = asStatusError(e);
      if (err.code >= 500) console.error(`berth api: ${req.method} ${req.path}: ${(e as Error).stack ?? String(e)}`);
      res = jsonResponse(err.code, err.toStatus());
    }
    return audit ? audit.finish(res) : res;
  }

  private async route(req: ApiRequest, audit: RequestAudit | undefined): Promise<ApiResponse> {
    const path = req.path.length > 1 && req.path.endsWith('/') ? req.path.slice(0, -1) : req.path;
    if (PUBLIC_PATHS.has(path)) return this.health(path);
    const user = req.user ?? (await this.authenticator.authenticate(req)) ?? (this.allowAnonymous ? ANONYMOUS : undefined);
    if (!user) throw errors.unauthorized();

    const rp = parseResourcePath(path);
    const method = req.method.toUpperCase();
    if (!rp) {
      await this.authorize({ user, verb: method === 'GET' ? 'get' : method.toLowerCase(), path, resourceRequest: false }, audit);
      const res = discoveryResponse(path, req);
      if (res) return res;
      throw new StatusError('NotFound', `the server could not find the requested resource (${method} ${path})`);
    }
    if (this.reviews?.serves(rp)) {
      const verb = verbOf(method, false, false);
      await this.authorize({ user, verb, group: rp.group, version: rp.version, resource: rp.resource, subresource: rp.subresource, namespace: rp.namespace, name: rp.name, resourceRequest: true }, audit);
      return this.reviews.handle(req, user, rp);
    }
    if (rp.group === METRICS_GROUP) {
      const watch = req.query.get('watch') === 'true' || req.query.get('watch') === '1';
      await this.authorize({ user, verb: verbOf(method, rp.name !== undefined, watch), group: rp.group, version: rp.version, resource: rp.resource, subresource: rp.subresource, namespace: rp.namespace, name: rp.name, resourceRequest: true }, audit);
      return serveMetrics(this.objects, req, rp, method);
    }
    const type = registry.find(rp.group, rp.version, rp.resource);
    if (!type) {
      const gv = rp.group ? `${rp.group}/${rp.version}` : rp.version;
      throw new StatusError('NotFound', `the server could not find the requested resource: no resource "${rp.resource}" in ${gv}`);
    }
    if (rp.namespace !== undefined && !type.namespaced) {
      throw new StatusError('NotFound', `${type.resource} is not namespaced: use the path without /namespaces/${rp.namespace}`);
    }
    const watch = req.query.get('watch') === 'true' || req.query.get('watch') === '1';
    const verb = rp.subresource === 'binding' || rp.subresource === 'eviction' ? 'create' : verbOf(method, rp.name !== undefined, watch);
    const namespace = type.namespaced ? (rp.namespace ?? '') : '';
    if (type.namespaced && !namespace && (rp.name !== undefined || method === 'POST')) {
      throw errors.badRequest(`${type.resource} is namespaced: the request must name a namespace (/namespaces/NAME/${type.resource})`);
    }
    const attrs = {
      user,
      verb,
      group: type.group,
      version: type.version,
      resource: type.resource,
      subresource: rp.subresource,
      namespace: namespace || undefined,
      name: rp.name,
      resourceRequest: true,
    };
    await this.authorize(attrs, audit);
    // A WebSocket upgrade is a GET, but it starts a process as a SPDY POST does: `create` is
    // needed too (Kubernetes' AuthorizePodWebsocketUpgradeCreatePermission).
    if (verb === 'get' && rp.subresource && STREAM_SUBRESOURCES.has(rp.subresource)) await this.authorize({ ...attrs, verb: 'create' }, audit, false);
    return this.rest.handle({ req, user, path: rp, type, namespace, auditAnnotations: audit?.annotations });
  }

  /** `first`: these are the request's attributes for the audit log (a second check only adds its verdict). */
  private async authorize(attrs: Parameters<Authorizer['authorize']>[0], audit: RequestAudit | undefined, first = true): Promise<void> {
    if (first) audit?.attributes(attrs);
    const d = await this.authorizer.authorize(attrs);
    audit?.authorized(d.allowed, d.reason);
    if (d.allowed) return;
    // As the apiserver words it: `pods "web" is forbidden: User "u" cannot get resource "pods" ...`
    const who = `User "${attrs.user.username}"`;
    if (!attrs.resourceRequest) {
      throw errors.forbidden(`forbidden: ${who} cannot ${attrs.verb} path "${attrs.path}"${d.reason ? `: ${d.reason}` : ''}`);
    }
    const resource = `${attrs.resource}${attrs.subresource ? '/' + attrs.subresource : ''}`;
    const subject = `${attrs.resource}${attrs.group ? '.' + attrs.group : ''}${attrs.name ? ` "${attrs.name}"` : ''}`;
    const where = attrs.namespace ? ` in the namespace "${attrs.namespace}"` : ' at the cluster scope';
    const err = errors.forbidden(`${subject} is forbidden: ${who} cannot ${attrs.verb} resource "${resource}" in API group "${attrs.group ?? ''}"${where}${d.reason ? `: ${d.reason}` : ''}`);
    throw new StatusError('Forbidden', err.message, { name: attrs.name, group: attrs.group || undefined, kind: attrs.resource });
  }

  private health(path: string): ApiResponse {
    if (path === '/version') return discoveryResponse(path, undefined)!;
    if (path === '/readyz' && !this.ready) return { status: 500, headers: { 'content-type': 'text/plain' }, body: '[-]shutdown failed: reason withheld\nreadyz check failed' };
    return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
  }
}
