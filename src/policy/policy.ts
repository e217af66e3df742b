/**
 * Assembles the policy engine for an API server: authentication (static tokens, the tokens file,
 * ServiceAccount JWTs), authorization (RBAC, with AccessPolicy deny/allow on top), admission (RBAC
 * escalation checks, built-in plugins, CEL admission policies, LimitRanger, PodSecurity, ResourceQuota) and the review endpoints, all fed by
 * informers on the API itself. One runnable keeps the caches, bootstraps the default roles,
 * aggregates cluster roles and writes each ValidatingAdmissionPolicy's status (type checking).
 *
 * Wiring (berth up, berth apiserver, tests):
 *   const policy = await createPolicy({ client: (user) => api.client(user), dataDir, tokensFile, staticTokens });
 *   const api = await startApiServer({ ...policy.apiServerOptions(), redisUrl, tls, port });
 *   await manager.add(policy.runnable);
 */
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import type { AdmissionPlugin, Authenticator, Authorizer } from '../controlplane/api/admission.js';
import type { ReviewEndpoints } from '../controlplane/api/handler.js';
import type { UserInfo } from '../controlplane/api/request.js';
import type { Client } from '../controlplane/client/client.js';
import { Informer } from '../controlplane/client/informer.js';
import { ref, refs } from '../controlplane/client/refs.js';
import type { KubeObject, ResourceType } from '../controlplane/resources/types.js';
import type { Runnable } from '../controlplane/runtime/runnable.js';
import { ServiceAccountTokens } from './authn/serviceaccount-tokens.js';
import { loadTokensFile } from './authn/tokens-file.js';
import { TokenAuthenticator, unionAuthenticator } from './authn/tokens.js';
import { aggregationChanges } from './rbac/aggregation.js';
import { MASTERS_GROUP, RbacAuthorizer } from './rbac/authorizer.js';
import { ensureBootstrapPolicy } from './rbac/bootstrap.js';
import { nodeRestrictionPlugin } from './admission/node-restriction.js';
import { escalationPlugin } from './rbac/escalation.js';
import { RbacIndex } from './rbac/rbac-index.js';
import { Reviews } from './reviews.js';
import { AccessAuthorizer, accessPolicyPlugin } from './access/access-policy.js';
import type { PolicyStore } from './admission/policy-store.js';
import { validatingPolicyPlugin, type AuditEvent } from './admission/validating-policy.js';
import { mutatingPolicyPlugin } from './admission/mutating-policy.js';
import { statusUpdate } from './admission/policy-status.js';
import type { ValidatingAdmissionPolicy } from 'kubernetes-types/admissionregistration/v1.js';
import { StatusError } from '../controlplane/api/errors.js';
import { alwaysPullImagesPlugin, defaultTolerationSecondsPlugin, serviceAccountPlugin, type DefaultTolerations } from './admission/builtin.js';
import { resourceQuotaPlugin } from './admission/resource-quota.js';
import { limitRangerPlugin } from './admission/limit-ranger.js';
import { podSecurityPlugin } from './admission/pod-security.js';
import { selectorMatches } from '../controlplane/resources/selectors.js';
import { registry } from '../controlplane/resources/registry.js';
import { refOf } from '../controlplane/client/refs.js';

export interface PolicyOptions {
  /**
   * An in-process client of the API acting as `user` (RunningApiServer.client); called when the
   * runnable starts, with POLICY_USER.
   */
  client: (user: UserInfo) => Client;
  /** keeps the ServiceAccount signing key in <dataDir>/pki; without it the key lives in memory */
  dataDir?: string;
  /** kube-apiserver `--token-auth-file` format: token,user,uid,"group1,group2" */
  tokensFile?: string;
  /** tokens known without a file (the admin token `berth up` writes) */
  staticTokens?: Record<string, UserInfo>;
  /** let requests without credentials in as system:anonymous */
  allowAnonymous?: boolean;
  log?: (line: string) => void;
  /** the DefaultTolerationSeconds admission's tolerationSeconds (kube-apiserver flags; default 300 each) */
  defaultTolerations?: DefaultTolerations;
  /** AlwaysPullImages is opt-in, as in Kubernetes */
  alwaysPullImages?: boolean;
  /** receives ValidatingAdmissionPolicy failures of bindings with the Audit action */
  audit?: (e: AuditEvent) => void;
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

/**
 * The policy engine's own identity for its caches and lookups: a superuser that AccessPolicy rules
 * do not apply to (its reads serve authorization itself, which must not recurse).
 */
export const POLICY_USER: UserInfo = { username: 'system:berth-policy', groups: [MASTERS_GROUP, 'system:authenticated'] };

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
  let client: Client | undefined;
  const informers: Informer<KubeObject>[] = [];
  const cached: Record<string, Informer> = {};
  const store: PolicyStore = {
    list: (kind) => cached[kind]?.list() ?? [],
    get: (kind, name) => cached[kind]?.get(name),
    namespace: (name) => cached.Namespace?.get(name),
    async params(apiVersion, kind, namespace, name, selector) {
      const type = registry.findKind(apiVersion, kind);
      if (!type) return [];
      const inf = await paramInformer(type);
      if (!inf) return [];
      const ns = type.namespaced ? namespace : undefined;
      if (name) {
        const o = inf.get(ns ? `${ns}/${name}` : name);
        return o ? [o] : [];
      }
      return inf.list((o) => (!ns || o.metadata?.namespace === ns) && (!selector || selectorMatches(selector, o.metadata?.labels)));
    },
  };
  // Parameter objects come from an informer per paramKind, started on first use, as kube-apiserver
  // does: no API call per admission (a param written a moment ago may not be seen yet).
  let runSignal: AbortSignal | undefined;
  const paramInformers = new Map<string, Promise<Informer | undefined>>();
  const paramInformer = (type: ResourceType): Promise<Informer | undefined> => {
    const key = `${type.group}/${type.version}/${type.resource}`;
    let p = paramInformers.get(key);
    if (!p) {
      if (!client || !runSignal) return Promise.resolve(undefined);
      const inf = new Informer(client, refOf(type), { log });
      informers.push(inf);
      p = inf.start(runSignal).then(() => inf);
      paramInformers.set(key, p);
    }
    return p;
  };
  const authorizer: Authorizer = new AccessAuthorizer({
    store,
    rbac,
    exempt: POLICY_USER.username,
    async getObject(a) {
      // reviews may leave the version out: take the served one
      const type = a.version ? registry.find(a.group ?? '', a.version, a.resource ?? '') : registry.all().find((t) => t.group === (a.group ?? '') && t.resource === a.resource);
      if (!type || !client || !a.name) return undefined;
      return client.find(refOf(type), a.name, type.namespaced ? a.namespace : undefined);
    },
  });

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
  /** The cached objects of a namespaced kind in `ns`; undefined until that cache has synced. */
  const cachedIn = (kind: string, ns: string) => (cached[kind]?.synced ? cached[kind].list((o) => o.metadata?.namespace === ns) : undefined);
  // mutate hooks run first (built-ins, then MutatingAdmissionPolicy), validate hooks after schema validation
  const admission: AdmissionPlugin[] = [
    serviceAccountPlugin({ serviceAccount: (ns, name) => (serviceAccounts?.synced ? serviceAccounts.get(`${ns}/${name}`) : undefined) as { automountServiceAccountToken?: boolean } | undefined }),
    defaultTolerationSecondsPlugin(opts.defaultTolerations),
    limitRangerPlugin({ client: () => (client ??= opts.client(POLICY_USER)), cachedRanges: (ns) => cachedIn('LimitRange', ns) }),
    ...(opts.alwaysPullImages ? [alwaysPullImagesPlugin] : []),
    mutatingPolicyPlugin({ store }),
    accessPolicyPlugin({ store, rbac }),
    escalationPlugin(index, rbac),
    nodeRestrictionPlugin(),
    podSecurityPlugin({ client: () => (client ??= opts.client(POLICY_USER)), cachedNamespace: (name) => store.namespace(name), audit: opts.audit }),
    validatingPolicyPlugin({ store, audit: opts.audit }),
    // last: a request another plugin refuses is never charged to a quota
    resourceQuotaPlugin({
      client: () => (client ??= opts.client(POLICY_USER)),
      cachedQuotas: (ns) => cachedIn('ResourceQuota', ns),
    }),
  ];

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
      runSignal = signal;
      const c = (client = opts.client(POLICY_USER));
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
      const kinds: [string, string][] = [
        ['v1', 'Namespace'],
        ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy'],
        ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding'],
        ['admissionregistration.k8s.io/v1beta1', 'MutatingAdmissionPolicy'],
        ['admissionregistration.k8s.io/v1beta1', 'MutatingAdmissionPolicyBinding'],
        ['berth.dev/v1alpha1', 'AccessPolicy'],
        ['v1', 'ResourceQuota'],
        ['v1', 'LimitRange'],
      ];
      for (const [apiVersion, kind] of kinds) informers.push((cached[kind] = new Informer(c, ref(apiVersion, kind), { log })));
      // every informer listens for the one abort
      setMaxListeners(0, signal);
      await Promise.all(informers.map((i) => i.start(signal)));
      await ensureBootstrapPolicy(c);
      await aggregate(c);
      clusterRoles.on({ onAdd: () => scheduleAggregation(c), onUpdate: (a, b) => a !== b && scheduleAggregation(c), onDelete: () => scheduleAggregation(c) });
      // status.observedGeneration, typeChecking and the Ready condition of each ValidatingAdmissionPolicy
      const writeStatus = (p: KubeObject) => {
        const status = statusUpdate(p as ValidatingAdmissionPolicy, new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
        if (!status) return;
        c.updateStatus(ref('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy'), { ...p, status } as KubeObject).catch((e: unknown) => {
          // a newer version is on its way through the informer, which retries with it
          if (!(e instanceof StatusError && (e.reason === 'Conflict' || e.reason === 'NotFound'))) log(`policy: writing the status of ValidatingAdmissionPolicy ${p.metadata?.name}: ${(e as Error).message}`);
        });
      };
      cached.ValidatingAdmissionPolicy.on({ onAdd: writeStatus, onUpdate: (_old, p) => writeStatus(p) });
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
