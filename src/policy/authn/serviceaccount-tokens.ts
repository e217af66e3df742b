/**
 * ServiceAccount tokens: JWTs signed with the cluster's own key (ES256, made on first start and kept
 * in <data-dir>/pki), with audience and expiry, as Kubernetes' bound service account tokens. Issued
 * through TokenRequest (`kubectl create token`); verified on every request, and refused once the
 * ServiceAccount is gone or was recreated (its uid is in the token).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, importSPKI, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import type { Authenticator } from '../../controlplane/api/admission.js';
import type { ApiRequest, UserInfo } from '../../controlplane/api/request.js';
import { AUTHENTICATED_GROUP } from './tokens-file.js';
import { bearerToken } from './tokens.js';

/** Kubernetes' default issuer and API audience. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const ALG = 'ES256';

/** Kubernetes' bounds on TokenRequest.spec.expirationSeconds. */
export const MIN_EXPIRATION_SECONDS = 600;
export const DEFAULT_EXPIRATION_SECONDS = 3600;
const MAX_EXPIRATION_SECONDS = 48 * 3600;

export interface ServiceAccountRef {
  namespace: string;
  name: string;
  uid: string;
}

export interface IssueRequest {
  serviceAccount: ServiceAccountRef;
  /** defaults to the API server's audiences */
  audiences?: string[];
  expirationSeconds?: number;
  /** the pod (or secret) the token is bound to */
  boundObject?: { kind: string; name: string; uid?: string };
}

export interface IssuedToken {
  token: string;
  expirationTimestamp: string;
}

/** The username of a ServiceAccount, and its groups. */
export function serviceAccountUser(namespace: string, name: string, uid?: string): UserInfo {
  return { username: `system:serviceaccount:${namespace}:${name}`, uid, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, AUTHENTICATED_GROUP] };
}

interface KubernetesClaim {
  namespace: string;
  serviceaccount: { name: string; uid: string };
  pod?: { name: string; uid?: string };
}

export interface ServiceAccountTokensOptions {
  issuer?: string;
  /** audiences the API server accepts; tokens must name one of them */
  apiAudiences?: string[];
  /** looks up the ServiceAccount's current uid; undefined when it does not exist */
  lookup?: (namespace: string, name: string) => string | undefined;
  now?: () => number;
}

export class ServiceAccountTokens implements Authenticator {
  readonly issuer: string;
  readonly apiAudiences: string[];
  private readonly now: () => number;

  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    private readonly opts: ServiceAccountTokensOptions,
  ) {
    this.issuer = opts.issuer ?? DEFAULT_ISSUER;
    this.apiAudiences = opts.apiAudiences ?? [this.issuer];
    this.now = opts.now ?? Date.now;
  }

  /** Loads the signing key from `dir` (sa.key / sa.pub), making one on first use; no dir = in-memory key. */
  static async create(dir: string | undefined, opts: ServiceAccountTokensOptions = {}): Promise<ServiceAccountTokens> {
    const keyPath = dir && join(dir, 'sa.key');
    const pubPath = dir && join(dir, 'sa.pub');
    if (keyPath && pubPath && existsSync(keyPath) && existsSync(pubPath)) {
      const priv = await importPKCS8(readFileSync(keyPath, 'utf8'), ALG);
      const pub = await importSPKI(readFileSync(pubPath, 'utf8'), ALG);
      return new ServiceAccountTokens(priv, pub, opts);
    }
    const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
    if (dir && keyPath && pubPath) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(keyPath, await exportPKCS8(privateKey), { mode: 0o600 });
      writeFileSync(pubPath, await exportSPKI(publicKey));
    }
    return new ServiceAccountTokens(privateKey, publicKey, opts);
  }

  /** Lets the lookup be attached after construction (the informer exists only once the API runs). */
  setLookup(lookup: (namespace: string, name: string) => string | undefined): void {
    this.opts.lookup = lookup;
  }

  async issue(req: IssueRequest): Promise<IssuedToken> {
    const exp = Math.min(Math.max(req.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS, MIN_EXPIRATION_SECONDS), MAX_EXPIRATION_SECONDS);
    const nowSec = Math.floor(this.now() / 1000);
    const sa = req.serviceAccount;
    const claim: KubernetesClaim = { namespace: sa.namespace, serviceaccount: { name: sa.name, uid: sa.uid } };
    if (req.boundObject?.kind === 'Pod') claim.pod = { name: req.boundObject.name, uid: req.boundObject.uid };
    const token = await new SignJWT({ 'kubernetes.io': claim })
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setSubject(serviceAccountUser(sa.namespace, sa.name).username)
      .setAudience(req.audiences && req.audiences.length > 0 ? req.audiences : this.apiAudiences)
      .setIssuedAt(nowSec)
      .setNotBefore(nowSec)
      .setExpirationTime(nowSec + exp)
      .sign(this.privateKey);
    return { token, expirationTimestamp: new Date((nowSec + exp) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
  }

  /**
   * Verifies `token` for `audiences` (default: the API's). Returns the user and the audiences it
   * was accepted for, or the reason it was refused.
   */
  async verify(token: string, audiences: string[] = this.apiAudiences): Promise<{ user: UserInfo; audiences: string[] } | { error: string }> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, { issuer: this.issuer, algorithms: [ALG], currentDate: new Date(this.now()) });
      const tokenAud = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
      const accepted = audiences.filter((a) => tokenAud.includes(a));
      if (accepted.length === 0) return { error: 'token audiences do not include any of the accepted audiences' };
      const k = payload['kubernetes.io'] as KubernetesClaim | undefined;
      if (!k?.namespace || !k.serviceaccount?.name) return { error: 'token has no service account claim' };
      if (this.opts.lookup) {
        const uid = this.opts.lookup(k.namespace, k.serviceaccount.name);
        if (uid === undefined) return { error: `service account ${k.namespace}/${k.serviceaccount.name} not found` };
        if (k.serviceaccount.uid && uid !== k.serviceaccount.uid) return { error: `service account ${k.namespace}/${k.serviceaccount.name} was recreated (uid changed)` };
      }
      const user = serviceAccountUser(k.namespace, k.serviceaccount.name, k.serviceaccount.uid);
      if (k.pod) user.extra = { 'authentication.kubernetes.io/pod-name': [k.pod.name], ...(k.pod.uid ? { 'authentication.kubernetes.io/pod-uid': [k.pod.uid] } : {}) };
      return { user, audiences: accepted };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  async authenticate(req: ApiRequest): Promise<UserInfo | undefined> {
    const token = bearerToken(req);
    // JWTs have three dot-separated parts; static tokens are tried by the other authenticator
    if (!token || token.split('.').length !== 3) return undefined;
    const r = await this.verify(token);
    return 'user' in r ? r.user : undefined;
  }
}
