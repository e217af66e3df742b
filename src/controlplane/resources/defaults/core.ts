/**
 * Defaults of core/v1 kinds other than pods and controllers (SetDefaults_Service, _Namespace,
 * _Secret with stringData folded into data, _PersistentVolume(Claim), _Endpoints, _NodeStatus, _LimitRangeItem), plus the
 * Namespace `kubernetes` finalizer the namespace strategy adds. Idempotent.
 */
import { ensureObject, isObject, objects, setDefault, type JsonObject } from '../object.js';

export function defaultService(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const clientIP = ensureObject(ensureObject(spec, 'sessionAffinityConfig'), 'clientIP');
    setDefault(clientIP, 'timeoutSeconds', 10800);
  }
  setDefault(spec, 'type', 'ClusterIP');
  for (const p of objects(spec.ports)) {
    setDefault(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  const externalIPs = Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0;
  const external = spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && externalIPs);
  if (external) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
}

/**
 * The name label, Active phase, and the `kubernetes` finalizer — the latter only while the namespace
 * is not being deleted, since finalizing it empties the list for good.
 */
export function defaultNamespace(obj: JsonObject): void {
  const meta = ensureObject(obj, 'metadata');
  if (typeof meta.name === 'string' && meta.name) ensureObject(meta, 'labels')['kubernetes.io/metadata.name'] = meta.name;
  if (!meta.deletionTimestamp) setDefault(ensureObject(obj, 'spec'), 'finalizers', ['kubernetes']);
  setDefault(ensureObject(obj, 'status'), 'phase', 'Active');
}

/**
 * `stringData` is write-only: its keys are folded into `data` (base64), winning over the same key
 * there, and the field dropped — Kubernetes does it converting v1 to its internal version.
 */
export function defaultSecret(obj: JsonObject): void {
  setDefault(obj, 'type', 'Opaque');
  if (isObject(obj.stringData)) {
    const data = ensureObject(obj, 'data');
    for (const [k, v] of Object.entries(obj.stringData)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
  }
  delete obj.stringData;
}

export function defaultPersistentVolumeClaim(obj: JsonObject): void {
  setDefault(ensureObject(obj, 'spec'), 'volumeMode', 'Filesystem');
  setDefault(ensureObject(obj, 'status'), 'phase', 'Pending');
}

export function defaultPersistentVolume(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  setDefault(spec, 'volumeMode', 'Filesystem');
  setDefault(ensureObject(obj, 'status'), 'phase', 'Pending');
}

export function defaultEndpoints(obj: JsonObject): void {
  for (const subset of objects(obj.subsets)) for (const p of objects(subset.ports)) setDefault(p, 'protocol', 'TCP');
}

/** A node's allocatable resources are its capacity until the kubelet says otherwise. */
export function defaultNode(obj: JsonObject): void {
  const status = isObject(obj.status) ? obj.status : undefined;
  if (status && isObject(status.capacity)) setDefault(status, 'allocatable', { ...status.capacity });
}

/** Container limit ranges: default limit from max, default request from the limit, then from min. */
export function defaultLimitRange(obj: JsonObject): void {
  const spec = isObject(obj.spec) ? obj.spec : undefined;
  for (const item of objects(spec?.limits)) {
    if (item.type !== 'Container') continue;
    const def = ensureObject(item, 'default');
    const req = ensureObject(item, 'defaultRequest');
    for (const [k, v] of Object.entries(isObject(item.max) ? item.max : {})) setDefault(def, k, v);
    for (const [k, v] of Object.entries(def)) setDefault(req, k, v);
    for (const [k, v] of Object.entries(isObject(item.min) ? item.min : {})) setDefault(req, k, v);
  }
}
