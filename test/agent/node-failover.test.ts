/**
 * The acceptance "`kill -9` of an agent: its Node goes NotReady, its pods are rescheduled on
 * another agent", end to end as a user runs it: `berth up` (policy engine, DefaultTolerationSeconds
 * admission, controller-manager with the node lifecycle controller and podgc, scheduler) with short
 * node-health flags, two `berth agent` processes, a Deployment made with kubectl. The pod on agent A is
 * marked not ready when A stops renewing its Lease, evicted after its tolerationSeconds, replaced on
 * agent B; after `kubectl delete node agent-a` podgc deletes the pod left Terminating there.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../harness/wait.js';
import { stopChild } from './agent-harness.js';

const BERTH = join(import.meta.dirname, '../../bin/berth.js');
const dataDir = mkdtempSync(join(tmpdir(), 'berth-failover-'));
const children: ChildProcess[] = [];
/** process groups of pods whose agent was killed (nobody else stops them) */
const orphanGroups: number[] = [];

afterAll(async () => {
  for (const g of orphanGroups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await Promise.all(children.slice(1).map((c) => stopChild(c)));
  const up = children[0];
  if (up && up.exitCode === null) {
    process.kill(-up.pid!, 'SIGINT');
    await new Promise((r) => up.once('exit', r));
  }
  rmSync(dataDir, { recursive: true, force: true });
});

function kubectl(...args: string[]): string {
  return execFileSync('kubectl', ['--kubeconfig', join(dataDir, 'kubeconfig'), '--cache-dir', join(dataDir, 'kube-cache'), ...args], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function pods(): Pod[] {
  return (JSON.parse(kubectl('get', 'pods', '-l', 'app=web', '-o', 'json')) as { items: Pod[] }).items;
}

const isReady = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
const nodeReady = (name: string) => kubectl('get', 'node', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}');

function startAgent(name: string, server: string): ChildProcess {
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  // berth up on this machine runs the Service proxy already
  const child = spawn(process.execPath, [BERTH, 'agent', '--server', server, '--token', token, '--ca', join(dataDir, 'pki', 'ca.crt'), '--name', name, '--port', '0', '--address', '127.0.0.1', '--data-dir', join(dataDir, name), '--lease-renew-seconds', '0.5', '--no-service-proxy'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (b: Buffer) => process.stderr.write(`${name}: ${b.toString()}`));
  children.push(child);
  return child;
}

describe('node failover', () => {
  it('kill -9 of an agent: its pod goes not ready, is evicted after its toleration and replaced on the other agent; kubectl delete node lets podgc remove it', async () => {
    const env = { ...process.env };
    delete env.REDIS_URL;
    // 4 s: eight renewals of 0.5 s may come late on a loaded machine without the live agent flapping
    const up = spawn(process.execPath, [BERTH, 'up', '--api-port', '0', '--data-dir', dataDir, '--nodes', '0', '--node-monitor-grace-period', '4s', '--node-monitor-period', '200ms', '--default-unreachable-toleration-seconds', '3', '--pod-gc-quarantine', '1s'], { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
    children.push(up);
    let out = '';
    up.stdout!.on('data', (d) => (out += d));
    up.stderr!.on('data', (d) => (out += d));
    const server = await until('the listening line', () => /API server listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1]);

    const agentA = startAgent('agent-a', server);
    await until('agent-a Ready', () => nodeReady('agent-a') === 'True');
    kubectl('create', 'deployment', 'web', '--image', 'busybox', '--', 'sleep', '1000');
    const old = await until('the pod running and ready on agent-a', () => pods().find((p) => p.spec?.nodeName === 'agent-a' && isReady(p)));
    orphanGroups.push(Number(old.status!.containerStatuses![0].containerID!.replace('process://', '')));
    // the admission berth up runs stamped the flag's toleration on the pod
    expect(old.spec?.tolerations).toContainEqual({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3 });
    expect(old.spec?.tolerations).toContainEqual({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });

    startAgent('agent-b', server);
    await until('agent-b Ready', () => nodeReady('agent-b') === 'True');
    agentA.kill('SIGKILL');

    const replacement = await until('a replacement running and ready on agent-b', () => pods().find((p) => p.spec?.nodeName === 'agent-b' && isReady(p)), 60_000);
    expect(replacement.metadata?.name).not.toBe(old.metadata?.name);
    expect(nodeReady('agent-a')).toBe('Unknown');
    // the old pod stays Terminating on the dead node: evicted, and not ready since before that
    const evicted = JSON.parse(kubectl('get', 'pod', old.metadata!.name!, '-o', 'json')) as Pod;
    expect(evicted.metadata?.deletionTimestamp).toBeDefined();
    const readyCond = evicted.status?.conditions?.find((c) => c.type === 'Ready');
    expect(readyCond?.status).toBe('False');
    const notReadyAt = Date.parse(readyCond!.lastTransitionTime!);
    const evictedAt = Date.parse(evicted.metadata!.deletionTimestamp!) - (evicted.metadata!.deletionGracePeriodSeconds ?? 0) * 1000;
    // 3 s of toleration between the two (timestamps are whole seconds)
    expect(evictedAt - notReadyAt).toBeGreaterThanOrEqual(2000);
    const events = (JSON.parse(kubectl('get', 'events', '--field-selector', `involvedObject.name=${old.metadata!.name}`, '-o', 'json')) as { items: Event[] }).items;
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['NodeNotReady', 'TaintManagerEviction']));
    console.log(`failover: not ready ${notReadyAt - Date.parse(old.status!.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime!)} ms after it was ready, evicted ${evictedAt - notReadyAt} ms after that`);

    // a node that is gone for good: its pods are garbage-collected instead of staying Terminating
    kubectl('delete', 'node', 'agent-a');
    await until('podgc to delete the orphaned pod', () => !pods().some((p) => p.metadata?.uid === old.metadata?.uid), 30_000);
    expect(pods().map((p) => p.metadata?.name)).toEqual([replacement.metadata?.name]);
  }, 150_000);
});
