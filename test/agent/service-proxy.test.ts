/**
 * The Service proxy over real pods: a ClusterIP Service gets a stable port shown on the Service,
 * connections are balanced over every ready replica, and a replica failing readiness stops getting
 * new connections.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Service } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import type { KubeObject } from '../../src/controlplane/resources/types.js';
import { createServiceProxy, PROXY_PORTS_ANNOTATION } from '../../src/agent/proxy/service-proxy.js';
import { condition, startAgentCluster, until, type AgentCluster } from './agent-harness.js';

let c: AgentCluster;
const ac = new AbortController();
const proxy = () => createServiceProxy({ client: c.cluster.api.client() });
let running: ReturnType<typeof proxy>;

const APP = `require('http').createServer((q,r)=>r.end(process.env.HOSTNAME)).listen(process.env.PORT)`;

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

async function hits(port: number, n: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add(await (await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } })).text());
  return seen;
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
              readinessProbe: { exec: { command: ['sh', '-c', `test ! -f ${join(c.dataDir, name + '.down')}`] }, periodSeconds: 1 },
            },
          ],
        },
      });
    }
    await c.client.create(refs.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } });
    for (const name of ['web-a', 'web-b']) await c.waitPod(name, (p) => condition(p, 'Ready') === 'True');
    const svc = await until(async () => {
      const s = await c.client.get<Service & KubeObject>(refs.services, 'web', 'default');
      return s.metadata?.annotations?.[PROXY_PORTS_ANNOTATION] ? s : undefined;
    }, 5000, 'proxy port on the Service');
    const port = (JSON.parse(svc.metadata!.annotations![PROXY_PORTS_ANNOTATION]) as Record<string, number>)['80/TCP'];
    expect(port).toBeGreaterThan(0);
    expect([...(await hits(port, 6))].sort()).toEqual(['web-a', 'web-b']);

    writeFileSync(join(c.dataDir, 'web-b.down'), '');
    await c.waitPod('web-b', (p) => condition(p, 'Ready') === 'False');
    expect([...(await hits(port, 6))]).toEqual(['web-a']);
    rmSync(join(c.dataDir, 'web-b.down'));
  });

  it('keeps the port of a Service across proxy restarts', async () => {
    const before = (await c.client.get<Service & KubeObject>(refs.services, 'web', 'default')).metadata!.annotations![PROXY_PORTS_ANNOTATION];
    ac.abort();
    await running.stopped();
    const again = new AbortController();
    running = proxy();
    await running.start(again.signal);
    const port = (JSON.parse(before) as Record<string, number>)['80/TCP'];
    await until(async () => (await hits(port, 1).catch(() => new Set())).size === 1, 5000, 'proxy back on the same port');
    expect((await c.client.get<Service & KubeObject>(refs.services, 'web', 'default')).metadata!.annotations![PROXY_PORTS_ANNOTATION]).toBe(before);
    again.abort();
    await running.stopped();
  });
});
