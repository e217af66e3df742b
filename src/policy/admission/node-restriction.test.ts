import { describe, expect, it } from 'vitest';
import type { AdmissionAttributes } from '../../controlplane/api/admission.js';
import type { UserInfo } from '../../controlplane/api/request.js';
import { registry } from '../../controlplane/resources/registry.js';
import { nodeOf, nodeRestrictionPlugin } from './node-restriction.js';

const node = (name: string): UserInfo => ({ username: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] });
const secrets = registry.find('', 'v1', 'secrets')!;
const configmaps = registry.find('', 'v1', 'configmaps')!;

function attrs(user: UserInfo, name: string, namespace = 'kube-node-lease', type = secrets): AdmissionAttributes {
  return { operation: 'CREATE', type, namespace, name, user, dryRun: false, warnings: [] };
}

describe('nodeOf', () => {
  it.each([
    [node('a'), 'a'],
    [{ username: 'system:node:a', groups: ['system:authenticated'] }, undefined],
    [{ username: 'alice', groups: ['system:nodes'] }, undefined],
  ] as [UserInfo, string | undefined][])('%j is node %s', (user, want) => {
    expect(nodeOf(user)).toBe(want);
  });
});

describe('NodeRestriction', () => {
  const plugin = nodeRestrictionPlugin();
  it.each([
    ['its own agent key', attrs(node('a'), 'berth-agent-a'), true],
    ['another node’s agent key', attrs(node('a'), 'berth-agent-b'), false],
    ['any other Secret in kube-node-lease', attrs(node('a'), 'anything'), false],
    ['Secrets elsewhere (left to RBAC)', attrs(node('a'), 'berth-agent-b', 'default'), true],
    ['other kinds in kube-node-lease', attrs(node('a'), 'x', 'kube-node-lease', configmaps), true],
    ['users that are not nodes', attrs({ username: 'admin', groups: ['system:masters'] }, 'berth-agent-b'), true],
  ])('%s', (_what, a, allowed) => {
    const run = () => plugin.validate!(a);
    if (allowed) expect(run).not.toThrow();
    else expect(run).toThrow(`node "a" is not allowed to modify secret kube-node-lease/${a.name}`);
  });
});
