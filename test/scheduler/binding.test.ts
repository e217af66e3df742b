/**
 * The binding cycle runs apart from the queue attempt (the slot takes the next pod while the API
 * writes the binding): a binding that fails for a reason other than Conflict or NotFound puts the
 * pod back in the queue, and stopping the scheduler waits for bindings in flight.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { StatusError } from '../../src/controlplane/api/errors.js';
import type { Client } from '../../src/controlplane/client/client.js';
import { refs } from '../../src/controlplane/client/refs.js';
import { Manager } from '../../src/controlplane/runtime/runnable.js';
import { createScheduler, SCHEDULER_USER, type Scheduler } from '../../src/controlplane/scheduler/scheduler.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import { boundNode, createNode, getPod, pod, until } from './helpers.js';

let cluster: TestCluster;
let manager: Manager;

beforeEach(async () => {
  cluster = await startCluster();
  manager = new Manager();
});

afterEach(async () => {
  await manager.stop();
  await cluster.stop();
});

/** The scheduler's client, with `binding` POSTs sent through `bind` (which may fail or hold them). */
function withBinding(bind: (send: () => Promise<unknown>) => Promise<unknown>): Client {
  const base = cluster.api.client(SCHEDULER_USER, 'berth-scheduler');
  const client = Object.create(base) as Client;
  client.post = (ref, name, subresource, body, namespace) => {
    const send = () => base.post(ref, name, subresource, body, namespace);
    return (subresource === 'binding' ? bind(send) : send()) as never;
  };
  return client;
}

async function start(client: Client, log: (line: string) => void = () => {}): Promise<Scheduler> {
  const scheduler = createScheduler({ client, redisUrl: cluster.redis.url, prefix: 'test', log });
  await manager.add(scheduler);
  return scheduler;
}

it('queues the pod again when its binding fails with a server error, and binds it then', async () => {
  const admin = cluster.api.client();
  let failures = 1;
  const lines: string[] = [];
  const scheduler = await start(
    withBinding((send) => (failures-- > 0 ? Promise.reject(new StatusError('InternalError', 'storage unavailable')) : send())),
    (l) => lines.push(l),
  );
  await createNode(admin, 'n1', { cpu: '2' });
  await admin.create(refs.pods, pod('flaky', { cpu: '500m' }));
  expect(await boundNode(admin, 'flaky')).toBe('n1');
  expect(lines.some((l) => l.includes('binding default/flaky to n1: storage unavailable; retrying'))).toBe(true);
  expect(scheduler.stats.attempts).toBe(2);
  expect(scheduler.stats.bound).toBe(1);
});

it('waits for a binding in flight when stopped', async () => {
  const admin = cluster.api.client();
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let sent = false;
  const scheduler = await start(
    withBinding(async (send) => {
      sent = true;
      await held;
      return send();
    }),
  );
  await createNode(admin, 'n1', { cpu: '2' });
  await admin.create(refs.pods, pod('held', { cpu: '500m' }));
  await until('binding sent', () => sent);
  let stopped = false;
  const stopping = manager.stop().then(() => (stopped = true));
  // the queue and informers stop meanwhile; the scheduler is not stopped until the binding ends
  await new Promise((r) => setTimeout(r, 500));
  expect(stopped).toBe(false);
  release();
  await stopping;
  expect(scheduler.stats.bound).toBe(1);
  expect((await getPod(admin, 'held')).spec?.nodeName).toBe('n1');
});
