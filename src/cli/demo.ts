/**
 * The demo `berth up --demo` brings up, the way berth is meant to be used: the manifests under
 * examples/demo are pushed to a repository berth hosts (`<data-dir>/repos/demo.git`), and an
 * Application keeps the `demo` namespace in sync with it. Clone that repository, change something,
 * `git push`, and the cluster follows. Prints where the demo app answers once it does.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { StatusError } from '../controlplane/api/errors.js';
import type { Client } from '../controlplane/client/client.js';
import { ref, refs } from '../controlplane/client/refs.js';
import { createRepo } from '../sync/cli/repo-create.js';

export const DEMO_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../examples/demo');

const run = promisify(execFile);

/** The annotation where the Service proxy records the host port of each Service port. */
const PROXY_PORTS = 'proxy.berth.dev/ports';

/**
 * Prints where the demo answers once the Service proxy has given it a port; gives up quietly after
 * `ms` (a cluster without agents never serves it).
 */
async function announceUrl(client: Client, log: (line: string) => void, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const svc = await client.find(refs.services, 'web', 'demo').catch(() => undefined);
    const ports = svc?.metadata?.annotations?.[PROXY_PORTS];
    if (ports) {
      const port = (JSON.parse(ports) as Record<string, number>)['80/TCP'];
      if (port) {
        log(`demo: the web app answers on http://127.0.0.1:${port}/ (Service demo/web)`);
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 500).unref());
  }
}

/**
 * Pushes examples/demo to the hosted repository as its first commit (asynchronously: the push hook
 * calls back into this process's webhook). A repository that has commits is left as it is — it is
 * the user's now.
 */
async function seedRepo(repo: string, log: (line: string) => void): Promise<void> {
  const { stdout } = await run('git', ['--git-dir', repo, 'rev-parse', '--verify', '-q', 'refs/heads/main']).catch(() => ({ stdout: '' }));
  if (stdout.trim()) return;
  const work = mkdtempSync(join(tmpdir(), 'berth-demo-'));
  try {
    mkdirSync(join(work, 'app'));
    for (const f of readdirSync(DEMO_DIR).filter((n) => n.endsWith('.yaml'))) copyFileSync(join(DEMO_DIR, f), join(work, 'app', f));
    const git = (...args: string[]) => run('git', ['-C', work, '-c', 'user.name=berth', '-c', 'user.email=berth@localhost', ...args]);
    await git('init', '-q', '-b', 'main');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'The berth demo app');
    await git('push', '-q', repo, 'main');
    log(`demo: pushed examples/demo to ${repo}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function applyDemo(client: Client, dataDir: string, log: (line: string) => void): Promise<void> {
  const repo = createRepo(dataDir, 'demo');
  await seedRepo(repo, log);
  const apps = ref('berth.dev/v1alpha1', 'Application');
  try {
    await client.create(apps, {
      apiVersion: 'berth.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'demo', namespace: 'default' },
      spec: {
        source: { repoURL: repo, targetRevision: 'main', path: 'app' },
        destination: { namespace: 'demo' },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
    });
    log('demo: Application default/demo syncs it into namespace demo (berth app get demo)');
  } catch (e) {
    if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
  }
  log(`demo: to change it: git clone ${repo} && edit app/demo.yaml && git push`);
  void announceUrl(client, log);
}
