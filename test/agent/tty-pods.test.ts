/**
 * `tty: true` containers on the process runtime, as `kubectl run -it` makes them: the command runs
 * on a pseudo-terminal, so an attached kubectl's keystrokes (Enter is a carriage return in raw
 * mode) reach a shell as lines, and the terminal follows the client's window size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerStatus, kubectlOnTerminal, startAgentCluster, until, type AgentCluster } from './agent-harness.js';

let c: AgentCluster;

beforeAll(async () => {
  c = await startAgentCluster({ name: 'node-t' });
});
afterAll(async () => {
  await c?.stop();
});

describe('tty: true containers', () => {
  it('kubectl attach -it drives a shell on the container terminal and resizes it', { timeout: 90_000 }, async () => {
    await c.createPod({ metadata: { name: 'term' }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh'], stdin: true, tty: true }] } });
    await c.waitPod('term', (p) => !!containerStatus(p)?.state?.running, 30_000);
    const k = kubectlOnTerminal(c, ['attach', '-it', 'term'], 24, 80);
    try {
      // the shell reads lines from its terminal: typed text with a carriage return is a command
      await until(async () => {
        k.type('echo "tty=$(tty) size=$(stty size)"\r');
        await new Promise((r) => setTimeout(r, 300));
        return /tty=\/dev\/pts\/\d+ size=24 80/.test(k.output());
      }, 30_000, `the shell's answer (output: ${JSON.stringify(k.output())})`);
      await k.resize(40, 100);
      await until(async () => {
        k.type('echo "now=$(stty size)"\r');
        await new Promise((r) => setTimeout(r, 300));
        return k.output().includes('now=40 100');
      }, 30_000, `the new size (output: ${JSON.stringify(k.output())})`);
    } finally {
      k.stop();
    }
    // what the terminal showed is the container's log too
    expect((await c.cluster.kubectl(['logs', 'term'])).stdout).toMatch(/tty=\/dev\/pts\/\d+ size=24 80/);
  });
});
