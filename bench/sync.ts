/**
 * `npm run bench -- sync`: GitOps sync against a real `berth up`.
 *
 * (1) push → deploy, process runtime: `git push` to a berth-hosted repository (its post-receive hook
 *     pokes the sync webhook) until the Application is Synced at the new commit and its Deployment's
 *     3 new pods are Running and Ready; p50/p99 over --pushes. The limit, measured in the same run:
 *     a `git fetch` of the same change into another clone + spawning the 3 processes directly.
 *     Target p50 < 1 s.
 * (2) a repository of --manifests ConfigMaps (sim runtime): first sync and resync after a one-file
 *     change, next to `kubectl apply --server-side -f DIR` of the same manifests (another namespace)
 *     against the same API server. Target resync ≤ 0.5× kubectl's.
 * (3) --healthy objects (Deployments of 1 replica, Services, ConfigMaps) to Synced and Healthy on
 *     the sim runtime. Target < 15 s (Flux's benchmark: 4 min 16 s for 1,000 objects on 2 CPUs).
 *
 * Prints PASS/MISS per target; exits 1 only if the benchmark itself broke.
 * Flags: --pushes N (20) --manifests N (2000) --healthy N (1000) --timeout S (300 per wait)
 * --only 1,2,3 (which parts)
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '../src/controlplane/client/client.js';
import { refs } from '../src/controlplane/client/refs.js';
import type { KubeObject } from '../src/controlplane/resources/types.js';
import { applicationsRef } from '../src/sync/app/application-controller.js';
import type { Application } from '../src/sync/app/types.js';
import { connect } from '../src/sync/cli/connect.js';
import { removeDir, startProcess, stopAll, tempDir, type Proc } from './lib/procs.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    pushes: { type: 'string', default: '20' },
    manifests: { type: 'string', default: '2000' },
    healthy: { type: 'string', default: '1000' },
    timeout: { type: 'string', default: '300' },
    only: { type: 'string', default: '1,2,3' },
  },
});
const PUSHES = Number(values.pushes);
const MANIFESTS = Number(values.manifests);
const HEALTHY = Number(values.healthy);
const TIMEOUT_MS = Number(values.timeout) * 1000;
const ONLY = new Set(values.only!.split(','));
const REPO = join(import.meta.dirname, '..');
const BERTH = join(REPO, 'bin/berth.js');
const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

interface Cluster {
  proc: Proc;
  dataDir: string;
  kubeconfig: string;
  client: Client;
  berth(...args: string[]): string;
}

async function up(runtime: 'process' | 'sim'): Promise<Cluster> {
  const dataDir = tempDir(`berth-bench-sync-${runtime}-`);
  const proc = await startProcess(`berth up (${runtime})`, process.execPath, [BERTH, 'up', '--api-port', '0', '--data-dir', dataDir, '--runtime', runtime, '--nodes', runtime === 'sim' ? '4' : '1'], /API server listening on (\S+)/, { timeoutMs: 120_000 });
  const kubeconfig = join(dataDir, 'kubeconfig');
  // the sync webhook listener comes up after the API server
  for (let i = 0; i < 300 && !proc.output().includes('sync: webhook listening'); i++) await sleep(100);
  const { client } = connect(kubeconfig);
  const berth = (...args: string[]) => execFileSync(process.execPath, [BERTH, ...args], { env: { ...process.env, KUBECONFIG: kubeconfig }, encoding: 'utf8' });
  return { proc, dataDir, kubeconfig, client, berth };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls (every 20 ms) until `pred` holds; a failed poll (a connection the loaded server dropped) is retried; throws after TIMEOUT_MS naming `what`. */
async function until(what: string, pred: () => Promise<boolean>): Promise<void> {
  const t0 = performance.now();
  let last: Error | undefined;
  for (;;) {
    try {
      if (await pred()) return;
    } catch (e) {
      last = e as Error;
    }
    if (performance.now() - t0 > TIMEOUT_MS) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await sleep(20);
  }
}

const appAt = (c: Cluster, name: string, sha: string, healthy = false) => async () => {
  const a = await c.client.find<Application>(applicationsRef, name, 'default');
  return a?.status?.sync?.status === 'Synced' && a.status.sync.revision === sha && (!healthy || a.status.health?.status === 'Healthy');
};

/** A hosted repository (berth repo create) and a clone to push from. */
function hostedRepo(c: Cluster, name: string): { url: string; work: string; commit(msg: string): string; push(): void } {
  const url = c.berth('repo', 'create', name, '--data-dir', c.dataDir).trim().split('\n').at(-1)!;
  const work = join(c.dataDir, `${name}-work`);
  git(c.dataDir, 'clone', '-q', url, work);
  git(work, 'checkout', '-q', '-B', 'main');
  return {
    url,
    work,
    commit(msg) {
      git(work, 'add', '-A');
      git(work, 'commit', '-q', '--allow-empty', '-m', msg);
      return git(work, 'rev-parse', 'HEAD');
    },
    push: () => void git(work, 'push', '-q', 'origin', 'main'),
  };
}

const PAUSE = ['-e', 'setInterval(() => {}, 1 << 30)'];

function pushDeployment(rev: number): string {
  return `apiVersion: v1
kind: Namespace
metadata: { name: push }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: push }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: node:20
          command: ["node"]
          args: ${JSON.stringify(PAUSE)}
          env: [{ name: REV, value: "${rev}" }]
`;
}

/** The 3 pods of the Deployment's current template are Running and Ready (and no others are left). */
async function rolledOut(c: Cluster, rev: number): Promise<boolean> {
  const pods = await c.client.list<KubeObject & { spec: { containers: { env?: { value?: string }[] }[] }; status?: { phase?: string; conditions?: { type: string; status: string }[] } }>(refs.pods, { namespace: 'push' });
  const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
  const current = live.filter((p) => p.spec.containers[0].env?.[0]?.value === String(rev));
  return current.length === 3 && current.every((p) => p.status?.phase === 'Running' && p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
}

/** Spawns `n` processes of the pod's command and resolves once all have started; then stops them. */
async function spawnDirect(n: number): Promise<number> {
  const t0 = performance.now();
  const children = Array.from({ length: n }, () => spawn('node', PAUSE, { stdio: 'ignore' }));
  await Promise.all(children.map((ch) => new Promise((resolve, reject) => ch.once('spawn', resolve).once('error', reject))));
  const ms = performance.now() - t0;
  for (const ch of children) ch.kill('SIGKILL');
  return ms;
}

async function benchPush(): Promise<void> {
  console.log(`\n(1) git push → Synced and 3 pods Running (process runtime, ${PUSHES} pushes)`);
  const c = await up('process');
  try {
    const repo = hostedRepo(c, 'push');
    const mirror = join(c.dataDir, 'mirror');
    writeFileSync(join(repo.work, 'deploy.yaml'), pushDeployment(0));
    let sha = repo.commit('rev 0');
    repo.push();
    git(c.dataDir, 'clone', '-q', repo.url, mirror);
    c.berth('app', 'create', 'push', '--repo', repo.url, '--path', '.', '--revision', 'main', '--dest-namespace', 'push', '--auto', '--prune', '--self-heal');
    await until('the first sync', appAt(c, 'push', sha));
    await until('the first rollout', () => rolledOut(c, 0));
    const took: number[] = [];
    const synced: number[] = [];
    const limit: number[] = [];
    for (let i = 1; i <= PUSHES; i++) {
      writeFileSync(join(repo.work, 'deploy.yaml'), pushDeployment(i));
      sha = repo.commit(`rev ${i}`);
      const t0 = performance.now();
      repo.push();
      await until(`push ${i} synced`, appAt(c, 'push', sha));
      synced.push(performance.now() - t0);
      await until(`push ${i} rolled out`, () => rolledOut(c, i));
      took.push(performance.now() - t0);
      const f0 = performance.now();
      git(mirror, 'fetch', '-q', 'origin');
      const fetchMs = performance.now() - f0;
      limit.push(fetchMs + (await spawnDirect(3)));
    }
    const p50 = pct(took, 50);
    console.log(`push → deployed   p50 ${sec(p50)}  p99 ${sec(pct(took, 99))}  (min ${sec(Math.min(...took))}, max ${sec(Math.max(...took))})`);
    console.log(`  of which push → Application Synced (applied)   p50 ${sec(pct(synced, 50))}  p99 ${sec(pct(synced, 99))}; the rest is the rolling update of 3 pods`);
    console.log(`limit (git fetch of the change + spawning 3 processes)   p50 ${sec(pct(limit, 50))}  p99 ${sec(pct(limit, 99))}`);
    console.log(`target p50 < 1 s: ${verdict(p50 < 1000)} (${sec(p50)}; ${(p50 / pct(limit, 50)).toFixed(1)}× the limit)`);
  } finally {
    await c.proc.stop();
    removeDir(c.dataDir);
  }
}

const configMapYaml = (i: number, ns: string, v = '1') => `apiVersion: v1
kind: ConfigMap
metadata: { name: cm-${String(i).padStart(5, '0')}, namespace: ${ns} }
data: { index: "${i}", v: "${v}" }
`;

function kubectl(c: Cluster, ...args: string[]): number {
  const t0 = performance.now();
  execFileSync('kubectl', ['--kubeconfig', c.kubeconfig, ...args], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  return performance.now() - t0;
}

async function benchLarge(c: Cluster): Promise<void> {
  console.log(`\n(2) a repository of ${MANIFESTS} manifests (sim runtime): sync vs kubectl apply --server-side`);
  const repo = hostedRepo(c, 'large');
  const dir = join(c.dataDir, 'kubectl-dir');
  mkdirSync(join(repo.work, 'large'));
  mkdirSync(dir);
  writeFileSync(join(repo.work, 'large', 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: { name: large }\n');
  for (let i = 0; i < MANIFESTS; i++) {
    writeFileSync(join(repo.work, 'large', `cm-${i}.yaml`), configMapYaml(i, 'large'));
    writeFileSync(join(dir, `cm-${i}.yaml`), configMapYaml(i, 'kubectl'));
  }
  kubectl(c, 'create', 'namespace', 'kubectl');
  let sha = repo.commit('large');
  repo.push();
  const t0 = performance.now();
  c.berth('app', 'create', 'large', '--repo', repo.url, '--path', 'large', '--revision', 'main', '--dest-namespace', 'large', '--auto', '--prune', '--self-heal');
  await until('the first sync of the large repository', appAt(c, 'large', sha));
  const first = performance.now() - t0;
  const kFirst = kubectl(c, 'apply', '--server-side', '-f', dir);
  console.log(`first sync   berth ${sec(first)}   kubectl apply --server-side ${sec(kFirst)}`);

  writeFileSync(join(repo.work, 'large', 'cm-7.yaml'), configMapYaml(7, 'large', '2'));
  sha = repo.commit('one file');
  const r0 = performance.now();
  repo.push();
  await until('the resync', appAt(c, 'large', sha));
  const resync = performance.now() - r0;
  writeFileSync(join(dir, 'cm-7.yaml'), configMapYaml(7, 'kubectl', '2'));
  const kResync = kubectl(c, 'apply', '--server-side', '-f', dir);
  console.log(`resync (1 file changed, pushed)   berth ${sec(resync)}   kubectl apply --server-side ${sec(kResync)}`);
  console.log(`target resync ≤ 0.5× kubectl: ${verdict(resync <= 0.5 * kResync)} (${(resync / kResync).toFixed(2)}×)`);
  await until('the changed ConfigMap', async () => (await c.client.get<KubeObject & { data: Record<string, string> }>(refs.configmaps, 'cm-00007', 'large')).data.v === '2');
}

async function benchHealthy(c: Cluster): Promise<void> {
  const deployments = Math.floor(HEALTHY / 4);
  const services = Math.floor(HEALTHY / 4);
  const configMaps = HEALTHY - deployments - services;
  console.log(`\n(3) ${HEALTHY} objects to Synced and Healthy (sim runtime: ${deployments} Deployments, ${services} Services, ${configMaps} ConfigMaps)`);
  const repo = hostedRepo(c, 'healthy');
  const docs: string[] = ['apiVersion: v1\nkind: Namespace\nmetadata: { name: healthy }\n'];
  for (let i = 0; i < deployments; i++) {
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: { name: d-${i} }
spec:
  replicas: 1
  selector: { matchLabels: { app: d-${i} } }
  template:
    metadata: { labels: { app: d-${i} } }
    spec: { containers: [{ name: c, image: busybox }] }
`);
  }
  for (let i = 0; i < services; i++) docs.push(`apiVersion: v1\nkind: Service\nmetadata: { name: s-${i} }\nspec: { selector: { app: d-${i} }, ports: [{ port: 80 }] }\n`);
  for (let i = 0; i < configMaps; i++) docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c-${i} }\ndata: { i: "${i}" }\n`);
  mkdirSync(join(repo.work, 'healthy'));
  writeFileSync(join(repo.work, 'healthy', 'all.yaml'), docs.join('---\n'));
  const sha = repo.commit('healthy');
  repo.push();
  const t0 = performance.now();
  c.berth('app', 'create', 'healthy', '--repo', repo.url, '--path', 'healthy', '--revision', 'main', '--dest-namespace', 'healthy', '--auto');
  await until('Synced and Healthy', appAt(c, 'healthy', sha, true));
  const ms = performance.now() - t0;
  console.log(`${HEALTHY} objects Synced and Healthy in ${sec(ms)}`);
  console.log(`target < 15 s: ${verdict(ms < 15_000)} (Flux's benchmark: 256 s for 1,000 objects)`);
}

async function main(): Promise<void> {
  if (ONLY.has('1')) await benchPush();
  if (!ONLY.has('2') && !ONLY.has('3')) return;
  const c = await up('sim');
  try {
    if (ONLY.has('2')) await benchLarge(c);
    if (ONLY.has('3')) await benchHealthy(c);
  } catch (e) {
    console.error(`--- berth up (sim) output, last lines ---\n${c.proc.output().split('\n').slice(-30).join('\n')}`);
    throw e;
  } finally {
    await c.proc.stop();
    removeDir(c.dataDir);
  }
}

main().then(
  async () => {
    await stopAll();
    process.exit(0);
  },
  async (e: Error) => {
    console.error(`bench sync: ${e.stack ?? e.message}`);
    await stopAll();
    process.exit(1);
  },
);
