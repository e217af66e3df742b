/**
 * The seams between the API server and the policy engine (src/policy): authentication,
 * authorization and admission, in the order Kubernetes runs them. The API server only knows these
 * interfaces; the policy engine provides the implementations.
 */
import type { ApiRequest, UserInfo } from './request.js';
import type { KubeObject, ResourceType } from '../resources/types.js';

/** Finds who sent a request; undefined when the request carries no credentials it recognises. */
export interface Authenticator {
  authenticate(req: ApiRequest): Promise<UserInfo | undefined> | UserInfo | undefined;
}

/** The attributes RBAC decides on (Kubernetes' authorizer.Attributes). */
export interface AuthorizationAttributes {
  user: UserInfo;
  verb: string;
  /** resource requests */
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** non-resource requests (`/healthz`, `/version`) */
  path?: string;
  resourceRequest: boolean;
}

export interface AuthorizationDecision {
  allowed: boolean;
  /** why, shown in the Forbidden message when denied */
  reason?: string;
}

export interface Authorizer {
  authorize(attrs: AuthorizationAttributes): Promise<AuthorizationDecision> | AuthorizationDecision;
}

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: AdmissionOperation;
  type: ResourceType;
  subresource?: string;
  namespace: string;
  name: string;
  /** the object being written (mutable in `mutate`); undefined for DELETE */
  object?: KubeObject;
  /** the stored object, for UPDATE and DELETE */
  oldObject?: KubeObject;
  user: UserInfo;
  dryRun: boolean;
  /** warnings to return to the client as `Warning: 299` headers */
  warnings: string[];
  /**
   * annotations for the request's audit event (`<policy>/<key>`), when the request is audited;
   * add with `addAuditAnnotation`
   */
  auditAnnotations?: Record<string, string>;
}

/** Adds an audit annotation; a second value for the same key joins the first (as Kubernetes joins bindings' values). */
export function addAuditAnnotation(a: AdmissionAttributes, key: string, value: string): void {
  if (!a.auditAnnotations) return;
  const old = a.auditAnnotations[key];
  a.auditAnnotations[key] = old === undefined || old.split(', ').includes(value) ? (old ?? value) : `${old}, ${value}`;
}

/**
 * An admission plugin. `mutate` may change `attrs.object`; `validate` may only look. Either denies
 * by throwing a StatusError (Forbidden, Invalid...), which fails the request with nothing written.
 */
export interface AdmissionPlugin {
  name: string;
  mutate?(attrs: AdmissionAttributes): Promise<void> | void;
  validate?(attrs: AdmissionAttributes): Promise<void> | void;
}

/** Authorizer for a server whose only users are its administrators (Kubernetes' AlwaysAllow mode). */
export const alwaysAllow: Authorizer = { authorize: () => ({ allowed: true }) };

/** Runs every plugin's mutate, in order. */
export async function runMutating(plugins: AdmissionPlugin[], attrs: AdmissionAttributes): Promise<void> {
  for (const p of plugins) if (p.mutate) await p.mutate(attrs);
}

/** Runs every plugin's validate, in order. */
export async function runValidating(plugins: AdmissionPlugin[], attrs: AdmissionAttributes): Promise<void> {
  for (const p of plugins) if (p.validate) await p.validate(attrs);
}
