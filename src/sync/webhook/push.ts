/**
 * Push webhooks from Git hosts (GitHub, GitLab, Gitea/Forgejo) and berth's own post-receive hook:
 * verifying the sender (HMAC-SHA256 signature or shared token) and reading which repository and ref
 * were pushed. Pure, with table tests.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { resolve } from 'node:path';

export interface PushEvent {
  /** every URL the payload names for the repository */
  repoURLs: string[];
  /** e.g. refs/heads/main; undefined when the payload has none */
  ref?: string;
  after?: string;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** True when the request proves it knows `secret` (any of the schemes the supported hosts use). */
export function verifyPush(headers: Record<string, string | undefined>, body: Buffer, secret: string): boolean {
  const hmac = createHmac('sha256', secret).update(body).digest('hex');
  const gh = headers['x-hub-signature-256'];
  if (gh) return safeEqual(gh, `sha256=${hmac}`);
  const gitea = headers['x-gitea-signature'] ?? headers['x-forgejo-signature'] ?? headers['x-gogs-signature'];
  if (gitea) return safeEqual(gitea, hmac);
  const gitlab = headers['x-gitlab-token'];
  if (gitlab) return safeEqual(gitlab, secret);
  const auth = headers['authorization'];
  if (auth?.startsWith('Bearer ')) return safeEqual(auth.slice(7), secret);
  return false;
}

/** The repository URLs and ref of a push payload (GitHub, GitLab, Gitea/Forgejo or berth's hook). */
export function parsePush(payload: unknown): PushEvent {
  const p = (payload ?? {}) as Record<string, Record<string, unknown> | unknown>;
  const urls: string[] = [];
  for (const holder of [p.repository, p.project]) {
    if (!holder || typeof holder !== 'object') continue;
    for (const k of ['clone_url', 'html_url', 'ssh_url', 'git_url', 'url', 'git_http_url', 'git_ssh_url', 'web_url', 'http_url', 'path']) {
      const v = (holder as Record<string, unknown>)[k];
      if (typeof v === 'string' && v) urls.push(v);
    }
  }
  return { repoURLs: urls, ref: typeof p.ref === 'string' ? p.ref : undefined, after: typeof p.after === 'string' ? p.after : undefined };
}

/** One spelling per repository: no credentials, scheme and host lower-case, no trailing `/` or `.git`; paths absolute. */
export function normalizeRepoURL(url: string): string {
  const u = url.trim();
  const scp = /^([\w.-]+@)?([\w.-]+):(?!\/\/)(.+)$/.exec(u);
  let out: string;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(u) && !u.toLowerCase().startsWith('file://')) {
    const parsed = new URL(u);
    out = `${parsed.host.toLowerCase()}${parsed.pathname}`;
  } else if (scp && !u.startsWith('/') && !u.startsWith('.')) out = `${scp[2].toLowerCase()}/${scp[3]}`;
  else out = resolve(u.replace(/^file:\/\//i, ''));
  return out.replace(/\/+$/, '').replace(/\.git$/, '').replace(/\/+$/, '');
}

/** Whether a push of `ref` concerns an Application tracking `targetRevision`. */
export function refMatches(ref: string | undefined, targetRevision: string | undefined): boolean {
  if (!ref || !targetRevision || targetRevision === 'HEAD') return true;
  return ref === targetRevision || ref === `refs/heads/${targetRevision}` || ref === `refs/tags/${targetRevision}`;
}
