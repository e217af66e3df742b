/**
 * The process runtime end to end: real child processes for pods bound to a real agent, status as
 * kubectl sees it, logs through pods/log, restarts, probes, termination without leftovers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refs } from '../../src/controlplane/client/refs.js';
import { groupMembers } from '../../src/agent/runtime/process/process-group.js';
import { condition, containerStatus, startAgentCluster, until, type AgentCluster } from './agent-harness.js';

let c: AgentCluster;

beforeAll(async () => {
  c = await startAgentCluster({ name: 'node-a' });
});
afterAll(async () => {
  await c?.stop();
});

describe('process runtime', () => {
  it('runs sh -c "date; echo Hello" to Succeeded and kubectl logs shows the output', async () => {
    await c.createPod({ metadata: { name: 'hello' }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'date; echo Hello'] }] } });
    const p = await c.waitPod('hello', (p) => p.status?.phase === 'Succeeded');
    expect(containerStatus(p)?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(condition(p, 'Ready')).toBe('False');
    const logs = await c.cluster.kubectl(['logs', 'hello']);
    expect(logs.stderr).toBe('');
    expect(logs.stdout).toMatch(/\d{2}:\d{2}:\d{2}.*\nHello\n$/);
  });
});
