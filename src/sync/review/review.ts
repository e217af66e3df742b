/**
 * `berth review` without the CLI: resolves two revisions of a repository with the sync Git source,
 * renders both with the sync renderer, evaluates the admission policies on the head objects and
 * builds the report.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitSource } from '../git/source.js';
import { render, type RenderedObject } from '../render/index.js';
import { DEFAULT_POLICIES_DIR, evaluatePolicies, loadPolicyObjects, type PolicySource } from './policies.js';
import { buildReport, type ReviewReport } from './report.js';

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
}

/**
 * Reviews `head` against `base`. Throws GitSourceError for a bad repository or revision and
 * RenderError (with file:line) when either revision does not render.
 */
export async function review(opts: ReviewOptions): Promise<ReviewReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-review-'));
  try {
    const source = new GitSource({ dataDir });
    const renderAt = async (revision: string): Promise<RenderedObject[]> => {
      const { tree } = await source.resolve({ repoURL: opts.repo, revision });
      return render(await tree.snapshot(), { path: opts.path ?? '', recurse: opts.recurse === true }).objects;
    };
    const [base, head] = await Promise.all([renderAt(opts.base), renderAt(opts.head)]);
    const sources: PolicySource[] = [
      ...(opts.noDefaultPolicies ? [] : [{ origin: 'library', objects: loadPolicyObjects(DEFAULT_POLICIES_DIR) }]),
      ...(opts.policies ?? []).map((dir) => ({ origin: dir, objects: loadPolicyObjects(dir) })),
    ];
    const { violations, bindings } = await evaluatePolicies(sources, head);
    return buildReport({ base: opts.base, head: opts.head }, base, head, violations, bindings);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
