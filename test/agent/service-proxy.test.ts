/**
 * The Service proxy over real pods: a ClusterIP Service gets a stable port from the proxy's own
 * range, shown on the Service and kept across restarts (also when ephemeral ports were taken
 * meanwhile; a port something else holds is reported, not moved); a NodePort Service is reachable on
 * its nodePort on the machine's addresses; connections are balanced over every ready replica, and a
 * replica failing readiness stops getting new connections. A proxy with a node's identity (as
 * `berth agent` runs it) serves the recorded ports.
 */
import { rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Event, Service } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { nodeUser } from '../../src/agent/agent.js';
import { machineAddress } from '../../src/agent/node-object.js';
import { ephemeralPortSpan } from '../../src/agent/proxy/proxy-ports.js';
import { createServiceProxy, PROXY_PORTS_ANNOTATION, type ServiceProxyOptions } from '../../src/agent/proxy/service-proxy.js';
import { condition, startAgentCluster, until, type AgentCluster } from './agent-harness.js';

let c: AgentCluster;
let ac = new AbortController();
const proxy = (o: Partial<ServiceProxyOptions> = {}) => createServiceProxy({ client: c.cluster.api.client(), retryMs: 200, ...o });
let running: ReturnType<typeof proxy>;

const APP = `require('http').createServer((q,r)=>r.end(process.env.HOSTNAME)).listen(process.env.PORT)`;

async function restart(o: Partial<ServiceProxyOptions> = {}): Promise<void> {
  ac.abort();
  await running.stopped();
  ac = new AbortController();
  running = proxy(o);
  await running.start(ac.signal);
}

beforeAll(async () => {
  c = await startAgentCluster({ name: 'node-p' });
  running = proxy();
  await running.start(ac.signal);
});
afterAll(async () => {
  ac.abort();
  await running?.stopped();
  await c?.stop();
});

async function hits(port: number, n: number, host = '127.0.0.1'): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add(await (await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/`, { headers: { connection: 'close' } })).text());
  return [...seen].sort();
}

/** Until `n` requests to `port` reach exactly `want` (the proxy's pod cache follows the API's). */
async function reaches(port: number, want: string[], host = '127.0.0.1'): Promise<void> {
  let last: string[] | string = [];
  await until(async () => {
    last = await hits(port, 6, host).catch((e: Error) => e.message);
    return JSON.stringify(last) === JSON.stringify(want);
  }, 10_000, `${host}:${port} to reach ${want.join(', ')}`).catch((e: Error) => {
    throw new Error(`${e.message}; last: ${JSON.stringify(last)}`);
  });
}

const down = (pod: string) => join(c.dataDir, pod + '.down');

async function proxyPorts(name: string): Promise<Record<string, number>> {
  const s = await until(async () => (await c.client.get<Service & KubeObject>(refs.services, name, 'default')).metadata?.annotations?.[PROXY_PORTS_ANNOTATION], 5000, `proxy port on Service ${name}`);
  return JSON.parse(s) as Record<string, number>;
}

describe('service proxy', () => {
  it('balances a ClusterIP Service over ready replicas and drops one failing readiness', async () => {
    for (const name of ['web-a', 'web-b']) {
      await c.createPod({
        metadata: { name, labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'node',
              command: ['node', '-e', APP],
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { exec: { command: ['sh', '-c', `test ! -f ${down(name)}`] }, periodSeconds: 1 },
            },
          ],
        },
      });
    }
    await c.client.create(refs.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } });
    for (const name of ['web-a', 'web-b']) await c.waitPod(name, (p) => condition(p, 'Ready') === 'True');
    const port = (await proxyPorts('web'))['80/TCP'];
    expect(port).toBeGreaterThanOrEqual(20000);
    expect(port).toBeLessThanOrEqual(29999);
    await reaches(port, ['web-a', 'web-b']);

    writeFileSync(down('web-b'), '');
    await c.waitPod('web-b', (p) => condition(p, 'Ready') === 'False');
    await reaches(port, ['web-a']);
    rmSync(down('web-b'));
    await c.waitPod('web-b', (p) => condition(p, 'Ready') === 'True');
    await reaches(port, ['web-a', 'web-b']);
  });

  it('gives a pod started later the Service environment variables, which reach the Service through the proxy', async () => {
    const port = (await proxyPorts('web'))['80/TCP'];
    // a client that finds the Service as Kubernetes apps do: WEB_SERVICE_HOST/PORT (and the link form)
    const client = `require('http').get('http://'+process.env.WEB_SERVICE_HOST+':'+process.env.WEB_SERVICE_PORT+'/',(r)=>{let b='';r.on('data',(d)=>b+=d);r.on('end',()=>console.log(process.env.WEB_PORT+' '+process.env.WEB_PORT_80_TCP_ADDR+' -> '+b))})`;
    await c.createPod({ metadata: { name: 'finder' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'node', command: ['node', '-e', client] }] } });
    await c.waitPod('finder', (p) => p.status?.phase === 'Succeeded', 20_000);
    expect((await c.cluster.kubectl(['logs', 'finder'])).stdout).toMatch(new RegExp(`^tcp://127\\.0\\.0\\.1:${port} 127\\.0\\.0\\.1 -> web-[ab]\n$`));
    // enableServiceLinks: false leaves them out
    await c.createPod({ metadata: { name: 'unlinked' }, spec: { restartPolicy: 'Never', enableServiceLinks: false, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo "[${WEB_SERVICE_HOST:-none}]"'] }] } });
    await c.waitPod('unlinked', (p) => p.status?.phase === 'Succeeded', 20_000);
    expect((await c.cluster.kubectl(['logs', 'unlinked'])).stdout).toBe('[none]\n');
  });

  it('serves a NodePort Service (kubectl expose) on its nodePort on the machine address and loopback', async () => {
    const r = await c.cluster.kubectl(['expose', 'pod', 'web-a', '--name=web-np', '--type=NodePort', '--port=80', '--target-port=http', '--selector=app=web']);
    expect(r.stderr).toBe('');
    const svc = await c.client.get<Service & KubeObject>(refs.services, 'web-np', 'default');
    const nodePort = svc.spec!.ports![0].nodePort!;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    for (const host of [machineAddress(), '127.0.0.1']) await reaches(nodePort, ['web-a', 'web-b'], host);

    writeFileSync(down('web-a'), '');
    await c.waitPod('web-a', (p) => condition(p, 'Ready') === 'False');
    await reaches(nodePort, ['web-b'], machineAddress());
    rmSync(down('web-a'));
    await c.waitPod('web-a', (p) => condition(p, 'Ready') === 'True');
  });

  it('keeps the port of a Service across restarts, though ephemeral ports were taken meanwhile', async () => {
    const before = await proxyPorts('web');
    ac.abort();
    await running.stopped();
    // what pods' host ports and outgoing connections do while the proxy is down
    const taken: net.Server[] = [];
    for (let i = 0; i < 200; i++) taken.push(await new Promise<net.Server>((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => resolve(s)); }));
    const eph = ephemeralPortSpan();
    try {
      if (eph) for (const s of taken) expect((s.address() as net.AddressInfo).port).toBeGreaterThanOrEqual(eph.first);
      expect(taken.map((s) => (s.address() as net.AddressInfo).port)).not.toContain(before['80/TCP']);
      ac = new AbortController();
      running = proxy();
      await running.start(ac.signal);
      await reaches(before['80/TCP'], ['web-a', 'web-b']);
      expect(await proxyPorts('web')).toEqual(before);
    } finally {
      for (const s of taken) s.close();
    }
  });

  it('reports a recorded port something else holds and keeps it, serving it once freed', async () => {
    const before = await proxyPorts('web');
    const port = before['80/TCP'];
    ac.abort();
    await running.stopped();
    const squatter = await new Promise<net.Server>((resolve) => { const s = net.createServer((sock) => sock.end('squatter')).listen(port, '127.0.0.1', () => resolve(s)); });
    ac = new AbortController();
    running = proxy();
    await running.start(ac.signal);
    const svc = await c.client.get<Service & KubeObject>(refs.services, 'web', 'default');
    const event = await until(async () => (await c.client.list<Event & KubeObject>(refs.events, { namespace: 'default' })).items.find((e) => e.involvedObject.uid === svc.metadata?.uid && e.reason === 'ProxyPortUnavailable'), 5000, 'the ProxyPortUnavailable Event');
    expect(event.type).toBe('Warning');
    expect(event.message).toContain(`80/TCP on its proxy port ${port}`);
    expect(event.message).toContain('EADDRINUSE');
    expect(await proxyPorts('web')).toEqual(before);
    await new Promise((r) => squatter.close(r));
    await reaches(port, ['web-a', 'web-b']);
    expect(await proxyPorts('web')).toEqual(before);
  });

  it('picks another port when the entry of a port it cannot listen on is removed', async () => {
    const before = (await proxyPorts('web'))['80/TCP'];
    ac.abort();
    await running.stopped();
    const squatter = await new Promise<net.Server>((resolve) => { const s = net.createServer().listen(before, '127.0.0.1', () => resolve(s)); });
    try {
      ac = new AbortController();
      running = proxy();
      await running.start(ac.signal);
      const svc = await c.client.get<Service & KubeObject>(refs.services, 'web', 'default');
      await until(async () => (await c.client.list<Event & KubeObject>(refs.events, { namespace: 'default' })).items.filter((e) => e.involvedObject.uid === svc.metadata?.uid && e.reason === 'ProxyPortUnavailable').length === 2, 5000, 'a second ProxyPortUnavailable Event');
      const r = await c.cluster.kubectl(['annotate', 'svc', 'web', `${PROXY_PORTS_ANNOTATION}-`]);
      expect(r.stderr).toBe('');
      const after = await until(async () => {
        const p = (await proxyPorts('web'))['80/TCP'];
        return p !== before ? p : undefined;
      }, 5000, 'another proxy port');
      expect(after).toBeGreaterThanOrEqual(20000);
      expect(after).toBeLessThanOrEqual(29999);
      await reaches(after, ['web-a', 'web-b']);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('serves the recorded ports with a node identity and without allocating, as berth agent runs it', async () => {
    const ports = await proxyPorts('web');
    const nodePort = (await c.client.get<Service & KubeObject>(refs.services, 'web-np', 'default')).spec!.ports![0].nodePort!;
    await restart({ client: c.cluster.api.client(nodeUser('node-p'), 'berth-agent'), allocate: false, nodeName: 'node-p' });
    await reaches(ports['80/TCP'], ['web-a', 'web-b']);
    await reaches(nodePort, ['web-a', 'web-b'], machineAddress());
  });
});
