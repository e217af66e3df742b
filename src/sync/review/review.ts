/**
 * `berth review` without the CLI: resolves two revisions of a repository with the sync Git source,
 * renders both with the sync renderer, evaluates the admission policies on the head objects (with a
 * live server's too, and its RBAC answers, when one is given), builds the report and posts the
 * head commit's status when asked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '../../controlplane/client/client.js';
import { GitSource } from '../git/source.js';
import { render, type RenderedObject } from '../render/index.js';
import { postStatus, type CommitState, type PostResult, type StatusTarget } from '../status/commit-status.js';
import { DEFAULT_POLICIES_DIR, evaluatePolicies, loadPolicyObjects, type PolicySource } from './policies.js';
import { accessNeeds, buildReport, compareRevisions, type ReviewReport, type Subject } from './report.js';
import { accessChecks, serverPolicies } from './server.js';

/** What to review. */
export interface ReviewOptions {
  /** a local repository path (working clone or bare) or an http(s) URL */
  repo: string;
  base: string;
  head: string;
  /** the directory to render, relative to the repository root (default: the root) */
  path?: string;
  /** render subdirectories of `path` too (directory mode, as an Application's `directory.recurse`) */
  recurse?: boolean;
  /** policy directories on disk in addition to the default library */
  policies?: string[];
  /** leave out the default library in policies/ */
  noDefaultPolicies?: boolean;
  /**
   * A live server: its admission policies are evaluated too (the same name there replaces the
   * library's and the directories'), and, with `subject`, RBAC is asked for each change.
   */
  server?: { client: Client; url: string; subject?: Subject };
  /** post the head commit's status (pending, then success or failure; error when the review fails) */
  status?: { target: StatusTarget; context?: string; targetUrl?: string; onResult?: (state: CommitState, r: PostResult) => void };
}

/**
 * Reviews `head` against `base`. Throws GitSourceError for a bad repository or revision,
 * RenderError (with file:line) when either revision does not render, and StatusError when the
 * server refuses a list or an access review.
 */
export async function review(opts: ReviewOptions): Promise<ReviewReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-review-'));
  let headSha: string | undefined;
  let pending: Promise<unknown> = Promise.resolve();
  const post = async (state: CommitState, description: string) => {
    const s = opts.status;
    if (!s || !headSha) return;
    const r = await postStatus(s.target, { state, sha: headSha, context: s.context ?? 'berth/review', description, targetUrl: s.targetUrl, kind: 'review', repoURL: opts.repo });
    s.onResult?.(state, r);
  };
  try {
    const source = new GitSource({ dataDir });
    const resolveAt = (revision: string) => source.resolve({ repoURL: opts.repo, revision });
    const [baseRev, headRev] = await Promise.all([resolveAt(opts.base), resolveAt(opts.head)]);
    headSha = headRev.commit.sha;
    pending = post('pending', `reviewing ${opts.head} against ${opts.base}`);
    const renderTree = async (tree: typeof headRev.tree): Promise<RenderedObject[]> => render(await tree.snapshot(), { path: opts.path ?? '', recurse: opts.recurse === true }).objects;
    const [base, head] = await Promise.all([renderTree(baseRev.tree), renderTree(headRev.tree)]);
    const sources: PolicySource[] = [
      ...(opts.noDefaultPolicies ? [] : [{ origin: 'library', objects: loadPolicyObjects(DEFAULT_POLICIES_DIR) }]),
      ...(opts.policies ?? []).map((dir) => ({ origin: dir, objects: loadPolicyObjects(dir) })),
      ...(opts.server ? [await serverPolicies(opts.server.client, `server ${opts.server.url}`)] : []),
    ];
    const revisions = { base: opts.base, head: opts.head };
    const [{ violations, bindings }, access] = await Promise.all([
      evaluatePolicies(sources, head),
      opts.server?.subject && accessChecks(opts.server.client, opts.server.subject, accessNeeds(compareRevisions(revisions, base, head))).then((checks) => ({ subject: opts.server!.subject!, checks })),
    ]);
    const report = buildReport(revisions, base, head, violations, bindings, access || undefined);
    await pending;
    await post(report.passed ? 'success' : 'failure', report.summary);
    return report;
  } catch (e) {
    await pending;
    await post('error', `review failed: ${(e as Error).message}`);
    throw e;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
