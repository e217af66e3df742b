/**
 * Assembles the policy engine for an API server: authentication (static tokens, the tokens file,
 * ServiceAccount JWTs), authorization (RBAC, with AccessPolicy deny/allow on top), admission (RBAC
 * escalation checks, built-in plugins, CEL admission policies) and the review endpoints, all fed by
 * informers on the API itself. One runnable keeps the caches, bootstraps the default roles and
 * aggregates cluster roles.
 *
 * Wiring (berth up, berth apiserver, tests):
 *   const policy = await createPolicy({ client: () => api.client(), dataDir, tokensFile, staticTokens });
 *   const api = await startApiServer({ ...policy.apiServerOptions(), redisUrl, tls, port });
 *   await manager.add(policy.runnable);
 */
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import { join } from 'node:path';
import type { AdmissionPlugin, Authenticator, Authorizer } from '../controlplane/api/admission.js';
import type { ReviewEndpoints } from '../controlplane/api/handler.js';
import type { UserInfo } from '../controlplane/api/request.js';
import type { Client } from '../controlplane/client/client.js';
import { Informer } from '../controlplane/client/informer.js';
import { ref, refs } from '../controlplane/client/refs.js';
import type { KubeObject } from '../controlplane/resources/types.js';
import type { Runnable } from '../controlplane/runtime/runnable.js';
import { ServiceAccountTokens } from './authn/serviceaccount-tokens.js';
import { loadTokensFile } from './authn/tokens-file.js';
import { TokenAuthenticator, unionAuthenticator } from './authn/tokens.js';
import { aggregationChanges } from './rbac/aggregation.js';
import { MASTERS_GROUP, RbacAuthorizer } from './rbac/authorizer.js';
import { ensureBootstrapPolicy } from './rbac/bootstrap.js';
import { escalationPlugin } from './rbac/escalation.js';
import { RbacIndex } from './rbac/rbac-index.js';
import { Reviews } from './reviews.js';

export interface PolicyOptions {
  /** the API as the API server itself (system:masters); called once, when the runnable starts */
  client: () => Client;
  /** keeps the ServiceAccount signing key in <dataDir>/pki; without it the key lives in memory */
  dataDir?: string;
  /** kube-apiserver `--token-auth-file` format: token,user,uid,"group1,group2" */
  tokensFile?: string;
  /** tokens known without a file (the admin token `berth up` writes) */
  staticTokens?: Record<string, UserInfo>;
  /** let requests without credentials in as system:anonymous */
  allowAnonymous?: boolean;
  log?: (line: string) => void;
}

export interface Policy {
  authenticator: Authenticator;
  authorizer: Authorizer;
  admission: AdmissionPlugin[];
  reviews: ReviewEndpoints;
  tokens: ServiceAccountTokens;
  rbac: RbacIndex;
  /** the options to spread into startApiServer */
  apiServerOptions(): { authenticator: Authenticator; authorizer: Authorizer; admission: AdmissionPlugin[]; reviews: ReviewEndpoints; allowAnonymous: boolean };
  /** keeps the caches, bootstraps default roles, aggregates cluster roles */
  runnable: Runnable;
}

const RBAC = 'rbac.authorization.k8s.io/v1';

/** Feeds an informer's objects into set/delete callbacks. */
function feed<T extends KubeObject>(inf: Informer<T>, set: (o: T) => void, del: (o: T) => void): void {
  inf.on({ onAdd: set, onUpdate: (_old, o) => set(o), onDelete: del });
}

export async function createPolicy(opts: PolicyOptions): Promise<Policy> {
  const log = opts.log ?? (() => {});
  const index = new RbacIndex();
  const rbac = new RbacAuthorizer(index);
  const tokens = await ServiceAccountTokens.create(opts.dataDir ? join(opts.dataDir, 'pki') : undefined);
  const staticTokens = { ...(opts.staticTokens ?? {}), ...(opts.tokensFile ? loadTokensFile(opts.tokensFile) : {}) };
  const authenticator = unionAuthenticator([new TokenAuthenticator(staticTokens), tokens]);
  const authorizer: Authorizer = rbac;

  let client: Client | undefined;
  let serviceAccounts: Informer | undefined;
  tokens.setLookup((ns, name) => {
    if (!serviceAccounts?.synced) return undefined;
    return serviceAccounts.get(`${ns}/${name}`)?.metadata?.uid;
  });

  const rulesFor = (user: UserInfo, namespace: string) => {
    if (user.groups.includes(MASTERS_GROUP)) return { rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false };
    return { rules: index.rulesFor(user, namespace), incomplete: false };
  };
  const reviews = new Reviews({
    authenticator,
    authorizer,
    rules: rulesFor,
    tokens,
    async serviceAccountUid(namespace, name) {
      const cached = serviceAccounts?.get(`${namespace}/${name}`);
      if (cached) return cached.metadata?.uid;
      return (await client?.find(refs.serviceaccounts, name, namespace))?.metadata?.uid;
    },
  });
  const admission: AdmissionPlugin[] = [escalationPlugin(index, rbac)];

  const informers: Informer<KubeObject>[] = [];
  let aggregating: Promise<void> | undefined;
  let again = false;
  /** Writes aggregated rules until nothing changes (chains settle in a few rounds). */
  const aggregate = async (c: Client): Promise<void> => {
    for (let round = 0; round < 10; round++) {
      const all = (await c.list<ClusterRole>(ref(RBAC, 'ClusterRole'))).items;
      const changes = aggregationChanges(all);
      if (changes.length === 0) return;
      for (const { role, rules } of changes) await c.update(ref(RBAC, 'ClusterRole'), { ...role, rules } as unknown as KubeObject);
    }
  };
  const scheduleAggregation = (c: Client) => {
    if (aggregating) {
      again = true;
      return;
    }
    aggregating = aggregate(c)
      .catch((e) => log(`policy: aggregating cluster roles failed: ${(e as Error).message}`))
      .finally(() => {
        aggregating = undefined;
        if (again) {
          again = false;
          scheduleAggregation(c);
        }
      });
  };

  const runnable: Runnable = {
    name: 'policy',
    async start(signal) {
      const c = (client = opts.client());
      const clusterRoles = new Informer<ClusterRole & KubeObject>(c, ref(RBAC, 'ClusterRole'), { log });
      const roles = new Informer<Role & KubeObject>(c, ref(RBAC, 'Role'), { log });
      const crbs = new Informer<ClusterRoleBinding & KubeObject>(c, ref(RBAC, 'ClusterRoleBinding'), { log });
      const rbs = new Informer<RoleBinding & KubeObject>(c, ref(RBAC, 'RoleBinding'), { log });
      serviceAccounts = new Informer(c, refs.serviceaccounts, { log });
      feed(clusterRoles, (o) => index.setClusterRole(o), (o) => index.deleteClusterRole(o));
      feed(roles, (o) => index.setRole(o), (o) => index.deleteRole(o));
      feed(crbs, (o) => index.setClusterRoleBinding(o), (o) => index.deleteClusterRoleBinding(o));
      feed(rbs, (o) => index.setRoleBinding(o), (o) => index.deleteRoleBinding(o));
      informers.push(clusterRoles, roles, crbs, rbs, serviceAccounts);
      await Promise.all(informers.map((i) => i.start(signal)));
      await ensureBootstrapPolicy(c);
      await aggregate(c);
      clusterRoles.on({ onAdd: () => scheduleAggregation(c), onUpdate: (a, b) => a !== b && scheduleAggregation(c), onDelete: () => scheduleAggregation(c) });
    },
    async stopped() {
      await Promise.all(informers.map((i) => i.stopped()));
      await aggregating;
    },
  };

  return {
    authenticator,
    authorizer,
    admission,
    reviews,
    tokens,
    rbac: index,
    apiServerOptions: () => ({ authenticator, authorizer, admission, reviews, allowAnonymous: opts.allowAnonymous ?? false }),
    runnable,
  };
}
