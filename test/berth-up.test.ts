/**
 * `berth up` as a user runs it: it serves, the kubeconfig it writes works with kubectl at once, the
 * demo is pushed to a berth-hosted repository and synced from it, its pods run as processes and its
 * Service answers, the `kubernetes` Service points at the API, and Ctrl-C stops everything —
 * redis-server and pod processes included. With `--runtime sim`, `--sim-stages` gives the pods'
 * lifecycle.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from './harness/wait.js';

const BERTH = join(import.meta.dirname, '../bin/berth.js');
const dataDir = mkdtempSync(join(tmpdir(), 'berth-up-'));
const simDir = mkdtempSync(join(tmpdir(), 'berth-up-sim-'));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(simDir, { recursive: true, force: true });
});

function kubectlIn(dir: string, ...args: string[]): string {
  return execFileSync('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'kube-cache'), ...args], { encoding: 'utf8', timeout: 30_000 });
}

function kubectl(...args: string[]): string {
  return kubectlIn(dataDir, ...args);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('berth up', () => {
  it('serves the demo, and Ctrl-C stops everything', async () => {
    const env = { ...process.env };
    delete env.REDIS_URL;
    child = spawn(process.execPath, [BERTH, 'up', '--api-port', '0', '--data-dir', dataDir, '--demo'], { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    await until('the listening line', () => (/API server listening on https:\/\/127\.0\.0\.1:\d+/.test(out) ? true : undefined));
    await until('the demo Application', () => (/demo: Application default\/demo/.test(out) ? true : undefined));
    await until('the demo synced from its repository', () => (kubectl('get', 'app', 'demo', '-o', 'jsonpath={.status.sync.status}') === 'Synced' ? true : undefined));
    expect(kubectl('get', 'ns', '-o', 'name')).toContain('namespace/demo');
    const ready = await until('two ready demo pods', () => {
      const lines = kubectl('get', 'pods', '-n', 'demo', '--no-headers').trim().split('\n').filter((l) => /\s1\/1\s+Running/.test(l));
      return lines.length === 2 ? lines : undefined;
    });
    expect(ready).toHaveLength(2);
    const pids = kubectl('get', 'pods', '-n', 'demo', '-o', 'jsonpath={.items[*].status.containerStatuses[0].containerID}')
      .split(' ')
      .map((id) => Number(id.replace('process://', '')));
    expect(pids.every((p) => p > 0 && alive(p))).toBe(true);

    const ports = await until('the Service port', () => {
      const a = kubectl('get', 'svc', 'web', '-n', 'demo', '-o', 'jsonpath={.metadata.annotations.proxy\\.berth\\.dev/ports}');
      return a ? (JSON.parse(a) as Record<string, number>) : undefined;
    });
    const res = await fetch(`http://127.0.0.1:${ports['80/TCP']}/`);
    expect(await res.text()).toBe('hello from berth\n');
    // kube-apiserver's kubernetes Service, at the API server berth up runs
    const apiPort = /API server listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1];
    expect(kubectl('get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP} {.spec.ports[0].port}->{.spec.ports[0].targetPort}')).toBe(`10.96.0.1 443->${apiPort}`);
    expect(kubectl('get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}')).toBe(`127.0.0.1:${apiPort}`);

    const redisPid = Number(readFileSync(join(dataDir, 'redis/redis.pid'), 'utf8'));
    expect(alive(redisPid)).toBe(true);
    // Ctrl-C in a terminal: SIGINT to the whole process group, redis-server's too if it were in it
    const before = out.length;
    process.kill(-child.pid!, 'SIGINT');
    const code = await new Promise<number | null>((r) => child!.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    // redis-server outlives the components: none of them lost its connection while stopping
    expect(out.slice(before)).not.toMatch(/ENOENT|Connection is closed|ECONNREFUSED/);
    await until('redis-server to exit', () => (alive(redisPid) ? undefined : true), 10_000);
    await until('the pod processes to exit', () => (pids.some(alive) ? undefined : true), 10_000);
  }, 120_000);

  it('--runtime sim --sim-stages: pods follow the stage documents; a faulty file stops it, naming the file, document and field', async () => {
    const env = { ...process.env };
    delete env.REDIS_URL;
    const bad = join(simDir, 'bad.yaml');
    writeFileSync(bad, 'name: pod-ready\nselector: {phase: [Pending]}\ndelay: {}\nnext: {phase: Running}\n');
    const refused = spawnSync(process.execPath, [BERTH, 'up', '--runtime', 'sim', '--sim-stages', bad, '--api-port', '0', '--data-dir', join(simDir, 'refused')], { encoding: 'utf8', env, timeout: 60_000 });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`berth: ${bad}: document 1 (stage "pod-ready"): delay.ms must be a number of milliseconds ≥ 0 (got nothing)`);

    // pods start but never become ready: the default stages would make them ready
    const stages = join(simDir, 'stages.yaml');
    writeFileSync(stages, 'name: pod-started-unready\nselector: {phase: [Pending]}\ndelay: {ms: 10}\nnext: {phase: Running, ready: false}\n');
    const dir = join(simDir, 'up');
    const sim = spawn(process.execPath, [BERTH, 'up', '--runtime', 'sim', '--sim-stages', stages, '--api-port', '0', '--data-dir', dir, '--policies', 'off'], { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
    child = sim;
    let out = '';
    sim.stdout!.on('data', (d) => (out += d));
    sim.stderr!.on('data', (d) => (out += d));
    await until('the listening line', () => (/API server listening on/.test(out) ? true : undefined));
    kubectlIn(dir, 'run', 'web', '--image=nginx');
    const line = await until('the pod Running', () => {
      const l = kubectlIn(dir, 'get', 'pod', 'web', '--no-headers').trim();
      return /\sRunning\s/.test(l) ? l : undefined;
    });
    expect(line).toMatch(/^web\s+0\/1\s+Running\s+0\s/);
    expect(kubectlIn(dir, 'get', 'pod', 'web', '-o', 'jsonpath={.spec.nodeName}')).toBe('node-1');
    process.kill(-sim.pid!, 'SIGINT');
    expect(await new Promise<number | null>((r) => sim.once('exit', (c) => r(c)))).toBe(0);
  }, 120_000);
});
