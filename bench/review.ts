/**
 * `npm run bench -- review`: a generated repository of 500 manifests (Deployments, Services and
 * ConfigMaps of 25 teams, one file each, in apps/TEAM/) with a branch that changes 10 files (image
 * bumps, replica and data changes, one file added, one removed). Prints, from the same run:
 * `git diff --stat main feature` on the repository (the limit: what reading the change costs at
 * all), `berth review` of the branch as a user runs it (the CLI, node start included), and the
 * review alone in-process (resolve, render both revisions, diff, 9 library policies on 500
 * objects). Median of --runs runs each. Target: the CLI under 2 s. PASS/MISS is printed, never a
 * failing exit on timing (exit 1 only when the benchmark broke: a review that does not find the
 * change it was given).
 *
 * Flags: --manifests N (500) --changed N (10) --runs N (5)
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { review } from '../src/sync/review/review.js';
import { installCleanupHandlers, removeDir, tempDir } from './lib/procs.js';

const BERTH = fileURLToPath(new URL('../bin/berth.js', import.meta.url));
const TARGET_MS = 2_000;

const { values } = parseArgs({ args: process.argv.slice(2), options: { manifests: { type: 'string', default: '500' }, changed: { type: 'string', default: '10' }, runs: { type: 'string', default: '5' } } });
const MANIFESTS = Number(values.manifests);
const CHANGED = Number(values.changed);
const RUNS = Number(values.runs);
if (!(MANIFESTS >= 3 && CHANGED >= 3 && CHANGED <= MANIFESTS && RUNS >= 1)) {
  console.error('usage: npm run bench -- review [--manifests N ≥ 3] [--changed N ≥ 3, ≤ manifests] [--runs N]');
  process.exit(2);
}

// ---- the repository ----------------------------------------------------------------------------

const TEAMS = 25;

function manifest(i: number, image: string, replicas: number): string {
  const team = `team-${i % TEAMS}`;
  const name = `svc-${i}`;
  switch (i % 3) {
    case 0:
      return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${team}
  labels: {app: ${name}, team: ${team}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}, team: ${team}}}
    spec:
      containers:
      - name: main
        image: ${image}
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /ready, port: 8080}}
        livenessProbe: {httpGet: {path: /live, port: 8080}}
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
`;
    case 1:
      return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${team}, labels: {app: ${name}}, annotations: {release: "${image}"}}
spec:
  selector: {app: svc-${i - 1}}
  ports: [{name: http, port: 80, targetPort: 8080}]
`;
    default:
      return `apiVersion: v1
kind: ConfigMap
metadata: {name: ${name}, namespace: ${team}}
data: {mode: "${replicas}", owner: ${team}}
`;
  }
}

const fileOf = (i: number) => join('apps', `team-${i % TEAMS}`, `svc-${i}.yaml`);

/** Writes the repository: main with MANIFESTS files, feature changing CHANGED of them. */
function makeRepo(dir: string): void {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  for (let t = 0; t < TEAMS; t++) mkdirSync(join(dir, 'apps', `team-${t}`), { recursive: true });
  for (let i = 0; i < MANIFESTS; i++) writeFileSync(join(dir, fileOf(i)), manifest(i, 'registry.example/app:1.0.0', 2));
  git('add', '-A');
  git('commit', '-q', '-m', 'main');
  git('checkout', '-q', '-b', 'feature');
  // CHANGED - 2 files edited (spread over the repository), one removed, one added
  const step = Math.floor(MANIFESTS / (CHANGED - 2));
  for (let k = 0; k < CHANGED - 2; k++) {
    const i = k * step;
    writeFileSync(join(dir, fileOf(i)), manifest(i, 'registry.example/app:1.1.0', 3));
  }
  unlinkSync(join(dir, fileOf(MANIFESTS - 1)));
  writeFileSync(join(dir, fileOf(MANIFESTS)), manifest(MANIFESTS, 'registry.example/app:1.0.0', 2));
  git('add', '-A');
  git('commit', '-q', '-m', 'feature');
  git('checkout', '-q', 'main');
}

// ---- measuring ---------------------------------------------------------------------------------

const run = promisify(execFile);

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const ms = (x: number) => `${x.toFixed(0).padStart(6)} ms`;

installCleanupHandlers();
const dir = tempDir('berth-bench-review-');
try {
  makeRepo(dir);
  const args = ['review', '--repo', dir, '--base', 'main', '--head', 'feature', '--recurse', '-o', 'json'];

  // what each measured review must find, or the benchmark is broken
  const report = await review({ repo: dir, base: 'main', head: 'feature', recurse: true });
  const found = report.added.length + report.changed.length + report.removed.length;
  if (found !== CHANGED || report.violations.length !== 0) {
    console.error(`bench: the review found ${found} changes (want ${CHANGED}) and ${report.violations.length} violations (want 0): ${report.summary}`);
    process.exit(1);
  }

  const gitMs: number[] = [];
  const cliMs: number[] = [];
  const cliCpuMs: number[] = [];
  const inProcessMs: number[] = [];
  const inProcessCpuMs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    gitMs.push(await timed(() => run('git', ['diff', '--stat', 'main', 'feature'], { cwd: dir })));
    cliMs.push(
      await timed(async () => {
        // /usr/bin/time reports the CLI's CPU seconds on stderr: what the wall time would be on an idle core
        const { stdout, stderr } = await run('/usr/bin/time', ['-f', 'cpu %U %S', 'node', BERTH, ...args], { maxBuffer: 64 * 1024 * 1024 });
        const s = (JSON.parse(stdout) as { summary: string }).summary;
        if (s !== report.summary) throw new Error(`the CLI's review differs: ${s}`);
        const [, user, sys] = /cpu ([\d.]+) ([\d.]+)/.exec(stderr) ?? [];
        cliCpuMs.push((Number(user) + Number(sys)) * 1000);
      }),
    );
    const cpu0 = process.cpuUsage();
    inProcessMs.push(await timed(() => review({ repo: dir, base: 'main', head: 'feature', recurse: true })));
    const cpu = process.cpuUsage(cpu0);
    inProcessCpuMs.push((cpu.user + cpu.system) / 1000);
  }
  const loadavg = (await import('node:os')).loadavg()[0];
  console.log(`berth review: ${MANIFESTS} manifests, ${CHANGED} changed files (${report.summary}); median of ${RUNS} runs; load average ${loadavg.toFixed(1)}`);
  console.log(`  git diff --stat main feature (the limit)   ${ms(median(gitMs))}`);
  console.log(`  berth review, CLI (node + tsx start)       ${ms(median(cliMs))}   target < ${TARGET_MS} ms   (CPU ${median(cliCpuMs).toFixed(0)} ms)`);
  console.log(`  review() in-process                        ${ms(median(inProcessMs))}   (CPU ${median(inProcessCpuMs).toFixed(0)} ms)`);
  console.log(`  runs: git ${gitMs.map((x) => x.toFixed(0)).join(' ')}; CLI ${cliMs.map((x) => x.toFixed(0)).join(' ')}; in-process ${inProcessMs.map((x) => x.toFixed(0)).join(' ')} ms`);
  console.log(`${median(cliMs) < TARGET_MS ? 'PASS' : 'MISS'}  berth review CLI ${median(cliMs).toFixed(0)} ms vs target ${TARGET_MS} ms (git diff --stat ${median(gitMs).toFixed(0)} ms)`);
} finally {
  removeDir(dir);
}
