/**
 * Git images in the process runtime: a pod whose image is `git.berth.local/REPO@REV` runs a script
 * from a checkout of that revision of a berth-hosted repository (executable bits kept), a branch
 * follows new pushes while a commit stays pinned, and a missing repository is ErrImagePull with
 * what to do.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../sync/git-repo.js';
import { containerStatus, startAgentCluster, type AgentCluster } from './agent-harness.js';

let c: AgentCluster;
let repo: TestRepo;
let first: string;

beforeAll(async () => {
  repo = makeRepo();
  repo.commit('v1', { 'run.sh': '#!/bin/sh\necho "version $(cat VERSION)"\npwd\n', VERSION: 'one' });
  chmodSync(join(repo.work, 'run.sh'), 0o755);
  first = repo.commit('make run.sh executable', {});
  // the repository is <root>/origin.git: "origin" among the repositories in <root>
  c = await startAgentCluster({ name: 'node-a', process: { backoffBaseMs: 200, backoffMaxMs: 2000, volumeRefreshMs: 300, gitRepos: join(repo.bare, '..') } });
});

afterAll(async () => {
  await c?.stop();
  repo?.remove();
});

const pod = (name: string, image: string) => ({ metadata: { name }, spec: { restartPolicy: 'Never' as const, containers: [{ name: 'app', image, command: ['./run.sh'] }] } });

async function output(name: string): Promise<string> {
  await c.waitPod(name, (p) => p.status?.phase === 'Succeeded', 30_000);
  const logs = await c.cluster.kubectl(['logs', name]);
  expect(logs.code, logs.stderr).toBe(0);
  return logs.stdout;
}

describe('git.berth.local images', () => {
  it('runs a script from a checkout of the revision, and records the commit as imageID', async () => {
    await c.createPod(pod('v1', 'git.berth.local/origin@main'));
    const [version, cwd] = (await output('v1')).trim().split('\n');
    expect(version).toBe('version one');
    expect(cwd).toBe(join(c.dataDir, 'node-a', 'images', 'origin', first));
    expect(containerStatus((await c.getPod('v1'))!)?.imageID).toBe(`git.berth.local/origin@${first}`);
  });

  it('a branch follows pushes; a commit stays pinned', async () => {
    const second = repo.commit('v2', { VERSION: 'two' });
    await c.createPod(pod('v2', 'git.berth.local/origin@main'));
    await c.createPod(pod('pinned', `git.berth.local/origin@${first.slice(0, 10)}`));
    expect(await output('v2')).toMatch(/^version two\n/);
    expect(await output('pinned')).toMatch(/^version one\n/);
    expect(containerStatus((await c.getPod('v2'))!)?.imageID).toBe(`git.berth.local/origin@${second}`);
  });

  it('a repository berth does not host: ErrImagePull, saying how to create it', async () => {
    await c.createPod(pod('missing', 'git.berth.local/nope@main'));
    const p = await c.waitPod('missing', (p) => containerStatus(p)?.state?.waiting?.reason === 'ErrImagePull');
    expect(containerStatus(p)?.state?.waiting?.message).toBe('image "git.berth.local/nope@main": berth hosts no repository "nope" (create it with `berth repo create nope` and push to it)');
  });
});
