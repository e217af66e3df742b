/**
 * The sync component as one Runnable for `berth up`: the Application and previews controllers on the
 * controller runtime (their own BullMQ queues, acting as `system:berth-sync`), the watches that drive
 * self-heal, and a small HTTP listener for push webhooks that syncs matching Applications and
 * PreviewSets at once.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { UserInfo } from '../controlplane/api/request.js';
import type { Client } from '../controlplane/client/client.js';
import { createControllerManager, type ControllerManager } from '../controlplane/controllers/runtime/controller-manager.js';
import type { BackoffPolicy } from '../controlplane/controllers/runtime/reconciler.js';
import type { Runnable } from '../controlplane/runtime/runnable.js';
import { applicationController, applicationsRef, type SyncEngines } from './app/application-controller.js';
import { LiveWatches } from './app/live-watches.js';
import type { Application } from './app/types.js';
import { GitSource } from './git/source.js';
import { previewController, previewSetsRef } from './previews/preview-controller.js';
import { refMatcher } from './previews/refs.js';
import type { PreviewSet } from './previews/types.js';
import { normalizeRepoURL, parsePush, refMatches, verifyPush, type PushEvent } from './webhook/push.js';
import { explainNothing, WebhookLog, type WebhookRecord } from './webhook/repo-status.js';

/** The identity sync acts as (bound to cluster-admin by the policy bootstrap). */
export const SYNC_USER: UserInfo = { username: 'system:berth-sync', groups: ['system:authenticated'] };

/** Where the webhook listener advertises itself (`berth repo create` hooks read it). */
export function webhookInfoPath(dataDir: string): string {
  return join(dataDir, 'sync', 'webhook.json');
}

/** `GET /repos` on the webhook listener: each repository's last webhook (`berth repo get`). */
export interface RepoWebhookStatus extends Omit<WebhookRecord, 'matched'> {
  matched: { app: string; syncedAfterMs?: number; waiting?: string }[];
}

export interface WebhookInfo {
  url: string;
  token: string;
}

export interface SyncOptions {
  /** a client acting as SYNC_USER; `userAgent` names the caller */
  client: (userAgent: string) => Client;
  redisUrl: string;
  /** git caches under `<dataDir>/git`, webhook info under `<dataDir>/sync` */
  dataDir: string;
  /** render and health engines; the real ones by default */
  engines?: SyncEngines;
  log?: (line: string) => void;
  /** poll interval per Application and PreviewSet, default 60 s (jittered) */
  pollIntervalMs?: number;
  /** the address the Service proxy listens on, for preview URLs (default 127.0.0.1) */
  proxyHost?: string;
  /** webhook listener; port 0 picks a free one (default), `false` turns it off */
  webhook?: { host?: string; port?: number; secret?: string } | false;
  backoff?: BackoffPolicy;
  /** BullMQ prefix, default `{berth-sync}` */
  prefix?: string;
}

export interface Sync extends Runnable {
  /**
   * syncs now every Application whose source is `repoURL` (and whose revision `ref` concerns), and
   * reconciles every PreviewSet of that repository whose refs `ref` matches; returns their keys
   * (PreviewSets as `PreviewSet <namespace>/<name>`)
   */
  pokeRepo(repoURL: string, ref?: string): Promise<string[]>;
  /** the webhook URL once started */
  readonly webhookURL?: string;
}

/** The token the webhook listener accepts, kept across restarts. */
function webhookSecret(dataDir: string, given?: string): string {
  if (given) return given;
  const path = join(dataDir, 'sync', 'webhook-token');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const t = randomBytes(24).toString('hex');
  writeFileSync(path, t + '\n', { mode: 0o600 });
  return t;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 5 * 1024 * 1024) req.destroy(new Error('payload too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function createSync(opts: SyncOptions): Sync {
  const log = opts.log ?? (() => {});
  mkdirSync(join(opts.dataDir, 'sync'), { recursive: true });
  const git = new GitSource({ dataDir: opts.dataDir });
  const watches = new LiveWatches(opts.client('berth-sync/watches'), log);
  const webhooks = new WebhookLog(join(opts.dataDir, 'sync', 'webhooks.json'));
  const controller = applicationController({ git, engines: opts.engines, watches, pollIntervalMs: opts.pollIntervalMs, onSynced: (key, revision) => webhooks.synced(key, revision) });
  const previews = previewController({ git, pollIntervalMs: opts.pollIntervalMs, proxyHost: opts.proxyHost });
  const manager: ControllerManager = createControllerManager({ client: opts.client, redisUrl: opts.redisUrl, prefix: opts.prefix ?? '{berth-sync}', controllers: [controller, previews], backoff: opts.backoff ?? { baseMs: 1_000, maxMs: 180_000 }, log });
  const client = opts.client('berth-sync/webhook');
  const watchAbort = new AbortController();
  let server: Server | undefined;
  let webhookURL: string | undefined;

  async function pokeRepo(repoURL: string, ref?: string): Promise<string[]> {
    const want = normalizeRepoURL(repoURL);
    git.forget(repoURL);
    const apps = await client.list<Application>(applicationsRef);
    const keys: string[] = [];
    for (const a of apps.items) {
      if (normalizeRepoURL(a.spec?.source?.repoURL ?? '') !== want || !refMatches(ref, a.spec.source.targetRevision)) continue;
      git.forget(a.spec.source.repoURL);
      watches.enqueue(`${a.metadata!.namespace}/${a.metadata!.name}`);
      keys.push(`${a.metadata!.namespace}/${a.metadata!.name}`);
    }
    for (const p of (await client.list<PreviewSet>(previewSetsRef)).items) {
      if (normalizeRepoURL(p.spec?.source?.repoURL ?? '') !== want || (ref && !refMatcher(p.spec)(ref))) continue;
      git.forget(p.spec.source.repoURL);
      previews.enqueue(`${p.metadata!.namespace}/${p.metadata!.name}`);
      keys.push(`PreviewSet ${p.metadata!.namespace}/${p.metadata!.name}`);
    }
    return keys;
  }

  async function startWebhook(cfg: { host?: string; port?: number; secret?: string }): Promise<void> {
    const secret = webhookSecret(opts.dataDir, cfg.secret);
    server = createServer((req, res) => {
      const reply = (code: number, body: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
      if (req.method === 'GET' && req.url?.startsWith('/repos')) {
        if (headers['authorization'] !== `Bearer ${secret}`) return reply(401, { message: 'token does not match' });
        return void repoStatus().then((r) => reply(200, r), (e: Error) => reply(500, { message: e.message }));
      }
      if (req.method !== 'POST' || !req.url?.startsWith('/webhook')) return reply(404, { message: 'POST /webhook, GET /repos' });
      readBody(req).then(async (body) => {
        let push: PushEvent | undefined;
        try {
          push = parsePush(JSON.parse(body.toString('utf8') || '{}'));
        } catch {
          // an unparsable body is reported below (after the signature check)
        }
        if (!verifyPush(headers, body, secret)) {
          const message = 'signature or token does not match: check the webhook secret';
          if (push?.repoURLs[0]) webhooks.received({ repoURL: push.repoURLs[0], ref: push.ref, commit: push.after, result: 'rejected', message, matched: [] });
          return reply(401, { message });
        }
        if (!push) throw new Error('the body is not a JSON push payload');
        const matched = new Set<string>();
        for (const url of push.repoURLs) for (const k of await pokeRepo(url, push.ref)) matched.add(k);
        let message: string;
        if (matched.size) message = `syncing ${[...matched].join(', ')}`;
        else {
          const apps = (await client.list<Application>(applicationsRef)).items;
          message = explainNothing(apps.map((a) => ({ key: `${a.metadata!.namespace}/${a.metadata!.name}`, repoURL: a.spec?.source?.repoURL ?? '', targetRevision: a.spec?.source?.targetRevision })), push.repoURLs[0] ?? '', push.ref);
        }
        if (push.repoURLs[0]) {
          const apps = [...matched].filter((k) => !k.startsWith('PreviewSet '));
          webhooks.received({ repoURL: push.repoURLs[0], ref: push.ref, commit: push.after, result: matched.size ? 'matched' : 'nothing', message, matched: apps.map((app) => ({ app })) });
        }
        log(`sync: webhook ${push.ref ?? ''} ${push.after?.slice(0, 7) ?? ''}: ${message}`);
        reply(200, { matched: [...matched], message });
      }).catch((e: Error) => reply(400, { message: e.message }));
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(cfg.port ?? 0, cfg.host ?? '127.0.0.1', resolve);
    });
    const a = server.address() as AddressInfo;
    webhookURL = `http://${a.address}:${a.port}/webhook`;
    const info: WebhookInfo = { url: webhookURL, token: secret };
    writeFileSync(webhookInfoPath(opts.dataDir), JSON.stringify(info) + '\n', { mode: 0o600 });
    log(`sync: webhook listening on ${webhookURL}`);
  }

  /** Every repository's last webhook, with the Ready condition of each matched Application not Synced at its commit yet. */
  async function repoStatus(): Promise<RepoWebhookStatus[]> {
    const out: RepoWebhookStatus[] = [];
    for (const r of webhooks.all()) {
      const matched = await Promise.all(r.matched.map(async (m) => {
        if (m.syncedAfterMs !== undefined) return m;
        const [ns, name] = m.app.split('/');
        const a = await client.find<Application>(applicationsRef, name, ns);
        const ready = a?.status?.conditions?.find((c) => c.type === 'Ready');
        return { ...m, waiting: !a ? 'the Application was deleted' : ready ? `Ready=${ready.status} ${ready.reason}: ${ready.message}` : 'not reconciled yet' };
      }));
      out.push({ ...r, matched });
    }
    return out;
  }

  let done: Promise<void> = Promise.resolve();
  return {
    name: 'sync',
    get webhookURL() {
      return webhookURL;
    },
    pokeRepo,
    async start(signal) {
      watches.start(watchAbort.signal);
      await manager.start(signal);
      if (opts.webhook !== false) await startWebhook(opts.webhook ?? {});
      done = new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          watchAbort.abort();
          server?.close();
          void Promise.all([manager.stopped(), watches.stopped()]).then(() => resolve(), () => resolve());
        }, { once: true });
      });
    },
    stopped: () => done,
  };
}
