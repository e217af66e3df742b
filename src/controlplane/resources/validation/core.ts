/**
 * Semantic checks of core/v1 kinds other than pods and controllers: Service ports and types,
 * ConfigMap and Secret keys (and secret types' required keys), immutable ConfigMaps/Secrets,
 * Namespace finalizers, PersistentVolume(Claim) access modes and sizes, Node taints and resources.
 */
import type { ConfigMap, Namespace, Node, PersistentVolume, PersistentVolumeClaim, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { StatusCause } from '../../api/errors.js';
import { jsonEqual } from '../object.js';
import { child, duplicate, forbidden, index, invalid, key, notSupported, required, tooLong } from './field.js';
import { validateLabels } from './metadata.js';
import { isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, isValidPortName, isValidPortNum } from './names.js';
import { parseAmount } from '../quantities.js';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const MAX_CONFIG_BYTES = 1024 * 1024;
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateService(svc: Service): StatusCause[] {
  const spec = svc.spec ?? {};
  const causes: StatusCause[] = [];
  const type = spec.type ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(type)) causes.push(notSupported('spec.type', type, SERVICE_TYPES));
  const ports = spec.ports ?? [];
  const headless = spec.clusterIP === 'None';
  if (type === 'ExternalName') {
    if (!spec.externalName) causes.push(required('spec.externalName'));
    else for (const msg of isDNS1123Subdomain(spec.externalName.replace(/\.$/, ''))) causes.push(invalid('spec.externalName', spec.externalName, msg));
  } else if (ports.length === 0 && !headless) {
    causes.push(required('spec.ports'));
  }
  const names = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p, i) => {
    const pp = index('spec.ports', i);
    if (!p.name) {
      if (ports.length > 1) causes.push(required(child(pp, 'name')));
    } else {
      for (const msg of isDNS1123Label(p.name)) causes.push(invalid(child(pp, 'name'), p.name, msg));
      if (names.has(p.name)) causes.push(duplicate(child(pp, 'name'), p.name));
      names.add(p.name);
    }
    for (const msg of isValidPortNum(p.port)) causes.push(invalid(child(pp, 'port'), p.port, msg));
    const protocol = p.protocol ?? 'TCP';
    if (!PROTOCOLS.includes(protocol)) causes.push(notSupported(child(pp, 'protocol'), protocol, PROTOCOLS));
    const tp = p.targetPort;
    if (typeof tp === 'number') for (const msg of isValidPortNum(tp)) causes.push(invalid(child(pp, 'targetPort'), tp, msg));
    if (typeof tp === 'string') for (const msg of isValidPortName(tp)) causes.push(invalid(child(pp, 'targetPort'), tp, msg));
    if (p.nodePort && type === 'ClusterIP') causes.push(forbidden(child(pp, 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    const k = `${p.port}/${protocol}`;
    if (keys.has(k)) causes.push(duplicate(pp, { port: p.port, protocol }));
    keys.add(k);
  });
  if (spec.sessionAffinity !== undefined && spec.sessionAffinity !== 'None' && spec.sessionAffinity !== 'ClientIP') {
    causes.push(notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']));
  }
  causes.push(...validateLabels(spec.selector, 'spec.selector'));
  return causes;
}

/** ConfigMap and Secret keys: valid config keys, not in both maps, total size within 1 MiB. */
function validateDataKeys(maps: Array<{ field: string; data: Record<string, string> | undefined }>): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Map<string, string>();
  let size = 0;
  for (const { field, data } of maps) {
    for (const [k, v] of Object.entries(data ?? {})) {
      for (const msg of isConfigMapKey(k)) causes.push(invalid(key(field, k), k, msg));
      const other = seen.get(k);
      if (other) causes.push(invalid(key(field, k), k, `duplicate of key present in ${other}`));
      seen.set(k, field);
      size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
    }
  }
  if (size > MAX_CONFIG_BYTES) causes.push(tooLong('', MAX_CONFIG_BYTES));
  return causes;
}

export function validateConfigMap(cm: ConfigMap): StatusCause[] {
  return validateDataKeys([
    { field: 'data', data: cm.data },
    { field: 'binaryData', data: cm.binaryData },
  ]);
}

/** Keys each well-known secret type must carry. */
const SECRET_TYPE_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

export function validateSecret(secret: Secret): StatusCause[] {
  const causes = validateDataKeys([{ field: 'data', data: secret.data }]);
  const data = secret.data ?? {};
  for (const k of SECRET_TYPE_KEYS[secret.type ?? ''] ?? []) if (data[k] === undefined) causes.push(required(key('data', k)));
  if (secret.type === 'kubernetes.io/service-account-token' && !secret.metadata?.annotations?.['kubernetes.io/service-account.name']) {
    causes.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  if (secret.type === 'kubernetes.io/basic-auth' && data.username === undefined && data.password === undefined) {
    causes.push(required(key('data', 'username')));
  }
  return causes;
}

/** ConfigMaps and Secrets marked immutable keep their data; `immutable` cannot be unset. */
export function validateImmutableData(obj: ConfigMap | Secret, old: ConfigMap | Secret): StatusCause[] {
  if (!old.immutable) return [];
  const causes: StatusCause[] = [];
  if (!obj.immutable) causes.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  const fields = 'binaryData' in old || 'binaryData' in obj ? ['data', 'binaryData'] : ['data'];
  for (const f of fields) {
    if (!jsonEqual((obj as Record<string, unknown>)[f], (old as Record<string, unknown>)[f])) causes.push(forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return causes;
}

export function validateNamespace(ns: Namespace): StatusCause[] {
  const causes: StatusCause[] = [];
  (ns.spec?.finalizers ?? []).forEach((f, i) => {
    const path = index('spec.finalizers', i);
    for (const msg of isQualifiedName(f)) causes.push(invalid(path, f, msg));
    if (!f.includes('/') && f !== 'kubernetes') causes.push(invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified'));
  });
  return causes;
}

function validateAccessModes(modes: string[] | undefined, path: string): StatusCause[] {
  if (!modes || modes.length === 0) return [required(path, 'at least 1 access mode is required')];
  return modes.filter((m) => !ACCESS_MODES.includes(m)).map((m) => notSupported(path, m, ACCESS_MODES));
}

export function validatePersistentVolumeClaim(pvc: PersistentVolumeClaim): StatusCause[] {
  const spec = pvc.spec ?? {};
  const causes = spec.dataSource || spec.dataSourceRef ? [] : validateAccessModes(spec.accessModes, 'spec.accessModes');
  if (spec.resources?.requests?.storage === undefined) causes.push(required(key('spec.resources', 'storage')));
  return causes;
}

export function validatePersistentVolume(pv: PersistentVolume): StatusCause[] {
  const spec = (pv.spec ?? {}) as Record<string, unknown> & NonNullable<PersistentVolume['spec']>;
  const causes = validateAccessModes(spec.accessModes, 'spec.accessModes');
  if (spec.capacity?.storage === undefined) causes.push(required('spec.capacity'));
  const plain = new Set(['accessModes', 'capacity', 'claimRef', 'mountOptions', 'nodeAffinity', 'persistentVolumeReclaimPolicy', 'storageClassName', 'volumeMode', 'volumeAttributesClassName']);
  const sources = Object.keys(spec).filter((k) => !plain.has(k) && spec[k] !== null && typeof spec[k] === 'object');
  if (sources.length === 0) causes.push(required('spec', 'must specify a volume type'));
  for (const extra of sources.slice(1)) causes.push(forbidden(child('spec', extra), 'may not specify more than 1 volume type'));
  return causes;
}

/**
 * Whether a resource is counted in whole units (apimachinery's IsIntegerResourceName, for what a
 * Node reports): pods, and extended resources (a domain-prefixed name outside kubernetes.io).
 */
function isIntegerResource(name: string): boolean {
  if (name === 'pods') return true;
  const slash = name.indexOf('/');
  if (slash < 0 || name.startsWith('requests.')) return false;
  const domain = name.slice(0, slash);
  return domain !== 'kubernetes.io' && !domain.endsWith('.kubernetes.io');
}

/**
 * ValidateNode's checks of what an agent registers: taints (key a qualified name, value a label
 * value, a known effect, unique by key and effect) and capacity/allocatable quantities (≥ 0, whole
 * numbers for integer resources). Without them a Node could claim `cpu: -2` or `pods: 2.5`, which the
 * scheduler then counts with.
 */
export function validateNode(node: Node): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  (node.spec?.taints ?? []).forEach((t, i) => {
    const path = index('spec.taints', i);
    if (!t.key) causes.push(required(child(path, 'key')));
    else for (const msg of isQualifiedName(t.key)) causes.push(invalid(child(path, 'key'), t.key, msg));
    if (t.value) for (const msg of isValidLabelValue(t.value)) causes.push(invalid(child(path, 'value'), t.value, msg));
    if (!t.effect) causes.push(required(child(path, 'effect')));
    else if (!TAINT_EFFECTS.includes(t.effect)) causes.push(notSupported(child(path, 'effect'), t.effect, TAINT_EFFECTS));
    const id = `${t.key}\0${t.effect}`;
    if (seen.has(id)) {
      const dup = duplicate(path, t);
      causes.push({ ...dup, message: `${dup.message}: taints must be unique by key and effect pair` });
    }
    seen.add(id);
  });
  for (const list of ['capacity', 'allocatable'] as const) {
    for (const [name, q] of Object.entries(node.status?.[list] ?? {})) {
      const path = key(`status.${list}`, name);
      let nano: bigint;
      try {
        nano = parseAmount(q).nano;
      } catch {
        continue; // the schema check reports a malformed quantity
      }
      if (nano < 0n) causes.push(invalid(path, q, 'must be greater than or equal to 0'));
      else if (isIntegerResource(name) && nano % 1_000_000_000n !== 0n) causes.push(invalid(path, q, 'must be an integer'));
    }
  }
  return causes;
}
