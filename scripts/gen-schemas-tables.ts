/**
 * The hand-written half of the schema generator: which kinds we serve (and under which
 * @kubernetes/client-node model), and what client-node's models lose from Kubernetes' published
 * OpenAPI — the struct tags that drive strategic merge patch and server-side apply
 * (`patchStrategy`, `patchMergeKey`, `+listType`, `+listMapKey`, `+mapType`/`+structType`), which
 * strings are resource quantities, and our own berth.dev kinds. Transcribed from
 * kubernetes/api `<group>/v1/types.go` (release-1.32).
 */

/** A kind we publish, with the client-node model that describes it. */
export interface RootKind {
  group: string;
  version: string;
  kind: string;
  model: string;
  /** also publish `<model>List` with kind `<kind>List` */
  list: boolean;
}

const root = (group: string, version: string, kind: string, model = `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`, list = true): RootKind => ({ group, version, kind, model, list });

export const ROOT_KINDS: RootKind[] = [
  root('', 'v1', 'Namespace'),
  root('', 'v1', 'Pod'),
  root('', 'v1', 'Service'),
  root('', 'v1', 'Endpoints'),
  root('', 'v1', 'ConfigMap'),
  root('', 'v1', 'Secret'),
  root('', 'v1', 'ServiceAccount'),
  root('', 'v1', 'Node'),
  root('', 'v1', 'Event', 'CoreV1Event'),
  root('', 'v1', 'ReplicationController'),
  root('', 'v1', 'PersistentVolume'),
  root('', 'v1', 'PersistentVolumeClaim'),
  root('', 'v1', 'ResourceQuota'),
  root('', 'v1', 'LimitRange'),
  root('', 'v1', 'Binding', 'V1Binding', false),
  root('', 'v1', 'Status', 'V1Status', false),
  root('', 'v1', 'DeleteOptions', 'V1DeleteOptions', false),
  root('apps', 'v1', 'Deployment'),
  root('apps', 'v1', 'ReplicaSet'),
  root('apps', 'v1', 'DaemonSet'),
  root('apps', 'v1', 'StatefulSet'),
  root('apps', 'v1', 'ControllerRevision'),
  root('batch', 'v1', 'Job'),
  root('batch', 'v1', 'CronJob'),
  root('coordination.k8s.io', 'v1', 'Lease'),
  root('policy', 'v1', 'PodDisruptionBudget'),
  root('policy', 'v1', 'Eviction', 'V1Eviction', false),
  root('rbac.authorization.k8s.io', 'v1', 'Role'),
  root('rbac.authorization.k8s.io', 'v1', 'ClusterRole'),
  root('rbac.authorization.k8s.io', 'v1', 'RoleBinding'),
  root('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding'),
  root('admissionregistration.k8s.io', 'v1', 'ValidatingAdmissionPolicy'),
  root('admissionregistration.k8s.io', 'v1', 'ValidatingAdmissionPolicyBinding'),
  root('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration'),
  root('admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration'),
  root('admissionregistration.k8s.io', 'v1beta1', 'MutatingAdmissionPolicy'),
  root('admissionregistration.k8s.io', 'v1beta1', 'MutatingAdmissionPolicyBinding'),
  root('scheduling.k8s.io', 'v1', 'PriorityClass'),
  root('events.k8s.io', 'v1', 'Event', 'EventsV1Event'),
  root('discovery.k8s.io', 'v1', 'EndpointSlice'),
  root('storage.k8s.io', 'v1', 'StorageClass'),
  root('autoscaling', 'v1', 'Scale', 'V1Scale', false),
  root('authentication.k8s.io', 'v1', 'TokenRequest', 'AuthenticationV1TokenRequest', false),
];

/** Vendor extensions of one field (the `x-kubernetes-*` keys of Kubernetes' OpenAPI). */
export type FieldExtensions = Record<string, string | string[]>;

/** `patchStrategy:"merge" patchMergeKey:"<key>"` + `+listType=map +listMapKey=<keys>`. */
function mergeMap(mergeKey: string, mapKeys: string[] = [mergeKey], strategy = 'merge'): FieldExtensions {
  return {
    'x-kubernetes-patch-merge-key': mergeKey,
    'x-kubernetes-patch-strategy': strategy,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': mapKeys,
  };
}
/** `+listType=map +listMapKey=<keys>` without a patch strategy (SMP replaces the list). */
const mapList = (...keys: string[]): FieldExtensions => ({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys });
const atomic: FieldExtensions = { 'x-kubernetes-list-type': 'atomic' };
const set: FieldExtensions = { 'x-kubernetes-list-type': 'set' };
const mergeSet: FieldExtensions = { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' };
const atomicMap: FieldExtensions = { 'x-kubernetes-map-type': 'atomic' };
const retainKeys: FieldExtensions = { 'x-kubernetes-patch-strategy': 'retainKeys' };
/** conditions keyed by type: the shape of almost every `status.conditions` */
export const CONDITIONS = mergeMap('type');

const containerLists: Record<string, FieldExtensions> = {
  args: atomic,
  command: atomic,
  env: mergeMap('name'),
  envFrom: atomic,
  ports: mergeMap('containerPort', ['containerPort', 'protocol']),
  resizePolicy: atomic,
  restartPolicyRules: atomic,
  volumeDevices: mergeMap('devicePath'),
  volumeMounts: mergeMap('mountPath'),
};

const webhookLists: Record<string, FieldExtensions> = {
  admissionReviewVersions: atomic,
  matchConditions: mergeMap('name'),
  rules: atomic,
};

/**
 * Field extensions by model and JSON field name. Status `conditions` arrays that are not listed
 * here get CONDITIONS (see gen-schemas.ts); JobStatus is the exception Kubernetes makes.
 */
export const FIELD_EXTENSIONS: Record<string, Record<string, FieldExtensions>> = {
  V1ObjectMeta: {
    finalizers: mergeSet,
    ownerReferences: mergeMap('uid'),
    managedFields: atomic,
  },
  V1PodSpec: {
    containers: mergeMap('name'),
    initContainers: mergeMap('name'),
    ephemeralContainers: mergeMap('name'),
    volumes: mergeMap('name', ['name'], 'merge,retainKeys'),
    imagePullSecrets: mergeMap('name'),
    hostAliases: mergeMap('ip'),
    tolerations: atomic,
    topologySpreadConstraints: mergeMap('topologyKey', ['topologyKey', 'whenUnsatisfiable']),
    readinessGates: atomic,
    resourceClaims: mergeMap('name', ['name'], 'merge,retainKeys'),
    schedulingGates: mergeMap('name'),
    nodeSelector: atomicMap,
  },
  V1Container: containerLists,
  V1EphemeralContainer: containerLists,
  V1HostAlias: { hostnames: atomic },
  V1PodStatus: {
    conditions: CONDITIONS,
    podIPs: mergeMap('ip'),
    hostIPs: mergeMap('ip'),
    initContainerStatuses: atomic,
    containerStatuses: atomic,
    ephemeralContainerStatuses: atomic,
    resourceClaimStatuses: mergeMap('name', ['name'], 'merge,retainKeys'),
  },
  V1PodSecurityContext: { supplementalGroups: atomic, sysctls: atomic },
  V1Capabilities: { add: atomic, drop: atomic },
  V1TopologySpreadConstraint: { matchLabelKeys: atomic },
  V1PodAffinityTerm: { namespaces: atomic, matchLabelKeys: atomic, mismatchLabelKeys: atomic },
  V1PodAffinity: { requiredDuringSchedulingIgnoredDuringExecution: atomic, preferredDuringSchedulingIgnoredDuringExecution: atomic },
  V1PodAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: atomic, preferredDuringSchedulingIgnoredDuringExecution: atomic },
  V1NodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: atomic },
  V1NodeSelector: { nodeSelectorTerms: atomic },
  V1NodeSelectorTerm: { matchExpressions: atomic, matchFields: atomic },
  V1NodeSelectorRequirement: { values: atomic },
  V1LabelSelector: { matchExpressions: atomic },
  V1LabelSelectorRequirement: { values: atomic },
  V1ExecAction: { command: atomic },
  V1HTTPGetAction: { httpHeaders: atomic },
  V1PodDNSConfig: { nameservers: atomic, options: atomic, searches: atomic },
  V1ConfigMapVolumeSource: { items: atomic },
  V1SecretVolumeSource: { items: atomic },
  V1ConfigMapProjection: { items: atomic },
  V1SecretProjection: { items: atomic },
  V1ProjectedVolumeSource: { sources: atomic },
  V1DownwardAPIVolumeSource: { items: atomic },
  V1DownwardAPIProjection: { items: atomic },
  V1ServiceSpec: {
    ports: mergeMap('port', ['port', 'protocol']),
    selector: atomicMap,
    clusterIPs: atomic,
    externalIPs: atomic,
    loadBalancerSourceRanges: atomic,
    ipFamilies: atomic,
  },
  V1ServiceStatus: { conditions: CONDITIONS },
  V1LoadBalancerStatus: { ingress: atomic },
  V1LoadBalancerIngress: { ports: atomic },
  V1Endpoints: { subsets: atomic },
  V1EndpointSubset: { addresses: atomic, notReadyAddresses: atomic, ports: atomic },
  V1EndpointSlice: { endpoints: atomic, ports: atomic },
  V1Endpoint: { addresses: set },
  V1EndpointHints: { forZones: atomic, forNodes: atomic },
  V1ServiceAccount: { secrets: mergeMap('name'), imagePullSecrets: atomic },
  V1NodeSpec: { podCIDRs: mergeSet, taints: atomic },
  V1NodeStatus: {
    conditions: CONDITIONS,
    addresses: mergeMap('type'),
    images: atomic,
    volumesInUse: atomic,
    volumesAttached: atomic,
    runtimeHandlers: atomic,
  },
  V1ContainerImage: { names: atomic },
  V1NamespaceSpec: { finalizers: atomic },
  V1NamespaceStatus: { conditions: CONDITIONS },
  V1PersistentVolumeSpec: { accessModes: atomic, mountOptions: atomic },
  V1PersistentVolumeClaimSpec: { accessModes: atomic },
  V1PersistentVolumeClaimStatus: { conditions: CONDITIONS, accessModes: atomic },
  V1ReplicationControllerSpec: { selector: atomicMap },
  V1ReplicationControllerStatus: { conditions: CONDITIONS },
  V1ResourceQuotaSpec: { scopes: atomic },
  V1ScopeSelector: { matchExpressions: atomic },
  V1ScopedResourceSelectorRequirement: { values: atomic },
  V1LimitRangeSpec: { limits: atomic },
  V1DeploymentSpec: { strategy: retainKeys },
  V1DeploymentStatus: { conditions: CONDITIONS },
  V1ReplicaSetStatus: { conditions: CONDITIONS },
  V1DaemonSetStatus: { conditions: CONDITIONS },
  V1StatefulSetSpec: { volumeClaimTemplates: atomic },
  V1StatefulSetStatus: { conditions: CONDITIONS },
  V1JobStatus: { conditions: { 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'atomic' } },
  V1PodFailurePolicy: { rules: atomic },
  V1PodFailurePolicyRule: { onPodConditions: atomic },
  V1PodFailurePolicyOnExitCodesRequirement: { values: set },
  V1SuccessPolicy: { rules: atomic },
  V1CronJobStatus: { active: atomic },
  V1PodDisruptionBudgetStatus: { conditions: CONDITIONS },
  V1Role: { rules: atomic },
  V1ClusterRole: { rules: atomic },
  V1AggregationRule: { clusterRoleSelectors: atomic },
  V1RoleBinding: { subjects: atomic },
  V1ClusterRoleBinding: { subjects: atomic },
  V1PolicyRule: { verbs: atomic, apiGroups: atomic, resources: atomic, resourceNames: atomic, nonResourceURLs: atomic },
  V1ValidatingWebhookConfiguration: { webhooks: mergeMap('name') },
  V1MutatingWebhookConfiguration: { webhooks: mergeMap('name') },
  V1ValidatingWebhook: webhookLists,
  V1MutatingWebhook: webhookLists,
  V1RuleWithOperations: { apiGroups: atomic, apiVersions: atomic, operations: atomic, resources: atomic },
  V1NamedRuleWithOperations: { apiGroups: atomic, apiVersions: atomic, operations: atomic, resources: atomic, resourceNames: atomic },
  V1beta1NamedRuleWithOperations: { apiGroups: atomic, apiVersions: atomic, operations: atomic, resources: atomic, resourceNames: atomic },
  V1MatchResources: { resourceRules: atomic, excludeResourceRules: atomic },
  V1beta1MatchResources: { resourceRules: atomic, excludeResourceRules: atomic },
  V1ValidatingAdmissionPolicySpec: { validations: atomic, auditAnnotations: atomic, matchConditions: mergeMap('name'), variables: atomic },
  V1ValidatingAdmissionPolicyStatus: { conditions: mapList('type') },
  V1ValidatingAdmissionPolicyBindingSpec: { validationActions: set },
  V1beta1MutatingAdmissionPolicySpec: { mutations: atomic, matchConditions: mergeMap('name'), variables: atomic },
  V1StorageClass: { mountOptions: atomic, allowedTopologies: atomic },
  V1TopologySelectorTerm: { matchLabelExpressions: atomic },
  V1TopologySelectorLabelRequirement: { values: atomic },
  V1TokenRequestSpec: { audiences: atomic },
};

/** Whole structs SSA treats as one value (`+structType=atomic` → `x-kubernetes-map-type: atomic`). */
export const ATOMIC_STRUCTS = [
  'V1LabelSelector',
  'V1ObjectReference',
  'V1LocalObjectReference',
  'V1ConfigMapKeySelector',
  'V1SecretKeySelector',
  'V1ObjectFieldSelector',
  'V1ResourceFieldSelector',
  'V1NodeSelector',
  'V1NodeSelectorTerm',
  'V1TopologySelectorTerm',
  'V1TypedLocalObjectReference',
  'V1SecretReference',
  'V1ConfigMapEnvSource',
  'V1SecretEnvSource',
  'V1MatchResources',
  'V1beta1MatchResources',
  'V1ParamKind',
  'V1beta1ParamKind',
  'V1ParamRef',
  'V1beta1ParamRef',
];

/**
 * Fields whose strings are `resource.Quantity` (client-node types them as plain strings). `*`
 * after a name means a map of quantities. Kubernetes publishes Quantity as `oneOf` string/number.
 */
export const QUANTITY_FIELDS: Record<string, string[]> = {
  V1ResourceRequirements: ['limits*', 'requests*'],
  V1VolumeResourceRequirements: ['limits*', 'requests*'],
  V1ResourceQuotaSpec: ['hard*'],
  V1ResourceQuotaStatus: ['hard*', 'used*'],
  V1LimitRangeItem: ['default*', 'defaultRequest*', 'max*', 'maxLimitRequestRatio*', 'min*'],
  V1NodeStatus: ['allocatable*', 'capacity*'],
  V1PersistentVolumeSpec: ['capacity*'],
  V1PersistentVolumeClaimStatus: ['allocatedResources*', 'capacity*'],
  V1ContainerStatus: ['allocatedResources*'],
  V1PodStatus: ['allocatedResources*'],
  V1NodeAllocatableResourceClaimStatus: ['resources*'],
  V1PodSpec: ['overhead*'],
  V1EmptyDirVolumeSource: ['sizeLimit'],
  V1ResourceFieldSelector: ['divisor'],
};

/** Our own kinds (group berth.dev): hand-written and permissive, like a CRD with an open schema. */
export const BERTH_KINDS: Array<{ kind: string; description: string }> = [
  { kind: 'Application', description: 'Application deploys the manifests found at a path of a Git repository into the cluster and keeps them in sync.' },
  { kind: 'PreviewSet', description: 'PreviewSet creates a preview environment of an Application for each open pull request.' },
  { kind: 'AccessPolicy', description: 'AccessPolicy says which users and groups may change which Applications and namespaces.' },
];
export const BERTH_GROUP = 'berth.dev';
export const BERTH_VERSION = 'v1alpha1';
