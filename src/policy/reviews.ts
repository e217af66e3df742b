/**
 * The create-only, never-stored endpoints of authorization.k8s.io and authentication.k8s.io, and
 * ServiceAccount TokenRequest: SelfSubjectAccessReview, SubjectAccessReview,
 * LocalSubjectAccessReview (`kubectl auth can-i`), SelfSubjectRulesReview (`can-i --list`),
 * SelfSubjectReview (`kubectl auth whoami`), TokenReview and `serviceaccounts/<name>/token`
 * (`kubectl create token`). The API handler authorizes the request and hands it here.
 */
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import type { AuthorizationAttributes, Authenticator, Authorizer } from '../controlplane/api/admission.js';
import { decodeBody, isPlainObject } from '../controlplane/api/body.js';
import { errors, StatusError } from '../controlplane/api/errors.js';
import type { ReviewEndpoints } from '../controlplane/api/handler.js';
import type { ResourcePath } from '../controlplane/api/paths.js';
import { jsonResponse, type ApiRequest, type ApiResponse, type UserInfo } from '../controlplane/api/request.js';
import type { ServiceAccountTokens } from './authn/serviceaccount-tokens.js';

const AUTHZ = 'authorization.k8s.io';
const AUTHN = 'authentication.k8s.io';

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

interface ReviewSpec {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: { path?: string; verb?: string };
  user?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  namespace?: string;
  token?: string;
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

/** The rules a user holds in a namespace, for SelfSubjectRulesReview. */
export type RulesLister = (user: UserInfo, namespace: string) => { rules: PolicyRule[]; incomplete: boolean };

export interface ReviewOptions {
  authenticator: Authenticator;
  authorizer: Authorizer;
  rules: RulesLister;
  tokens: ServiceAccountTokens;
  /** the ServiceAccount's uid, or undefined when it does not exist */
  serviceAccountUid(namespace: string, name: string): Promise<string | undefined>;
}

const REVIEW_RESOURCES: Record<string, Set<string>> = {
  [AUTHZ]: new Set(['selfsubjectaccessreviews', 'subjectaccessreviews', 'localsubjectaccessreviews', 'selfsubjectrulesreviews']),
  [AUTHN]: new Set(['selfsubjectreviews', 'tokenreviews']),
};

function bodyOf(req: ApiRequest): Record<string, unknown> & { spec?: ReviewSpec; metadata?: Record<string, unknown> } {
  const body = decodeBody(req.body, req.headers['content-type']);
  if (!isPlainObject(body)) throw errors.badRequest('the request body must be an object');
  return body as Record<string, unknown> & { spec?: ReviewSpec };
}

/** Attributes of an access review, for `user`. */
function reviewAttributes(spec: ReviewSpec, user: UserInfo): AuthorizationAttributes {
  if (spec.resourceAttributes) {
    const r = spec.resourceAttributes;
    return { user, verb: r.verb ?? '', group: r.group ?? '', version: r.version, resource: r.resource ?? '', subresource: r.subresource || undefined, namespace: r.namespace || undefined, name: r.name || undefined, resourceRequest: true };
  }
  if (spec.nonResourceAttributes) return { user, verb: spec.nonResourceAttributes.verb ?? '', path: spec.nonResourceAttributes.path ?? '', resourceRequest: false };
  throw errors.invalid('SubjectAccessReview', AUTHZ, '', [{ field: 'spec.resourceAttributes', reason: 'FieldValueRequired', message: 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified' }]);
}

/** Splits rules into the resource and non-resource rules a SelfSubjectRulesReview reports. */
function rulesStatus(rules: PolicyRule[], incomplete: boolean) {
  const resourceRules = [];
  const nonResourceRules = [];
  for (const r of rules) {
    if (r.nonResourceURLs?.length) nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
    if (r.resources?.length) resourceRules.push({ verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources, ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}) });
  }
  return { resourceRules, nonResourceRules, incomplete };
}

export class Reviews implements ReviewEndpoints {
  constructor(private readonly opts: ReviewOptions) {}

  serves(p: ResourcePath): boolean {
    if (p.group === '' && p.resource === 'serviceaccounts' && p.subresource === 'token') return true;
    return REVIEW_RESOURCES[p.group]?.has(p.resource) ?? false;
  }

  async handle(req: ApiRequest, user: UserInfo, p: ResourcePath): Promise<ApiResponse> {
    if (req.method.toUpperCase() !== 'POST' || (p.name !== undefined && p.resource !== 'serviceaccounts')) {
      throw errors.methodNotAllowed(`the server does not allow this method on the requested resource: ${p.resource} can only be created`);
    }
    const body = bodyOf(req);
    const spec = body.spec ?? {};
    const reply = (kind: string, status: unknown, extraSpec?: unknown) =>
      jsonResponse(201, { kind, apiVersion: `${p.group || 'authentication.k8s.io'}/${p.version}`, metadata: { ...(body.metadata ?? {}), creationTimestamp: null }, spec: extraSpec ?? spec, status });

    switch (p.resource) {
      case 'selfsubjectaccessreviews':
        return reply('SelfSubjectAccessReview', await this.access(reviewAttributes(spec, user)));
      case 'subjectaccessreviews':
      case 'localsubjectaccessreviews': {
        if (!spec.user && !(spec.groups?.length)) {
          throw errors.invalid('SubjectAccessReview', AUTHZ, '', [{ field: 'spec.user', reason: 'FieldValueRequired', message: 'Required value: at least one of user or group must be specified' }]);
        }
        const subject: UserInfo = { username: spec.user ?? '', uid: spec.uid, groups: spec.groups ?? [], extra: spec.extra };
        const attrs = reviewAttributes(spec, subject);
        if (p.resource === 'localsubjectaccessreviews') {
          if (!attrs.resourceRequest || (attrs.namespace ?? '') !== (p.namespace ?? '')) {
            throw errors.invalid('LocalSubjectAccessReview', AUTHZ, '', [{ field: 'spec.resourceAttributes.namespace', reason: 'FieldValueInvalid', message: `Invalid value: must match metadata.namespace "${p.namespace ?? ''}"` }]);
          }
        }
        return reply(p.resource === 'subjectaccessreviews' ? 'SubjectAccessReview' : 'LocalSubjectAccessReview', await this.access(attrs));
      }
      case 'selfsubjectrulesreviews': {
        const { rules, incomplete } = this.opts.rules(user, spec.namespace ?? '');
        return reply('SelfSubjectRulesReview', rulesStatus(rules, incomplete));
      }
      case 'selfsubjectreviews':
        return reply('SelfSubjectReview', { userInfo: { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra ? { extra: user.extra } : {}) } }, {});
      case 'tokenreviews':
        return reply('TokenReview', await this.tokenReview(spec));
      case 'serviceaccounts':
        return this.tokenRequest(p, spec, body.metadata);
      default:
        throw new StatusError('NotFound', `the server could not find the requested resource: ${p.resource}`);
    }
  }

  private async access(attrs: AuthorizationAttributes) {
    const d = await this.opts.authorizer.authorize(attrs);
    const denied = !d.allowed && (d as { denied?: boolean }).denied === true;
    return { allowed: d.allowed, ...(denied ? { denied: true } : {}), ...(d.reason ? { reason: d.reason } : {}) };
  }

  private async tokenReview(spec: ReviewSpec) {
    const token = spec.token ?? '';
    if (!token) return { authenticated: false, error: 'token is empty' };
    if (token.split('.').length === 3) {
      const r = await this.opts.tokens.verify(token, spec.audiences?.length ? spec.audiences : undefined);
      if ('error' in r) return { authenticated: false, error: r.error };
      return { authenticated: true, user: r.user, audiences: r.audiences };
    }
    const user = await this.opts.authenticator.authenticate({ method: 'POST', path: '/', query: new URLSearchParams(), headers: { authorization: `Bearer ${token}` } });
    return user ? { authenticated: true, user, audiences: this.opts.tokens.apiAudiences } : { authenticated: false, error: 'invalid bearer token' };
  }

  private async tokenRequest(p: ResourcePath, spec: ReviewSpec, metadata: Record<string, unknown> | undefined): Promise<ApiResponse> {
    const namespace = p.namespace ?? '';
    const name = p.name ?? '';
    const uid = await this.opts.serviceAccountUid(namespace, name);
    if (uid === undefined) throw errors.notFound({ resource: 'serviceaccounts', group: '', name });
    if (spec.expirationSeconds !== undefined && spec.expirationSeconds < 600) {
      throw errors.invalid('TokenRequest', AUTHN, name, [{ field: 'spec.expirationSeconds', reason: 'FieldValueInvalid', message: `Invalid value: ${spec.expirationSeconds}: may not specify a duration less than 10 minutes` }]);
    }
    const bound = spec.boundObjectRef?.name ? { kind: spec.boundObjectRef.kind ?? '', name: spec.boundObjectRef.name, uid: spec.boundObjectRef.uid } : undefined;
    const issued = await this.opts.tokens.issue({ serviceAccount: { namespace, name, uid }, audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, boundObject: bound });
    const expirationSeconds = Math.round((Date.parse(issued.expirationTimestamp) - Date.now()) / 1000);
    return jsonResponse(201, {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { ...(metadata ?? {}), name, namespace, creationTimestamp: null },
      spec: { audiences: spec.audiences?.length ? spec.audiences : this.opts.tokens.apiAudiences, expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
      status: issued,
    });
  }
}
