/**
 * Bearer-token authentication against a fixed table of tokens (the admin token `berth up` writes,
 * and the users of the tokens file), and the union of several authenticators. Tokens are compared
 * in constant time.
 */
import { timingSafeEqual, randomBytes } from 'node:crypto';
import type { Authenticator } from '../../controlplane/api/admission.js';
import type { ApiRequest, UserInfo } from '../../controlplane/api/request.js';

/** The identity of the admin token: Kubernetes' superuser group. */
export const ADMIN_USER: UserInfo = { username: 'berth-admin', uid: 'berth-admin', groups: ['system:masters', 'system:authenticated'] };

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(req: ApiRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

export class TokenAuthenticator implements Authenticator {
  private readonly tokens: { token: Buffer; user: UserInfo }[];

  constructor(tokens: Record<string, UserInfo>) {
    this.tokens = Object.entries(tokens).map(([t, user]) => ({ token: Buffer.from(t), user }));
  }

  authenticate(req: ApiRequest): UserInfo | undefined {
    const presented = bearerToken(req);
    if (!presented) return undefined;
    const p = Buffer.from(presented);
    for (const { token, user } of this.tokens) {
      if (token.length === p.length && timingSafeEqual(token, p)) return user;
    }
    return undefined;
  }
}

/** Tries each authenticator in order; the first that recognises the request wins. */
export function unionAuthenticator(list: Authenticator[]): Authenticator {
  return {
    async authenticate(req) {
      for (const a of list) {
        const u = await a.authenticate(req);
        if (u) return u;
      }
      return undefined;
    },
  };
}
