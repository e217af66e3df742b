/**
 * kubectl exec, cp, attach and port-forward through the API server to a process-runtime agent
 * (and the sim runtime's refusal), with the real kubectl 1.32: WebSockets (v5.channel.k8s.io) for
 * the commands, SPDY tunnelled in a WebSocket for port-forward.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishAgentKey, startAgentServer, type AgentServer } from '../../src/agent/agent-server.js';
import { nodeUser, type Agent } from '../../src/agent/agent.js';
import { kubectlOnTerminal, startAgentCluster, until, type AgentCluster } from './agent-harness.js';

let c: AgentCluster;
let remoteServer: AgentServer | undefined;

beforeAll(async () => {
  c = await startAgentCluster({ name: 'node-x' });
  await c.createPod({ metadata: { name: 'shell' }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo payload > data.txt; exec sleep 1000'], env: [{ name: 'GREETING', value: 'from-env' }] }] } });
  await c.waitPod('shell', (p) => p.status?.phase === 'Running', 30_000);
});
/** Scratch directories of the kubectl cp tests, removed at the end. */
const scratch: string[] = [];
const scratchDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(d);
  return d;
};

afterAll(async () => {
  await c?.stop();
  await remoteServer?.close();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

/** Runs `kubectl port-forward pod/NAME :PORT` and resolves the local port once it listens. */
async function portForward(pod: string, port: number): Promise<{ local: string; output: () => string; stop: () => void }> {
  const pf = c.cluster.kubectlSpawn(['port-forward', `pod/${pod}`, `:${port}`]);
  let out = '';
  pf.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  pf.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  try {
    const local = await until(() => new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${port}`).exec(out)?.[1], 30_000, `port-forward to listen (output: ${out})`);
    return { local, output: () => out, stop: () => pf.kill() };
  } catch (e) {
    pf.kill();
    throw e;
  }
}

const HTTP_SERVER = "require('http').createServer((q,s)=>s.end('hello from '+q.url)).listen(process.env.PORT)";

// answers once the request has ended, as servers behind `nc -q` clients do
const READ_TO_END = "require('net').createServer({allowHalfOpen:true},(s)=>{let q='';s.on('data',(c)=>q+=c);s.on('end',()=>s.end('HTTP/1.0 200 OK\\r\\n\\r\\nread '+q.length+' bytes: '+q.split('\\r\\n')[0]))}).listen(process.env.PORT)";
const REQUEST = 'GET /half HTTP/1.0\r\n\r\n';

/** Sends `REQUEST`, half-closes (FIN), and reads until the server closes. */
function halfClosed(port: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), '127.0.0.1', () => s.end(REQUEST));
    let out = '';
    s.on('data', (b: Buffer) => (out += b.toString()));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

/** port-forward to a READ_TO_END pod on `node`: a half-closed client gets the whole response, twice. */
async function halfCloseThrough(node: string): Promise<void> {
  const name = `eof-${node}`;
  await c.createPod({
    metadata: { name },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'node', command: [process.execPath, '-e', READ_TO_END], ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] },
  }, node);
  await c.waitPod(name, (p) => !!p.status?.containerStatuses?.[0]?.ready, 30_000);
  const pf = await portForward(name, 8080);
  try {
    expect(await halfClosed(pf.local)).toBe(`HTTP/1.0 200 OK\r\n\r\nread ${REQUEST.length} bytes: GET /half HTTP/1.0`);
    // the forward goes on for the next connection
    expect(await halfClosed(pf.local)).toContain(`read ${REQUEST.length} bytes`);
  } finally {
    pf.stop();
  }
}

describe('kubectl exec', () => {
  it('prints the output and exits with the command exit code', async () => {
    const r = await c.cluster.kubectl(['exec', 'shell', '--', 'sh', '-c', 'echo hi; echo oops >&2; exit 3']);
    expect(r.stdout).toBe('hi\n');
    expect(r.stderr).toContain('oops');
    expect(r.code).toBe(3);
  });

  it('runs in the container context: its env and working directory', async () => {
    const r = await c.cluster.kubectl(['exec', 'shell', '-c', 'c', '--', 'sh', '-c', 'echo $GREETING; cat data.txt']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('from-env\npayload\n');
  });

  it('passes stdin with -i and ends it at EOF', async () => {
    const r = await c.cluster.kubectl(['exec', '-i', 'shell', '--', 'sh', '-c', 'tr a-z A-Z; echo done'], 'hello stdin\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('HELLO STDIN\ndone\n');
  });

  it('-it: the terminal has the size kubectl sends, and follows its resizes', { timeout: 90_000 }, async () => {
    // prints the terminal size whenever it changes
    const watch = 'l=; while :; do s=$(stty size); if [ "$s" != "$l" ]; then echo "size $s"; l=$s; fi; sleep 0.05; done';
    const k = kubectlOnTerminal(c, ['exec', '-it', 'shell', '--', 'sh', '-c', watch], 20, 77);
    try {
      await until(() => k.output().includes('size 20 77'), 30_000, `the first size (output: ${JSON.stringify(k.output())})`);
      await k.resize(31, 99);
      await until(() => k.output().includes('size 31 99'), 30_000, `the new size (output: ${JSON.stringify(k.output())})`);
    } finally {
      k.stop();
    }
  });

  it('reports a command that cannot start', async () => {
    const r = await c.cluster.kubectl(['exec', 'shell', '--', 'no-such-binary-here']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no-such-binary-here');
  });

  it('kubectl cp copies a file out of the pod', async () => {
    const dir = scratchDir('berth-cp-');
    const r = await c.cluster.kubectl(['cp', 'default/shell:data.txt', join(dir, 'out.txt')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('payload\n');
  });

  it('kubectl cp copies a file into the pod', async () => {
    const dir = scratchDir('berth-cp-');
    writeFileSync(join(dir, 'in.txt'), 'uploaded\n');
    const r = await c.cluster.kubectl(['cp', join(dir, 'in.txt'), 'default/shell:in.txt']);
    expect(r.code, r.stderr).toBe(0);
    expect((await c.cluster.kubectl(['exec', 'shell', '--', 'cat', 'in.txt'])).stdout).toBe('uploaded\n');
  });
});

describe('kubectl cp under a volume mount', () => {
  let dir: string;
  beforeAll(async () => {
    dir = scratchDir('berth-cp-vol-');
    await c.createPod({
      metadata: { name: 'vol' },
      spec: {
        terminationGracePeriodSeconds: 1,
        volumes: [{ name: 'scratch', emptyDir: {} }],
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'mkdir -p /data/sub; echo inside > /data/out.txt; echo deeper > /data/sub/deep.txt; exec sleep 1000'], volumeMounts: [{ name: 'scratch', mountPath: '/data' }] }],
      },
    });
    await c.waitPod('vol', (p) => p.status?.phase === 'Running', 30_000);
  });

  it('copies a file out of the volume', async () => {
    const r = await c.cluster.kubectl(['cp', 'default/vol:/data/out.txt', join(dir, 'out.txt')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('inside\n');
  });

  it('copies a file into the volume', async () => {
    writeFileSync(join(dir, 'in.txt'), 'uploaded\n');
    const r = await c.cluster.kubectl(['cp', join(dir, 'in.txt'), 'default/vol:/data/sub/in.txt']);
    expect(r.code, r.stderr).toBe(0);
    expect((await c.cluster.kubectl(['exec', 'vol', '--', 'cat', '/data/sub/in.txt'])).stdout).toBe('uploaded\n');
  });

  it('copies the mount directory out, nested files included', async () => {
    const r = await c.cluster.kubectl(['cp', 'default/vol:/data', join(dir, 'copy')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'copy', 'out.txt'), 'utf8')).toBe('inside\n');
    expect(readFileSync(join(dir, 'copy', 'sub', 'deep.txt'), 'utf8')).toBe('deeper\n');
  });
});

describe('kubectl attach', () => {
  it('connects to the stdin and stdout of a container that asks for stdin', async () => {
    await c.createPod({ metadata: { name: 'reader' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', stdin: true, stdinOnce: true, command: ['sh', '-c', 'read line; echo "got $line"'] }] } });
    await c.waitPod('reader', (p) => p.status?.phase === 'Running', 30_000);
    const r = await c.cluster.kubectl(['attach', '-i', 'reader'], 'ping\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('got ping');
    await c.waitPod('reader', (p) => p.status?.phase === 'Succeeded', 30_000);
  });
});

describe('kubectl port-forward', () => {
  it('reaches the pod server through the container port', { timeout: 90_000 }, async () => {
    await c.createPod({
      metadata: { name: 'web' },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'node', command: [process.execPath, '-e', HTTP_SERVER], ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] },
    });
    await c.waitPod('web', (p) => !!p.status?.containerStatuses?.[0]?.ready, 30_000);
    const pf = await portForward('web', 8080);
    try {
      for (const path of ['/one', '/two']) {
        const res = await fetch(`http://127.0.0.1:${pf.local}${path}`);
        expect(await res.text()).toBe(`hello from ${path}`);
      }
    } finally {
      pf.stop();
    }
  });

  it('passes a client half-close on: the request ends, the response still comes back', { timeout: 90_000 }, () => halfCloseThrough('node-x'));

  it('reports a port nothing listens on', { timeout: 90_000 }, async () => {
    const pf = await portForward('shell', 9);
    try {
      await fetch(`http://127.0.0.1:${pf.local}/`).catch(() => undefined);
      await until(() => pf.output().includes('error forwarding port 9'), 30_000, `the error (output: ${pf.output()})`);
    } finally {
      pf.stop();
    }
  });
});

describe('an agent in another process (reached through its own server)', () => {
  beforeAll(async () => {
    let agent: Agent | undefined;
    remoteServer = await startAgentServer(() => agent, { host: '127.0.0.1' });
    agent = await c.addAgent({ name: 'node-far', connectors: undefined, agentPort: remoteServer.port });
    await publishAgentKey(c.cluster.api.client(nodeUser('node-far')), 'node-far', remoteServer.key);
  });

  it('serves exec, logs and port-forward', { timeout: 90_000 }, async () => {
    await c.createPod({
      metadata: { name: 'far' },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'node', command: [process.execPath, '-e', `console.log('far away'); ${HTTP_SERVER}`], ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] },
    }, 'node-far');
    await c.waitPod('far', (p) => !!p.status?.containerStatuses?.[0]?.ready, 30_000);
    const exec = await c.cluster.kubectl(['exec', '-i', 'far', '--', 'sh', '-c', 'cat; exit 4'], 'through the agent\n');
    expect(exec.stdout).toBe('through the agent\n');
    expect(exec.code).toBe(4);
    expect((await c.cluster.kubectl(['logs', 'far'])).stdout).toContain('far away');
    const pf = await portForward('far', 8080);
    try {
      expect(await (await fetch(`http://127.0.0.1:${pf.local}/remote`)).text()).toBe('hello from /remote');
    } finally {
      pf.stop();
    }
  });

  it('passes a client half-close on to the pod (port-forward)', { timeout: 90_000 }, () => halfCloseThrough('node-far'));
});

describe('the sim runtime', () => {
  it('answers exec with a clear error', async () => {
    await c.addAgent({ name: 'sim-x', runtime: 'sim' });
    await c.createPod({ metadata: { name: 'simmed' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, 'sim-x');
    await c.waitPod('simmed', (p) => p.status?.phase === 'Running', 30_000);
    const r = await c.cluster.kubectl(['exec', 'simmed', '--', 'ls']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('sim runtime');
  });
});
