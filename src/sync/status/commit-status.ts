/**
 * Commit statuses: after a sync, a preview or a review, berth tells a Git host (or any webhook) how
 * a commit fared — pending, success, failure — so the host shows it next to the commit. Two shapes:
 * a generic JSON payload POSTed to a URL, and the commit-status API GitHub and Gitea share
 * (`POST {api}/repos/{owner}/{repo}/statuses/{sha}` with `{state, target_url, description, context}`).
 * Posting retries a few times within a time bound and never throws: a Git host being down must not
 * block or fail a sync.
 */

/** The states a commit status takes (GitHub's and Gitea's set). */
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

/** Where statuses go and in which shape. */
export interface StatusTarget {
  /** `generic`: the URL itself; `github`/`gitea`: the API base (`https://api.github.com`, `https://gitea.example/api/v1`) */
  url: string;
  format: StatusFormat;
  /** sent as `Authorization: Bearer` (generic, github) or `Authorization: token` (gitea) */
  token?: string;
  /** `owner/repo`, required by github and gitea */
  repository?: string;
}

/** The payload shapes a StatusTarget can take. */
export const STATUS_FORMATS = ['generic', 'github', 'gitea'] as const;
export type StatusFormat = (typeof STATUS_FORMATS)[number];

/** One commit's status. */
export interface CommitStatus {
  state: CommitState;
  /** the full commit SHA */
  sha: string;
  /** which check this is; a host keeps one status per context, the latest winning (`berth/sync/default/web`) */
  context: string;
  /** one line for people; hosts cut it (GitHub at 140 characters) */
  description: string;
  /** where to look for details */
  targetUrl?: string;
  /** what produced it, for the generic payload */
  kind?: 'sync' | 'preview' | 'review';
  /** the repository URL the commit is in, for the generic payload */
  repoURL?: string;
}

/** An HTTP request, built without sending it. */
export interface StatusRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const GITHUB_DESCRIPTION_LIMIT = 140;

/** `owner/repo` from a GitHub-, Gitea- or GitLab-style repository URL (https, ssh or scp-like), else undefined. */
export function repositoryOf(repoURL: string): string | undefined {
  const m = /^(?:[a-z+]+:\/\/[^/]+|[^@/:]+@[^:]+:)\/?(.+?)(?:\.git)?\/?$/.exec(repoURL.trim());
  const parts = m?.[1].split('/') ?? [];
  return parts.length >= 2 ? parts.slice(-2).join('/') : undefined;
}

function cut(s: string, n: number): string {
  const line = s.split('\n')[0];
  return line.length <= n ? line : `${line.slice(0, n - 1)}…`;
}

/**
 * The request posting `status` to `target`. Throws when the target cannot take it (github/gitea
 * without a repository) — a configuration error to report where the target was configured.
 */
export function statusRequest(target: StatusTarget, status: CommitStatus): StatusRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'berth' };
  if (target.format === 'generic') {
    if (target.token) headers.authorization = `Bearer ${target.token}`;
    const body = { state: status.state, sha: status.sha, context: status.context, description: status.description, targetUrl: status.targetUrl, kind: status.kind, repoURL: status.repoURL };
    return { url: target.url, headers, body: JSON.stringify(body) };
  }
  if (!target.repository || !/^[^/\s]+\/[^/\s]+$/.test(target.repository)) {
    throw new Error(`a ${target.format} commit status needs the repository as owner/repo, got ${JSON.stringify(target.repository ?? '')}`);
  }
  if (target.token) headers.authorization = target.format === 'gitea' ? `token ${target.token}` : `Bearer ${target.token}`;
  if (target.format === 'github') headers.accept = 'application/vnd.github+json';
  const [owner, repo] = target.repository.split('/').map(encodeURIComponent);
  const url = `${target.url.replace(/\/+$/, '')}/repos/${owner}/${repo}/statuses/${encodeURIComponent(status.sha)}`;
  const body = { state: status.state, target_url: status.targetUrl, description: cut(status.description, GITHUB_DESCRIPTION_LIMIT), context: status.context };
  return { url, headers, body: JSON.stringify(body) };
}

/** How a post went: delivered (a 2xx), or the last error after the attempts. */
export interface PostResult {
  ok: boolean;
  attempts: number;
  /** the last HTTP status, when a response came */
  status?: number;
  /** why it failed */
  error?: string;
}

/** Retry and time bounds of a post. */
export interface PostOptions {
  /** attempts in all (default 3) */
  attempts?: number;
  /** per attempt (default 5 s) */
  timeoutMs?: number;
  /** wait before the second attempt, doubled after each (default 500 ms) */
  backoffMs?: number;
}

/**
 * Posts `status` to `target`: retries on network errors, timeouts, 429 and 5xx; a 4xx other than 429
 * is final. Never throws; bounded by attempts × (timeout + backoff).
 */
export async function postStatus(target: StatusTarget, status: CommitStatus, opts: PostOptions = {}): Promise<PostResult> {
  const attempts = Math.max(1, opts.attempts ?? 3);
  const timeoutMs = opts.timeoutMs ?? 5_000;
  let wait = opts.backoffMs ?? 500;
  let req: StatusRequest;
  try {
    req = statusRequest(target, status);
  } catch (e) {
    return { ok: false, attempts: 0, error: (e as Error).message };
  }
  let last: PostResult = { ok: false, attempts: 0 };
  for (let i = 1; i <= attempts; i++) {
    try {
      const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, attempts: i, status: res.status };
      last = { ok: false, attempts: i, status: res.status, error: `${req.url} answered ${res.status} ${res.statusText}` };
      if (res.status < 500 && res.status !== 429) return last;
    } catch (e) {
      const err = e as Error & { cause?: Error };
      last = { ok: false, attempts: i, error: `${req.url}: ${err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.message ?? err.message)}` };
    }
    if (i < attempts) {
      await new Promise((r) => setTimeout(r, wait));
      wait *= 2;
    }
  }
  return last;
}
