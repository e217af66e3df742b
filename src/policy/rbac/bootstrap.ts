/**
 * The default cluster roles and bindings every cluster starts with (Kubernetes' bootstrappolicy):
 * cluster-admin, the aggregated admin/edit/view, the discovery and self-review roles every user
 * needs, and the least-privilege roles of berth's own components. Created at start when missing,
 * and brought back to these rules when they carry `rbac.authorization.kubernetes.io/autoupdate: "true"`.
 */
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from 'kubernetes-types/rbac/v1.js';
import { NODE_LEASE_NAMESPACE } from '../admission/node-restriction.js';
import { StatusError } from '../../controlplane/api/errors.js';
import type { Client } from '../../controlplane/client/client.js';
import { ref } from '../../controlplane/client/refs.js';
import type { KubeObject } from '../../controlplane/resources/types.js';

const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate';
const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AGG = 'rbac.authorization.k8s.io/aggregate-to-';

/** The identities berth's components run as. */
export const COMPONENT_USERS = {
  controllerManager: 'system:kube-controller-manager',
  scheduler: 'system:kube-scheduler',
  /** node agents are `system:node:<name>` in group system:nodes */
  nodesGroup: 'system:nodes',
  sync: 'system:berth-sync',
  /** the node lifecycle controller, as in kube-controller-manager's per-controller service accounts */
  nodeController: 'system:serviceaccount:kube-system:node-controller',
  /** the Service proxy (kube-proxy's identity) */
  proxy: 'system:kube-proxy',
} as const;

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const ALL_RW = [...READ, ...WRITE];

const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule => ({ verbs, apiGroups, resources, ...(resourceNames ? { resourceNames } : {}) });
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

function clusterRole(name: string, rules: PolicyRule[], extra: Partial<ClusterRole> = {}, labels: Record<string, string> = {}): ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS, ...labels }, annotations: { [AUTOUPDATE]: 'true' } },
    rules,
    ...extra,
  };
}

function aggregated(name: string, label: string, extraLabels: Record<string, string> = {}): ClusterRole {
  return clusterRole(name, [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [`${AGG}${label}`]: 'true' } }] } }, extraLabels);
}

function binding(name: string, role: string, subjects: Subject[]): ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...BOOTSTRAP_LABELS }, annotations: { [AUTOUPDATE]: 'true' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects,
  };
}

const group = (name: string): Subject => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name });
const user = (name: string): Subject => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });

/** What namespaced users read with `view` (Kubernetes' system:aggregate-to-view). */
const VIEW_RULES: PolicyRule[] = [
  rule(READ, [''], ['pods', 'pods/log', 'pods/status', 'configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'replicationcontrollers', 'replicationcontrollers/scale', 'replicationcontrollers/status', 'serviceaccounts', 'services', 'services/status', 'bindings', 'events', 'limitranges', 'namespaces/status', 'resourcequotas', 'resourcequotas/status']),
  rule(READ, [''], ['namespaces']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
  rule(READ, ['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status']),
  rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
  rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
  rule(READ, ['berth.dev'], ['applications', 'applications/status', 'previewsets', 'previewsets/status']),
];

/** What `edit` adds: writes to workloads, secrets, exec/attach (Kubernetes' system:aggregate-to-edit). */
const EDIT_RULES: PolicyRule[] = [
  rule(['impersonate'], [''], ['serviceaccounts']),
  rule(ALL_RW, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
  rule(['create'], [''], ['pods/eviction', 'serviceaccounts/token']),
  rule(ALL_RW, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy']),
  rule(ALL_RW, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale']),
  rule(ALL_RW, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(ALL_RW, ['batch'], ['cronjobs', 'jobs']),
  rule(ALL_RW, ['policy'], ['poddisruptionbudgets']),
  rule(ALL_RW, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
  rule(ALL_RW, ['discovery.k8s.io'], ['endpointslices']),
  rule(ALL_RW, ['coordination.k8s.io'], ['leases']),
  rule(ALL_RW, ['berth.dev'], ['applications', 'previewsets']),
];

/** What `admin` adds: roles and bindings in the namespace (Kubernetes' system:aggregate-to-admin). */
const ADMIN_RULES: PolicyRule[] = [
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
  rule(ALL_RW, ['rbac.authorization.k8s.io'], ['rolebindings', 'roles']),
];

/** The cluster roles bootstrapped at start. */
export function bootstrapClusterRoles(): ClusterRole[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
    aggregated('admin', 'admin'),
    aggregated('edit', 'edit', { [`${AGG}admin`]: 'true' }),
    aggregated('view', 'view', { [`${AGG}edit`]: 'true' }),
    clusterRole('system:aggregate-to-admin', ADMIN_RULES, {}, { [`${AGG}admin`]: 'true' }),
    clusterRole('system:aggregate-to-edit', EDIT_RULES, {}, { [`${AGG}edit`]: 'true' }),
    clusterRole('system:aggregate-to-view', VIEW_RULES, {}, { [`${AGG}view`]: 'true' }),
    // as metrics-server installs it: view, edit and admin read the Metrics API (`kubectl top`)
    clusterRole('system:aggregated-metrics-reader', [rule(['get', 'list'], ['metrics.k8s.io'], ['nodes', 'pods'])], {}, { [`${AGG}view`]: 'true', [`${AGG}edit`]: 'true', [`${AGG}admin`]: 'true' }),
    clusterRole('system:basic-user', [
      rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    ]),
    clusterRole('system:discovery', [urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])]),
    clusterRole('system:public-info-viewer', [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])]),
    // the controllers reconcile every kind, garbage-collect and empty namespaces of anything: they
    // read and write all resources, but may not escalate, bind or impersonate
    clusterRole('system:kube-controller-manager', [
      rule(ALL_RW, ['*'], ['*']),
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    ]),
    clusterRole('system:kube-scheduler', [
      rule(READ, [''], ['pods', 'nodes', 'namespaces', 'persistentvolumeclaims', 'persistentvolumes', 'services', 'replicationcontrollers']),
      rule(['create'], [''], ['pods/binding', 'bindings']),
      rule(['patch', 'update'], [''], ['pods/status']),
      // VolumeBinding writes the selected-node annotation on WaitForFirstConsumer claims
      rule(['patch', 'update'], [''], ['persistentvolumeclaims']),
      rule(['delete'], [''], ['pods']),
      rule(READ, ['apps'], ['replicasets', 'statefulsets']),
      rule(READ, ['policy'], ['poddisruptionbudgets']),
      rule(READ, ['scheduling.k8s.io'], ['priorityclasses']),
      rule(READ, ['storage.k8s.io'], ['storageclasses', 'csinodes', 'csidrivers', 'csistoragecapacities']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
      rule(['create', 'get', 'update'], ['coordination.k8s.io'], ['leases']),
    ]),
    clusterRole('system:node', [
      rule(READ, [''], ['pods', 'nodes', 'services', 'endpoints', 'configmaps', 'secrets', 'persistentvolumeclaims', 'persistentvolumes', 'namespaces']),
      rule(['create', 'delete'], [''], ['pods']),
      rule(['create'], [''], ['pods/eviction', 'serviceaccounts/token']),
      rule(['patch', 'update'], [''], ['pods/status', 'nodes/status']),
      rule(['create', 'patch', 'update'], [''], ['nodes']),
      // berth's local provisioner: the agent removes a deleted local volume's directory, then its finalizer
      rule(['patch', 'update'], [''], ['persistentvolumes']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(['create', 'delete', 'get', 'patch', 'update'], ['coordination.k8s.io'], ['leases']),
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews', 'localsubjectaccessreviews']),
    ]),
    // Kubernetes' system:controller:node-controller: watches nodes and their leases, marks nodes
    // unreachable (status, taints) and evicts their pods
    clusterRole('system:controller:node-controller', [
      rule([...READ, 'delete', 'patch', 'update'], [''], ['nodes']),
      rule(['patch', 'update'], [''], ['nodes/status']),
      rule([...READ, 'delete'], [''], ['pods']),
      rule(['patch', 'update'], [''], ['pods/status']),
      rule(['create'], [''], ['pods/eviction']),
      rule(READ, ['coordination.k8s.io'], ['leases']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    ]),
    // Kubernetes' system:node-proxier, plus patching Services: the proxy records the host ports it
    // serves each Service on in an annotation of the Service
    clusterRole('system:node-proxier', [
      rule(READ, [''], ['services', 'endpoints', 'nodes', 'pods']),
      rule(['patch', 'update'], [''], ['services']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    ]),
  ];
}

/** The cluster role bindings bootstrapped at start. */
export function bootstrapClusterRoleBindings(): ClusterRoleBinding[] {
  return [
    binding('cluster-admin', 'cluster-admin', [group('system:masters')]),
    binding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
    binding('system:discovery', 'system:discovery', [group('system:authenticated')]),
    binding('system:public-info-viewer', 'system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
    binding('system:kube-controller-manager', 'system:kube-controller-manager', [user(COMPONENT_USERS.controllerManager)]),
    binding('system:kube-scheduler', 'system:kube-scheduler', [user(COMPONENT_USERS.scheduler)]),
    binding('system:node', 'system:node', [group(COMPONENT_USERS.nodesGroup)]),
    binding('system:controller:node-controller', 'system:controller:node-controller', [user(COMPONENT_USERS.nodeController)]),
    binding('system:node-proxier', 'system:node-proxier', [user(COMPONENT_USERS.proxy)]),
    // sync applies whatever the repository holds, roles and bindings included
    binding('system:berth-sync', 'cluster-admin', [user(COMPONENT_USERS.sync)]),
  ];
}

/**
 * The namespaced roles and bindings bootstrapped at start. Node agents publish their key as Secret
 * `berth-agent-<node>` in kube-node-lease (remote agents: `berth agent`); the role lets the nodes
 * write Secrets there and nowhere else, and the NodeRestriction admission plugin keeps each node to
 * its own Secret, which RBAC cannot express.
 */
export function bootstrapRoles(): Role[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'system:berth:node-agent-keys', namespace: NODE_LEASE_NAMESPACE, labels: { ...BOOTSTRAP_LABELS }, annotations: { [AUTOUPDATE]: 'true' } },
      rules: [rule(['create', 'get', 'patch', 'update'], [''], ['secrets'])],
    },
  ];
}

export function bootstrapRoleBindings(): RoleBinding[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'system:berth:node-agent-keys', namespace: NODE_LEASE_NAMESPACE, labels: { ...BOOTSTRAP_LABELS }, annotations: { [AUTOUPDATE]: 'true' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'system:berth:node-agent-keys' },
      subjects: [group(COMPONENT_USERS.nodesGroup)],
    },
  ];
}

/**
 * Creates the bootstrap roles and bindings that are missing, and resets those marked autoupdate
 * whose rules or subjects drifted. Aggregated roles keep the rules the aggregation controller wrote.
 */
export async function ensureBootstrapPolicy(client: Client): Promise<void> {
  const rbac = 'rbac.authorization.k8s.io/v1';
  type Bootstrapped = ClusterRole | ClusterRoleBinding | Role | RoleBinding;
  const sync = async <T extends Bootstrapped>(r: ReturnType<typeof ref>, want: T, same: (a: T, b: T) => boolean) => {
    const have = await client.find<T>(r, want.metadata!.name!, want.metadata?.namespace);
    if (!have) {
      try {
        await client.create(r, want as unknown as KubeObject);
      } catch (e) {
        if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
      }
      return;
    }
    if (have.metadata?.annotations?.[AUTOUPDATE] !== 'true' || same(have, want)) return;
    await client.update(r, { ...want, metadata: { ...have.metadata, labels: { ...have.metadata?.labels, ...want.metadata?.labels } } } as unknown as KubeObject);
  };
  const sameRules = (a: ClusterRole | Role, b: ClusterRole | Role) =>
    'aggregationRule' in b && b.aggregationRule ? JSON.stringify((a as ClusterRole).aggregationRule) === JSON.stringify(b.aggregationRule) : JSON.stringify(a.rules ?? []) === JSON.stringify(b.rules);
  const sameBinding = (x: ClusterRoleBinding | RoleBinding, y: ClusterRoleBinding | RoleBinding) => JSON.stringify(x.subjects) === JSON.stringify(y.subjects) && x.roleRef.name === y.roleRef.name;
  for (const r of bootstrapClusterRoles()) await sync(ref(rbac, 'ClusterRole'), r, sameRules);
  for (const b of bootstrapClusterRoleBindings()) await sync(ref(rbac, 'ClusterRoleBinding'), b, sameBinding);
  // the namespaces of namespaced roles are the system namespaces the API server creates at start
  for (const r of bootstrapRoles()) await sync(ref(rbac, 'Role'), r, sameRules);
  for (const b of bootstrapRoleBindings()) await sync(ref(rbac, 'RoleBinding'), b, sameBinding);
}
