/**
 * Per repository, the last push webhook berth received: when, which ref and commit, which
 * Applications it matched and how long each took to be Synced at that commit — and, when nothing
 * happened, why (no Application tracks the repository, they track another ref, the signature did
 * not match). Kept in memory and in `<dataDir>/sync/webhooks.json`; `berth repo get` shows it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { normalizeRepoURL, refMatches } from './push.js';

export interface WebhookRecord {
  /** the repository, normalized (normalizeRepoURL) */
  repo: string;
  receivedAt: string;
  ref?: string;
  commit?: string;
  /** matched: Applications were synced; nothing: none concerned; rejected: not authenticated */
  result: 'matched' | 'nothing' | 'rejected';
  message: string;
  matched: { app: string; syncedAfterMs?: number }[];
}

/** What an Application tracks, as far as explaining a webhook needs. */
export interface Tracker {
  key: string;
  repoURL: string;
  targetRevision?: string;
}

/** Why a push of `ref` to `repoURL` matched none of `apps` (pure). */
export function explainNothing(apps: Tracker[], repoURL: string, ref: string | undefined): string {
  const repo = normalizeRepoURL(repoURL);
  const same = apps.filter((a) => normalizeRepoURL(a.repoURL) === repo);
  if (same.length === 0) return `no Application tracks ${repo}`;
  const others = same.filter((a) => !refMatches(ref, a.targetRevision));
  return `the Applications tracking ${repo} follow other revisions than ${ref}: ${others.map((a) => `${a.key} (${a.targetRevision})`).join(', ')}`;
}

export class WebhookLog {
  private readonly records = new Map<string, WebhookRecord>();
  private readonly started = new Map<string, number>();

  /** `path`: where records persist across restarts (undefined: memory only) */
  constructor(private readonly path?: string) {
    if (path && existsSync(path)) {
      try {
        for (const r of JSON.parse(readFileSync(path, 'utf8')) as WebhookRecord[]) this.records.set(r.repo, r);
      } catch {
        // a damaged file only loses the history of webhooks
      }
    }
  }

  /** Records a webhook; `now` is its arrival (ms since the epoch). */
  received(r: Omit<WebhookRecord, 'receivedAt' | 'repo'> & { repoURL: string }, now = Date.now()): WebhookRecord {
    const { repoURL, ...rest } = r;
    const rec: WebhookRecord = { repo: normalizeRepoURL(repoURL), receivedAt: new Date(now).toISOString(), ...rest };
    this.records.set(rec.repo, rec);
    this.started.set(rec.repo, now);
    this.save();
    return rec;
  }

  /** An Application is Synced at `revision`: completes the last webhook that matched it at that commit. */
  synced(app: string, revision: string, now = Date.now()): void {
    let changed = false;
    for (const rec of this.records.values()) {
      if (rec.commit !== revision) continue;
      const m = rec.matched.find((x) => x.app === app && x.syncedAfterMs === undefined);
      if (!m) continue;
      m.syncedAfterMs = now - (this.started.get(rec.repo) ?? Date.parse(rec.receivedAt));
      changed = true;
    }
    if (changed) this.save();
  }

  get(repoURL: string): WebhookRecord | undefined {
    return this.records.get(normalizeRepoURL(repoURL));
  }

  all(): WebhookRecord[] {
    return [...this.records.values()];
  }

  private save(): void {
    if (this.path) writeFileSync(this.path, JSON.stringify(this.all()) + '\n');
  }
}
