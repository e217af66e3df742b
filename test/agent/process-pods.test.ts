/**
 * The process runtime end to end: real child processes for pods bound to a real agent, status as
 * kubectl sees it, logs through pods/log, restarts and back-off, probes, hooks, env and volumes,
 * and termination without leftovers.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { groupMembers } from '../../src/agent/runtime/process/process-group.js';
import { HOST_PORTS_CONDITION } from '../../src/agent/runtime/process/pod-worker.js';
import { cgroupRoot } from '../../src/agent/runtime/process/resource-limits.js';
import { pidNamespaceTools } from '../../src/agent/runtime/process/pid-namespace.js';
import { condition, containerStatus, startAgentCluster, until, watchBackOffDelays, type AgentCluster } from './agent-harness.js';

let c: AgentCluster;
let scratch: string;

beforeAll(async () => {
  c = await startAgentCluster({ name: 'node-a' });
  scratch = mkdtempSync(join(tmpdir(), 'berth-agent-scratch-'));
});
afterAll(async () => {
  await c?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** A node HTTP server on $PORT answering 200 for the first FAIL_AFTER requests, then 500. */
const HTTP_APP = `const http=require('http');let n=0;const f=Number(process.env.FAIL_AFTER||0);http.createServer((q,r)=>{n++;if(f&&n>f){r.writeHead(500);r.end('failing\\n')}else r.end('ok '+n+'\\n')}).listen(process.env.PORT,()=>console.log('listening on '+process.env.PORT))`;

/** Host pids whose command line is exactly `argv`. */
function hostPidsRunning(argv: string[]): number[] {
  const want = argv.join('\0') + '\0';
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8') === want;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function pidOf(p: Pod, container?: string): number {
  return Number(containerStatus(p, container)?.containerID?.replace('process://', ''));
}

describe('process runtime', () => {
  it('runs sh -c "date; echo Hello" to Succeeded and kubectl logs shows the output', async () => {
    await c.createPod({ metadata: { name: 'hello' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'date; echo Hello'] }] } });
    const p = await c.waitPod('hello', (p) => p.status?.phase === 'Succeeded');
    expect(containerStatus(p)?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(condition(p, 'Ready')).toBe('False');
    expect(condition(p, 'Initialized')).toBe('True');
    expect(condition(p, 'PodScheduled')).toBe('True');
    const logs = await c.cluster.kubectl(['logs', 'hello']);
    expect(logs.stderr).toBe('');
    expect(logs.stdout).toMatch(/\d{2}:\d{2}:\d{2}.*\nHello\n$/);
    const tail = await c.cluster.kubectl(['logs', 'hello', '--tail=1', '--timestamps']);
    expect(tail.stdout).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z Hello\n$/);
    // --since: every line is within the last hour; once the last is over 2 s old, none is within 1 s
    expect((await c.cluster.kubectl(['logs', 'hello', '--since=1h'])).stdout).toBe(logs.stdout);
    const last = Date.parse(tail.stdout.split(' ')[0]);
    await until(() => Date.now() > last + 2000, 5000, 'the log lines to age');
    const recent = await c.cluster.kubectl(['logs', 'hello', '--since=1s']);
    expect(recent.code, recent.stderr).toBe(0);
    expect(recent.stdout).toBe('');
  });

  it('runs args[0] when there is no command, and fails clearly with neither', async () => {
    await c.createPod({ metadata: { name: 'args-only' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', args: ['sh', '-c', 'echo from-args'] }] } });
    await c.createPod({ metadata: { name: 'nginx' }, spec: { containers: [{ name: 'web', image: 'nginx' }] } });
    await c.waitPod('args-only', (p) => p.status?.phase === 'Succeeded');
    expect((await c.cluster.kubectl(['logs', 'args-only'])).stdout).toBe('from-args\n');
    const p = await c.waitPod('nginx', (p) => containerStatus(p)?.state?.waiting?.reason === 'CreateContainerError');
    expect(p.status?.phase).toBe('Pending');
    expect(containerStatus(p)?.state?.waiting?.message).toMatch(/no command or args.*"nginx".*sim runtime/);
  });

  it('builds env from values, ConfigMaps, Secrets, fieldRef, resourceFieldRef and envFrom, with volumes as directories', async () => {
    await c.client.create(refs.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { greeting: 'hi', 'app.conf': 'mode=fast' } });
    await c.client.create(refs.secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec', namespace: 'default' }, data: { password: Buffer.from('s3cret').toString('base64') } });
    const script = [
      'echo "A=$A B=$B"',
      'echo "greeting=$GREETING pw=$PW pod=$POD ns=$NS node=$NODE mem=$MEM cpu=$CPU"',
      'echo "from=$CFG_greeting"',
      'cat /etc/cfg/app.conf; echo',
      'cat /etc/pod/labels; echo',
      'cat /etc/sec/password; echo',
      'echo data > /data/x && cat $VOLUME_DATA/x',
      'pwd',
    ].join('; ');
    await c.createPod({
      metadata: { name: 'env', labels: { app: 'env' } },
      spec: {
        restartPolicy: 'Never',
        volumes: [
          { name: 'cfg', configMap: { name: 'cfg' } },
          { name: 'sec', secret: { secretName: 'sec' } },
          { name: 'pod', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          { name: 'data', emptyDir: {} },
        ],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', script],
            workingDir: '/data',
            resources: { limits: { memory: '64Mi', cpu: '500m' } },
            envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'cfg' } }],
            env: [
              { name: 'A', value: 'one' },
              { name: 'B', value: '$(A)-two $$(A)' },
              { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
              { name: 'PW', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
              { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
              { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
            ],
            volumeMounts: [
              { name: 'cfg', mountPath: '/etc/cfg' },
              { name: 'sec', mountPath: '/etc/sec' },
              { name: 'pod', mountPath: '/etc/pod' },
              { name: 'data', mountPath: '/data' },
            ],
          },
        ],
      },
    });
    const p = await c.waitPod('env', (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed');
    const out = (await c.cluster.kubectl(['logs', 'env'])).stdout.split('\n');
    expect(p.status?.phase, out.join('\n')).toBe('Succeeded');
    expect(out[0]).toBe('A=one B=one-two $(A)');
    expect(out[1]).toBe('greeting=hi pw=s3cret pod=env ns=default node=node-a mem=64 cpu=500');
    expect(out[2]).toBe('from=hi');
    expect(out[3]).toBe('mode=fast');
    expect(out[4]).toBe('app="env"');
    expect(out[5]).toBe('s3cret');
    expect(out[6]).toBe('data');
    expect(out[7]).toMatch(/volumes\/data$/);
  });

  it('updates configMap, secret and downwardAPI volume files when the objects change, and removes files of removed keys', async () => {
    await c.client.create(refs.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'live', namespace: 'default' }, data: { k: 'v1', gone: 'soon' } });
    await c.client.create(refs.secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'live-secret', namespace: 'default' }, data: { password: Buffer.from('old').toString('base64') } });
    await c.createPod({
      metadata: { name: 'watcher', labels: { v: '1' } },
      spec: {
        volumes: [
          { name: 'cfg', configMap: { name: 'live' } },
          { name: 'sec', secret: { secretName: 'live-secret' } },
          { name: 'meta', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        ],
        containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1000'], volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }, { name: 'sec', mountPath: '/sec' }, { name: 'meta', mountPath: '/meta' }] }],
      },
    });
    await c.waitPod('watcher', (p) => p.status?.phase === 'Running');
    const env = await until(async () => {
      const r = await c.client.get<Pod & KubeObject>(refs.pods, 'watcher', 'default');
      return r.status?.containerStatuses?.[0]?.containerID;
    });
    const pid = Number(env.replace('process://', ''));
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const dir = (name: string) => environ.find((e) => e.startsWith(`VOLUME_${name}=`))!.split('=')[1];
    expect(readdirSync(dir('CFG')).sort()).toEqual(['gone', 'k']);
    expect(readFileSync(join(dir('CFG'), 'k'), 'utf8')).toBe('v1');
    expect(readFileSync(join(dir('SEC'), 'password'), 'utf8')).toBe('old');
    // a merge patch with null removes the key
    await c.client.patch(refs.configmaps, 'live', 'merge', { data: { k: 'v2', gone: null } }, { namespace: 'default' });
    await c.client.patch(refs.secrets, 'live-secret', 'merge', { data: { password: Buffer.from('new').toString('base64') } }, { namespace: 'default' });
    await c.client.patch(refs.pods, 'watcher', 'merge', { metadata: { labels: { v: '2' } } }, { namespace: 'default' });
    await until(() => readFileSync(join(dir('CFG'), 'k'), 'utf8') === 'v2', 5000, 'configMap file updated');
    await until(() => !existsSync(join(dir('CFG'), 'gone')), 5000, 'the removed key file removed');
    expect(readdirSync(dir('CFG'))).toEqual(['k']);
    await until(() => readFileSync(join(dir('SEC'), 'password'), 'utf8') === 'new', 5000, 'secret file updated');
    await until(() => readFileSync(join(dir('META'), 'labels'), 'utf8') === 'v="2"', 5000, 'downwardAPI file updated');
    await c.client.delete(refs.pods, 'watcher', { namespace: 'default', gracePeriodSeconds: 0 });
  });

  it('gives each containerPort a free host port as PORT / PORT_<NAME>', async () => {
    await c.createPod({
      metadata: { name: 'web' },
      spec: { containers: [{ name: 'app', image: 'node', command: ['node', '-e', HTTP_APP], ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 } }] },
    });
    const p = await c.waitPod('web', (p) => condition(p, 'Ready') === 'True');
    expect(p.status?.podIP).toBe('127.0.0.1');
    const line = await until(async () => (await c.cluster.kubectl(['logs', 'web'])).stdout.match(/listening on (\d+)/), 10_000, 'listening line');
    const res = await fetch(`http://127.0.0.1:${line![1]}/`);
    expect(res.status).toBe(200);
    expect(p.status?.conditions?.find((x) => x.type === HOST_PORTS_CONDITION)?.message).toBe(`app/http: 8080→${line![1]}`);
    await c.client.delete(refs.pods, 'web', { namespace: 'default', gracePeriodSeconds: 1 });
  });

  it('restarts an HTTP app that starts failing by its liveness probe; restartCount grows and so do the back-off delays', { timeout: 90_000 }, async () => {
    // the back-off announced while the container waits (CrashLoopBackOff), by the restartCount it waits at
    const delays = new Map<number, number>();
    const ac = new AbortController();
    const watching = (async () => {
      for await (const ev of c.client.watch<Pod & KubeObject>(refs.pods, { namespace: 'default', fieldSelector: 'metadata.name=kubia-liveness', signal: ac.signal })) {
        const s = containerStatus(ev.object);
        const m = /^back-off (\d+)(ms|s) /.exec(s?.state?.waiting?.reason === 'CrashLoopBackOff' ? (s.state.waiting.message ?? '') : '');
        if (m) delays.set(s!.restartCount, Number(m[1]) * (m[2] === 's' ? 1000 : 1));
      }
    })().catch((e: Error) => {
      if (e.name !== 'AbortError') throw e;
    });
    /** three back-offs in a row, each longer than the one before (a run slowed past the reset time starts over at the base) */
    const growing = () => [...delays].some(([n, d]) => (delays.get(n + 1) ?? 0) > d && (delays.get(n + 2) ?? 0) > delays.get(n + 1)!);
    await c.createPod({
      metadata: { name: 'kubia-liveness' },
      spec: {
        containers: [
          {
            name: 'kubia',
            image: 'luksa/kubia-unhealthy',
            command: ['node', '-e', HTTP_APP],
            env: [{ name: 'FAIL_AFTER', value: '1' }],
            ports: [{ containerPort: 8080 }],
            livenessProbe: { httpGet: { path: '/', port: 8080 }, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
      },
    });
    const p = await c.waitPod('kubia-liveness', (p) => (containerStatus(p)?.restartCount ?? 0) >= 2, 25_000);
    expect(containerStatus(p)?.lastState?.terminated?.exitCode).toBeGreaterThan(128);
    await until(growing, 60_000, `growing back-off delays (seen: ${JSON.stringify([...delays])})`).catch((e: Error) => {
      throw new Error(`${e.message}; seen by restartCount: ${JSON.stringify([...delays])}`);
    });
    ac.abort();
    await watching;
    // the harness's agent starts at 200 ms and doubles up to 2 s
    const seen = [...delays].sort(([a], [b]) => a - b).map(([, d]) => d);
    expect(seen.every((d) => [200, 400, 800, 1600, 2000].includes(d)), JSON.stringify(seen)).toBe(true);
    expect(containerStatus((await c.getPod('kubia-liveness'))!)!.restartCount).toBeGreaterThanOrEqual(3);
    const ev = await c.client.list<KubeObject & { reason?: string; message?: string }>(refs.events, { namespace: 'default' });
    const msgs = ev.items.filter((e) => (e.involvedObject as { name?: string }).name === 'kubia-liveness').map((e) => `${e.reason}: ${e.message}`);
    expect(msgs.some((m) => /^Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 500/.test(m))).toBe(true);
    expect(msgs.some((m) => /^Killing: Container kubia failed liveness probe, will be restarted/.test(m))).toBe(true);
    expect(msgs.some((m) => /^BackOff: Back-off restarting failed container kubia in pod kubia-liveness_default/.test(m))).toBe(true);
    const prev = await c.cluster.kubectl(['logs', 'kubia-liveness', '--previous']);
    expect(prev.stdout).toMatch(/^listening on \d+\n$/);
    await c.client.delete(refs.pods, 'kubia-liveness', { namespace: 'default', gracePeriodSeconds: 0 });
  });

  it('backs off crashing containers with growing delays (CrashLoopBackOff)', async () => {
    const backoff = watchBackOffDelays(c, 'crash');
    await c.createPod({ metadata: { name: 'crash' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo run; exit 3'] }] } });
    const p = await c.waitPod('crash', (p) => (containerStatus(p)?.restartCount ?? 0) >= 4, 20_000);
    const delays = await backoff.stop();
    expect(p.status?.phase).toBe('Running');
    expect(containerStatus(p)?.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(delays).toEqual(expect.arrayContaining(['200ms', '400ms', '800ms']));
    expect((await c.cluster.kubectl(['logs', 'crash', '--previous'])).stdout).toBe('run\n');
    // only the current run's log and the previous one's stay on disk
    const logDir = join(c.dataDir, 'node-a', 'pods', `default_crash_${p.metadata?.uid}`, 'logs', 'c');
    const runs = readdirSync(logDir).map((f) => Number(/^(\d+)\.log$/.exec(f)?.[1]));
    expect(runs).toHaveLength(2);
    expect(runs.every((n) => n >= 3)).toBe(true);
    await c.client.delete(refs.pods, 'crash', { namespace: 'default', gracePeriodSeconds: 0 });
  });

  it('flips Ready with the readiness probe', async () => {
    const flag = join(scratch, 'ready');
    await c.createPod({
      metadata: { name: 'ready' },
      spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1000'], readinessProbe: { exec: { command: ['test', '-f', flag] }, periodSeconds: 1 } }] },
    });
    let p = await c.waitPod('ready', (p) => p.status?.phase === 'Running');
    expect(condition(p, 'Ready')).toBe('False');
    writeFileSync(flag, '');
    p = await c.waitPod('ready', (p) => condition(p, 'Ready') === 'True');
    expect(condition(p, 'ContainersReady')).toBe('True');
    rmSync(flag);
    await c.waitPod('ready', (p) => condition(p, 'Ready') === 'False');
    await c.client.delete(refs.pods, 'ready', { namespace: 'default', gracePeriodSeconds: 0 });
  });

  it('restarts a container killed with kill -9', async () => {
    await c.createPod({ metadata: { name: 'victim' }, spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1000'] }] } });
    const p = await c.waitPod('victim', (p) => !!containerStatus(p)?.state?.running);
    process.kill(pidOf(p), 'SIGKILL');
    const q = await c.waitPod('victim', (p) => containerStatus(p)?.restartCount === 1 && !!containerStatus(p)?.state?.running);
    expect(containerStatus(q)?.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(pidOf(q)).not.toBe(pidOf(p));
    await c.client.delete(refs.pods, 'victim', { namespace: 'default', gracePeriodSeconds: 0 });
  });

  it('runs init containers in order before the app', async () => {
    await c.createPod({
      metadata: { name: 'init' },
      spec: {
        restartPolicy: 'Never',
        volumes: [{ name: 'w', emptyDir: {} }],
        initContainers: [
          { name: 'one', image: 'busybox', command: ['sh', '-c', 'echo one >> /w/order'], volumeMounts: [{ name: 'w', mountPath: '/w' }] },
          { name: 'two', image: 'busybox', command: ['sh', '-c', 'echo two >> /w/order'], volumeMounts: [{ name: 'w', mountPath: '/w' }] },
        ],
        containers: [{ name: 'app', image: 'busybox', command: ['cat', '/w/order'], volumeMounts: [{ name: 'w', mountPath: '/w' }] }],
      },
    });
    const p = await c.waitPod('init', (p) => p.status?.phase === 'Succeeded');
    expect(p.status?.initContainerStatuses?.map((s) => s.state?.terminated?.reason)).toEqual(['Completed', 'Completed']);
    expect((await c.cluster.kubectl(['logs', 'init', '-c', 'app'])).stdout).toBe('one\ntwo\n');
  });

  it('runs a sidecar (init container with restartPolicy Always) alongside the app and stops it when the app is done', async () => {
    await c.createPod({
      metadata: { name: 'sidecar' },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 2,
        volumes: [{ name: 'w', emptyDir: {} }],
        initContainers: [
          {
            name: 'side',
            image: 'busybox',
            restartPolicy: 'Always',
            command: ['sh', '-c', 'echo up > /w/side; exec sleep 1000'],
            // the app starts only once the sidecar's startup probe passed
            startupProbe: { exec: { command: ['test', '-f', '/w/side'] }, periodSeconds: 1 },
            volumeMounts: [{ name: 'w', mountPath: '/w' }],
          },
        ],
        containers: [{ name: 'app', image: 'busybox', command: ['cat', '/w/side'], volumeMounts: [{ name: 'w', mountPath: '/w' }] }],
      },
    });
    const p = await c.waitPod('sidecar', (p) => p.status?.phase === 'Succeeded', 10_000);
    expect(p.status?.initContainerStatuses?.[0]?.state?.terminated).toBeTruthy();
    expect((await c.cluster.kubectl(['logs', 'sidecar', '-c', 'app'])).stdout).toBe('up\n');
  });

  it('starts in the directory an image names, and runs postStart before the container is Ready', async () => {
    const image = join(scratch, 'app-image');
    mkdirSync(image);
    writeFileSync(join(image, 'app.sh'), 'echo "running in $(pwd)"; exec sleep 1000\n');
    await c.createPod({
      metadata: { name: 'from-dir' },
      spec: { containers: [{ name: 'c', image, command: ['sh', 'app.sh'], lifecycle: { postStart: { exec: { command: ['sh', '-c', `sleep 0.2; echo started > ${join(scratch, 'poststart')}`] } } } }] },
    });
    await c.waitPod('from-dir', (p) => condition(p, 'Ready') === 'True');
    expect(readFileSync(join(scratch, 'poststart'), 'utf8')).toBe('started\n');
    expect((await c.cluster.kubectl(['logs', 'from-dir'])).stdout).toBe(`running in ${image}\n`);
    await c.client.delete(refs.pods, 'from-dir', { namespace: 'default', gracePeriodSeconds: 0 });
  });

  it('keeps a container ContainerCreating until its httpGet postStart hook returns, and runs an httpGet preStop on delete', async () => {
    const requests: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // the hooks' server: it answers the postStart request only when the test releases it
    const hooks = createServer((q, r) => {
      requests.push(`${q.method} ${q.url}`);
      void (q.url === '/post-start' ? held : Promise.resolve()).then(() => r.end('ok'));
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
    const port = (hooks.address() as AddressInfo).port;
    try {
      await c.createPod({
        metadata: { name: 'hooked' },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1000'], lifecycle: { postStart: { httpGet: { path: '/post-start', port } }, preStop: { httpGet: { path: '/pre-stop', port } } } }],
        },
      });
      // the process runs (containerID) and the hook is in flight: not Running yet
      await until(() => requests.includes('GET /post-start'), 10_000, 'the postStart request');
      const during = await c.waitPod('hooked', (p) => !!containerStatus(p)?.containerID);
      expect(containerStatus(during)).toMatchObject({ state: { waiting: { reason: 'ContainerCreating' } }, ready: false, started: false });
      expect(during.status?.phase).toBe('Pending');
      const shown = await c.cluster.kubectl(['get', 'pod', 'hooked', '--no-headers']);
      expect(shown.stdout).toMatch(/^hooked\s+0\/1\s+ContainerCreating\s/);
      release();
      const after = await c.waitPod('hooked', (p) => condition(p, 'Ready') === 'True');
      expect(containerStatus(after)?.state?.running?.startedAt).toBeTruthy();
      expect(after.status?.phase).toBe('Running');
      await c.client.delete(refs.pods, 'hooked', { namespace: 'default' });
      await until(async () => !(await c.getPod('hooked')), 10_000, 'pod gone');
      expect(requests).toEqual(['GET /post-start', 'GET /pre-stop']);
    } finally {
      release();
      hooks.close();
    }
  });

  it('fails a pod past its activeDeadlineSeconds (DeadlineExceeded)', async () => {
    await c.createPod({ metadata: { name: 'deadline' }, spec: { activeDeadlineSeconds: 1, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1000'] }] } });
    // the kubelet marks the pod Failed first and the container's end follows it
    const p = await c.waitPod('deadline', (p) => p.status?.phase === 'Failed' && containerStatus(p)?.state?.terminated !== undefined, 10_000);
    expect(p.status?.reason).toBe('DeadlineExceeded');
    expect(containerStatus(p)?.state?.terminated?.exitCode).toBe(143);
  });

  it('terminates gracefully: preStop, SIGTERM, SIGKILL after the grace period; nothing is left', async () => {
    const marker = join(scratch, 'prestop');
    await c.createPod({
      metadata: { name: 'stubborn' },
      spec: {
        terminationGracePeriodSeconds: 1,
        volumes: [{ name: 'host', hostPath: { path: scratch } }],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            // ignores SIGTERM (inherited by its children), so only SIGKILL ends it
            command: ['sh', '-c', "trap '' TERM; sleep 1000 & sleep 1000 & wait"],
            volumeMounts: [{ name: 'host', mountPath: '/host' }],
            lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo stopping > /host/prestop'] } } },
          },
        ],
      },
    });
    const p = await c.waitPod('stubborn', (p) => !!containerStatus(p)?.state?.running);
    const pgid = pidOf(p);
    await until(() => groupMembers(pgid).length >= 3, 5000, 'three processes');
    await c.client.delete(refs.pods, 'stubborn', { namespace: 'default' });
    await until(async () => !(await c.getPod('stubborn')), 10_000, 'pod gone');
    expect(groupMembers(pgid)).toEqual([]);
    expect(readFileSync(marker, 'utf8')).toBe('stopping\n');
  });

  it('follows logs until the container ends (kubectl logs -f)', async () => {
    await c.createPod({ metadata: { name: 'follow' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.3; done'] }] } });
    await c.waitPod('follow', (p) => !!containerStatus(p)?.state?.running);
    const r = await c.cluster.kubectl(['logs', '-f', 'follow']);
    expect(r.stdout).toBe('line1\nline2\nline3\n');
  });

  it('runs each container in its own PID namespace (as root): exec and exec probes join it, and nothing outlives the pod', async (ctx) => {
    if (!pidNamespaceTools()) {
      console.log('skipped PID namespaces: the agent is not root on Linux with util-linux unshare/nsenter, so containers are process groups only');
      ctx.skip();
    }
    // the background sleep leaves the container's process group with setsid: only the namespace ends
    // it ($$$$ is $$ after $(VAR) expansion)
    // unique per run: the check below scans the whole machine
    const marker = `1001.${process.pid}`;
    await c.createPod({
      metadata: { name: 'isolated' },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', `echo pid=$$$$; setsid sleep ${marker} & exec sleep 1000`],
            // PID 2 is the container's command only inside its namespace (the host's is kthreadd)
            readinessProbe: { exec: { command: ['grep', '-q', 'sleep', '/proc/2/cmdline'] }, periodSeconds: 1 },
          },
        ],
      },
    });
    await c.waitPod('isolated', (p) => condition(p, 'Ready') === 'True', 15_000);
    expect((await c.cluster.kubectl(['logs', 'isolated'])).stdout).toBe('pid=2\n');
    const escaped = () => hostPidsRunning(['sleep', marker]);
    await until(() => escaped().length === 1, 5000, 'the setsid sleep on the host');
    const ps = await c.cluster.kubectl(['exec', 'isolated', '--', 'sh', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done']);
    const seen = ps.stdout.split('\n').filter((l) => l.trim());
    // the namespace's init shell, the command, the escaped sleep, and this exec's shell (and tr)
    expect(seen.some((l) => l.startsWith('/bin/sh -c exec 3>&2'))).toBe(true);
    expect(seen).toContain('sleep 1000 ');
    expect(seen).toContain(`sleep ${marker} `);
    expect(seen.length).toBeLessThan(8);
    await c.client.delete(refs.pods, 'isolated', { namespace: 'default' });
    await until(async () => !(await c.getPod('isolated')), 10_000, 'pod gone');
    expect(escaped()).toEqual([]);
  });

  it('shares one PID namespace between the containers of a pod with shareProcessNamespace: a sidecar signals the app', async (ctx) => {
    if (!pidNamespaceTools()) {
      console.log('skipped shareProcessNamespace: the agent is not root on Linux with util-linux unshare/nsenter');
      ctx.skip();
    }
    const marker = `1002.${process.pid}`;
    const stopped = join(scratch, 'app-stopped');
    await c.createPod({
      metadata: { name: 'shared-pid' },
      spec: {
        shareProcessNamespace: true,
        volumes: [{ name: 'host', hostPath: { path: scratch } }],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            // a SIGTERM handler that records the graceful stop; the setsid sleep only the namespace ends
            command: ['sh', '-c', `trap 'echo stopped > /host/app-stopped; exit 0' TERM; setsid sleep ${marker} & while :; do sleep 0.1; done`],
            volumeMounts: [{ name: 'host', mountPath: '/host' }],
          },
          { name: 'sidecar', image: 'busybox', command: ['sleep', '1000'] },
        ],
      },
    });
    await c.waitPod('shared-pid', (p) => condition(p, 'Ready') === 'True', 15_000);
    const procs = async (container: string) => {
      const r = await c.cluster.kubectl(['exec', 'shared-pid', '-c', container, '--', 'sh', '-c', 'for p in /proc/[0-9]*; do printf "%s " ${p#/proc/}; tr "\\0" " " < $p/cmdline; echo; done']);
      return r.stdout.split('\n').filter((l) => l.trim());
    };
    const fromSidecar = await procs('sidecar');
    // PID 1 is the pod's holder (pause), and the sidecar sees the app's processes
    expect(fromSidecar.find((l) => l.startsWith('1 '))).toMatch(/^1 \/bin\/sh -c exec 2>\/dev\/null; while/);
    expect(fromSidecar.some((l) => l.includes(`sleep ${marker}`))).toBe(true);
    expect(fromSidecar.some((l) => / sleep 1000 $/.test(l))).toBe(true);
    // the sidecar stops the app's shell with a signal; the app container restarts
    const appShell = fromSidecar.find((l) => l.includes("trap 'echo stopped"))!.split(' ')[0];
    await c.cluster.kubectl(['exec', 'shared-pid', '-c', 'sidecar', '--', 'kill', '-KILL', appShell]);
    await c.waitPod('shared-pid', (p) => (containerStatus(p, 'app')?.restartCount ?? 0) >= 1 && !!containerStatus(p, 'app')?.state?.running, 20_000);
    expect(containerStatus(await c.waitPod('shared-pid', () => true), 'app')?.lastState?.terminated?.exitCode).toBe(137);
    // a graceful stop reaches the app through nsenter (else it would wait out the 30 s grace period)
    await c.client.delete(refs.pods, 'shared-pid', { namespace: 'default' });
    await until(async () => !(await c.getPod('shared-pid')), 15_000, 'pod gone');
    expect(readFileSync(stopped, 'utf8')).toBe('stopped\n');
    expect(hostPidsRunning(['sleep', marker])).toEqual([]);
  });

  it('OOMKills a container over its memory limit', async (ctx) => {
    if (!existsSync('/proc/self/stat')) {
      console.log('skipped OOMKilled: no /proc here, so without a memory cgroup memory limits are not enforced');
      ctx.skip();
    }
    // with a memory cgroup the kernel kills it; without one, the agent's /proc poller does
    await c.createPod({
      metadata: { name: 'hog' },
      spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'node', command: ['node', '-e', 'const a=[];for(;;)a.push(Buffer.alloc(1e6,1))'], resources: { limits: { memory: '48Mi' } } }] },
    });
    const p = await c.waitPod('hog', (p) => p.status?.phase === 'Failed', 20_000);
    expect(containerStatus(p)?.state?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });

  it('puts a container with limits.cpu in a cpu cgroup with that CFS quota, which throttles a busy loop', async (ctx) => {
    if (!cgroupRoot('cpu')) {
      console.log('skipped cpu limits: no writable cpu cgroup here, so cpu limits are not enforced');
      ctx.skip();
    }
    await c.createPod({ metadata: { name: 'spinner' }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'while :; do :; done'], resources: { limits: { cpu: '100m' } } }] } });
    const p = await c.waitPod('spinner', (p) => !!containerStatus(p)?.state?.running);
    const root = cgroupRoot('cpu')!.dir;
    const dir = join(root, readdirSync(root).find((d) => d.startsWith(`berth-${p.metadata!.uid}-c-0-`))!);
    expect(readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(pidOf(p)));
    if (cgroupRoot('cpu')!.version === 1) expect(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim()).toBe('10000');
    else expect(readFileSync(join(dir, 'cpu.max'), 'utf8').trim()).toBe('10000 100000');
    await until(() => Number(/nr_throttled (\d+)/.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'))?.[1]) > 0, 10_000, 'the loop throttled');
    await c.client.delete(refs.pods, 'spinner', { namespace: 'default', gracePeriodSeconds: 0 });
    // the cgroup goes with the container's last process
    await until(() => !existsSync(dir), 10_000, 'cgroup removed');
  });
});
