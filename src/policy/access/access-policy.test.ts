import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { memoryStore } from '../admission/offline.js';
import { RbacAuthorizer } from '../rbac/authorizer.js';
import { RbacIndex } from '../rbac/rbac-index.js';
import { AccessAuthorizer } from './access-policy.js';

const range = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
/** 1,000,000 comprehension steps: past the per-call cost limit. */
const EXPENSIVE = `${range(100)}.all(x, ${range(100)}.all(y, ${range(100)}.all(z, x + y + z >= 0)))`;

const policy = (effect: 'Allow' | 'Deny', condition: string): KubeObject => ({ apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name: `p-${effect}` }, spec: { rules: [{ name: 'r', effect, condition }] } });

function authorizer(policies: KubeObject[]): AccessAuthorizer {
  return new AccessAuthorizer({ store: memoryStore(policies), rbac: new RbacAuthorizer(new RbacIndex()), getObject: async () => undefined });
}

const admin = { username: 'root', groups: ['system:masters'] };
const dev = { username: 'dana', groups: ['team-a'] };
const get = (user: { username: string; groups: string[] }) => ({ user, verb: 'get', group: '', resource: 'pods', namespace: 'shop', name: 'web', resourceRequest: true });

describe('AccessPolicy conditions cut off by the cost limit fail closed', () => {
  it('a Deny rule whose condition is cut off denies, even a cluster admin', async () => {
    const d = await authorizer([policy('Deny', EXPENSIVE)]).authorize(get(admin));
    expect(d).toMatchObject({ allowed: false, denied: true, reason: 'denied by AccessPolicy "p-Deny" rule "r"' });
  });

  it('an Allow rule whose condition is cut off does not allow', async () => {
    expect((await authorizer([policy('Allow', EXPENSIVE)]).authorize(get(dev))).allowed).toBe(false);
    expect((await authorizer([policy('Allow', 'true')]).authorize(get(dev))).allowed).toBe(true);
  });

  it('other evaluation errors still count as the condition not holding', async () => {
    expect((await authorizer([policy('Deny', 'request.nope.deeper == 1')]).authorize(get(admin))).allowed).toBe(true);
  });
});
