/**
 * Tables of the non-core API groups other than workloads (printLease, printPodDisruptionBudget,
 * printRole/Binding, the admission printers, printPriorityClass, printStorageClass,
 * printEndpointSlice) and of our berth.dev kinds (Application: sync and health status, revision;
 * PreviewSet: repository, active previews, readiness).
 */
import type { ValidatingWebhookConfiguration } from 'kubernetes-types/admissionregistration/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { ClusterRoleBinding, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { isObject } from '../object.js';
import type { KubeObject, TablePrinter } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, ageOf, column, nameOf, wide } from './columns.js';

export const leasePrinter: TablePrinter = {
  columns: [NAME_COLUMN, column('Holder', 'holderIdentity contains the identity of the holder of a current lease.'), AGE_COLUMN],
  cells: (obj, now) => [nameOf(obj), (obj as unknown as Lease).spec?.holderIdentity ?? '', ageOf(obj, now)],
};

export const podDisruptionBudgetPrinter: TablePrinter = {
  columns: [
    NAME_COLUMN,
    column('Min Available', 'The minimum number of pods that must be available simultaneously.'),
    column('Max Unavailable', 'The maximum number of pods that may be unavailable simultaneously.'),
    column('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', { type: 'integer' }),
    AGE_COLUMN,
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const pdb = obj as unknown as PodDisruptionBudget;
    const text = (v: string | number | undefined): string => (v === undefined || v === null ? 'N/A' : String(v));
    return [nameOf(obj), text(pdb.spec?.minAvailable), text(pdb.spec?.maxUnavailable), pdb.status?.disruptionsAllowed ?? 0, ageOf(obj, now)];
  },
};

/** Roles and ClusterRoles print when they were created. */
export const rolePrinter: TablePrinter = {
  columns: [NAME_COLUMN, column('Created At', 'CreationTimestamp is a timestamp representing the server time when this object was created.', { type: 'date' })],
  cells: (obj) => [nameOf(obj), obj.metadata?.creationTimestamp ?? ''],
};

function subjectsOf(b: RoleBinding | ClusterRoleBinding, kind: string): string {
  return (b.subjects ?? [])
    .filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name))
    .join(', ');
}

export const roleBindingPrinter: TablePrinter = {
  columns: [
    NAME_COLUMN,
    column('Role', 'Role references a role in the current namespace or a ClusterRole in the cluster.'),
    AGE_COLUMN,
    wide('Users', 'Users in the roleBinding'),
    wide('Groups', 'Groups in the roleBinding'),
    wide('ServiceAccounts', 'ServiceAccounts in the roleBinding'),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const b = obj as unknown as RoleBinding;
    return [nameOf(obj), `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`, ageOf(obj, now), subjectsOf(b, 'User'), subjectsOf(b, 'Group'), subjectsOf(b, 'ServiceAccount')];
  },
};

export const webhookConfigurationPrinter: TablePrinter = {
  columns: [NAME_COLUMN, column('Webhooks', 'Webhooks indicates the number of webhooks in the configuration', { type: 'integer' }), AGE_COLUMN],
  cells: (obj, now) => [nameOf(obj), ((obj as unknown as ValidatingWebhookConfiguration).webhooks ?? []).length, ageOf(obj, now)],
};

function specField(obj: KubeObject, ...path: string[]): unknown {
  let v: unknown = obj.spec;
  for (const p of path) v = isObject(v) ? v[p] : undefined;
  return v;
}

function paramKind(obj: KubeObject): string {
  const pk = specField(obj, 'paramKind');
  return isObject(pk) ? `${String(pk.apiVersion ?? '')}/${String(pk.kind ?? '')}` : '<unset>';
}

function paramRef(obj: KubeObject): string {
  const ref = specField(obj, 'paramRef');
  if (!isObject(ref)) return '<unset>';
  if (typeof ref.name === 'string' && ref.name) return ref.namespace ? `${String(ref.namespace)}/${ref.name}` : `*/${ref.name}`;
  return isObject(ref.selector) ? JSON.stringify(ref.selector) : '<unset>';
}

/** ValidatingAdmissionPolicy (`list` = validations) and MutatingAdmissionPolicy (`mutations`). */
export function admissionPolicyPrinter(list: 'validations' | 'mutations'): TablePrinter {
  const title = list === 'validations' ? 'Validations' : 'Mutations';
  return {
    columns: [
      NAME_COLUMN,
      column(title, `${title} indicates the number of ${list} rules`, { type: 'integer' }),
      column('ParamKind', 'ParamKind specifies the kind of resources used to parameterize this policy'),
      AGE_COLUMN,
    ],
    cells(obj: KubeObject, now: number): unknown[] {
      const rules = specField(obj, list);
      return [nameOf(obj), Array.isArray(rules) ? rules.length : 0, paramKind(obj), ageOf(obj, now)];
    },
  };
}

export const admissionPolicyBindingPrinter: TablePrinter = {
  columns: [
    NAME_COLUMN,
    column('PolicyName', 'PolicyName indicates the policy definition which the policy binding binded to'),
    column('ParamRef', 'ParamRef indicates the param resource which sets the configration param'),
    AGE_COLUMN,
  ],
  cells: (obj, now) => [nameOf(obj), String(specField(obj, 'policyName') ?? ''), paramRef(obj), ageOf(obj, now)],
};

export const priorityClassPrinter: TablePrinter = {
  columns: [
    NAME_COLUMN,
    column('Value', 'The integer value of this priority class.', { type: 'integer' }),
    column('Global-Default', 'globalDefault specifies whether this PriorityClass should be considered as the default priority.', { type: 'boolean' }),
    AGE_COLUMN,
    column('PreemptionPolicy', 'PreemptionPolicy is the Policy for preempting pods with lower priority.'),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const pc = obj as unknown as PriorityClass;
    return [nameOf(obj), pc.value ?? 0, pc.globalDefault ?? false, ageOf(obj, now), pc.preemptionPolicy ?? ''];
  },
};

export const storageClassPrinter: TablePrinter = {
  columns: [
    NAME_COLUMN,
    column('Provisioner', 'Indicates the type of the provisioner.'),
    column('ReclaimPolicy', 'Dynamically provisioned PersistentVolumes of this storage class are created with this reclaimPolicy.'),
    column('VolumeBindingMode', 'VolumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
    column('AllowVolumeExpansion', 'AllowVolumeExpansion shows whether the storage class allow volume expand.'),
    AGE_COLUMN,
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const sc = obj as unknown as StorageClass;
    const isDefault = sc.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true' || sc.metadata?.annotations?.['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
    return [
      isDefault ? `${nameOf(obj)} (default)` : nameOf(obj),
      sc.provisioner ?? '',
      sc.reclaimPolicy ?? 'Delete',
      sc.volumeBindingMode ?? 'Immediate',
      sc.allowVolumeExpansion ?? false,
      ageOf(obj, now),
    ];
  },
};

export const endpointSlicePrinter: TablePrinter = {
  columns: [
    NAME_COLUMN,
    column('AddressType', 'The IP protocol for this slice'),
    column('Ports', 'The ports for this slice'),
    column('Endpoints', 'The endpoints for this slice'),
    AGE_COLUMN,
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const es = obj as unknown as EndpointSlice;
    const ports = (es.ports ?? []).map((p) => (p.port === undefined || p.port === null ? '<unset>' : String(p.port)));
    const addresses = (es.endpoints ?? []).flatMap((e) => e.addresses ?? []);
    let endpoints = addresses.slice(0, 3).join(',');
    if (addresses.length > 3) endpoints += ` + ${addresses.length - 3} more...`;
    return [nameOf(obj), es.addressType ?? '', ports.length ? ports.join(',') : '<unset>', endpoints || '<unset>', ageOf(obj, now)];
  },
};

function statusField(obj: KubeObject, ...path: string[]): string {
  let v: unknown = obj.status;
  for (const p of path) v = isObject(v) ? v[p] : undefined;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

/** berth.dev Application: Argo CD-like SYNC STATUS, HEALTH STATUS and the synced REVISION. */
export const applicationPrinter: TablePrinter = {
  columns: [
    NAME_COLUMN,
    column('Sync Status', 'Whether the cluster matches the manifests at the tracked revision (Synced, OutOfSync, Unknown).'),
    column('Health Status', 'Aggregated health of the resources the application deploys (Healthy, Progressing, Degraded, Missing, Unknown).'),
    column('Revision', 'The Git commit last synced.'),
    AGE_COLUMN,
    wide('Message', 'The latest sync or health message.'),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const revision = statusField(obj, 'sync', 'revision');
    return [
      nameOf(obj),
      statusField(obj, 'sync', 'status') || 'Unknown',
      statusField(obj, 'health', 'status') || 'Unknown',
      revision.length > 12 ? revision.slice(0, 12) : revision,
      ageOf(obj, now),
      statusField(obj, 'health', 'message') || statusField(obj, 'sync', 'message'),
    ];
  },
};

/** berth.dev PreviewSet: the repository, how many previews are up, and whether all is well. */
export const previewSetPrinter: TablePrinter = {
  columns: [
    NAME_COLUMN,
    column('Repo', 'The repository whose refs get previews.'),
    column('Previews', 'How many previews are active (expired ones are not counted).', { type: 'integer' }),
    column('Ready', 'Whether every preview is set up and the repository could be read (the Ready condition).'),
    AGE_COLUMN,
    wide('Message', "The Ready condition's message."),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const spec = isObject(obj.spec) ? obj.spec : {};
    const source = isObject(spec.source) ? spec.source : {};
    const status = isObject(obj.status) ? obj.status : {};
    const previews = Array.isArray(status.previews) ? status.previews : [];
    const ready = (Array.isArray(status.conditions) ? status.conditions : []).find((c) => isObject(c) && c.type === 'Ready') as Record<string, unknown> | undefined;
    return [
      nameOf(obj),
      typeof source.repoURL === 'string' ? source.repoURL : '',
      previews.filter((p) => isObject(p) && p.phase === 'Active').length,
      typeof ready?.status === 'string' ? ready.status : 'Unknown',
      ageOf(obj, now),
      typeof ready?.message === 'string' ? ready.message : '',
    ];
  },
};
