/**
 * Defaults of the cluster-level kinds: RBAC binding groups, PriorityClass preemption, StorageClass
 * policies, EndpointSlice ports, admission webhooks and policies (failure and match policies,
 * selectors, timeouts, rule scope). Idempotent.
 */
import { ensureObject, isObject, objects, setDefault, type JsonObject } from '../object.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** RoleBinding and ClusterRoleBinding: roleRef and subjects get their API group. */
export function defaultBinding(obj: JsonObject): void {
  if (isObject(obj.roleRef) && !obj.roleRef.apiGroup) obj.roleRef.apiGroup = RBAC_GROUP;
  for (const s of objects(obj.subjects)) {
    if (s.apiGroup) continue;
    if (s.kind === 'ServiceAccount') s.apiGroup = '';
    else if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC_GROUP;
  }
}

export function defaultPriorityClass(obj: JsonObject): void {
  setDefault(obj, 'preemptionPolicy', 'PreemptLowerPriority');
}

export function defaultStorageClass(obj: JsonObject): void {
  setDefault(obj, 'reclaimPolicy', 'Delete');
  setDefault(obj, 'volumeBindingMode', 'Immediate');
}

export function defaultEndpointSlice(obj: JsonObject): void {
  for (const p of objects(obj.ports)) {
    setDefault(p, 'protocol', 'TCP');
    setDefault(p, 'name', '');
  }
}

function defaultRules(rules: unknown): void {
  for (const r of objects(rules)) setDefault(r, 'scope', '*');
}

function defaultWebhook(w: JsonObject, mutating: boolean): void {
  setDefault(w, 'failurePolicy', 'Fail');
  setDefault(w, 'matchPolicy', 'Equivalent');
  setDefault(w, 'namespaceSelector', {});
  setDefault(w, 'objectSelector', {});
  setDefault(w, 'timeoutSeconds', 10);
  if (mutating) setDefault(w, 'reinvocationPolicy', 'Never');
  defaultRules(w.rules);
  if (isObject(w.clientConfig) && isObject(w.clientConfig.service)) setDefault(w.clientConfig.service, 'port', 443);
}

export function defaultValidatingWebhookConfiguration(obj: JsonObject): void {
  for (const w of objects(obj.webhooks)) defaultWebhook(w, false);
}

export function defaultMutatingWebhookConfiguration(obj: JsonObject): void {
  for (const w of objects(obj.webhooks)) defaultWebhook(w, true);
}

/** ValidatingAdmissionPolicy and MutatingAdmissionPolicy specs. */
export function defaultAdmissionPolicy(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  setDefault(spec, 'failurePolicy', 'Fail');
  if (isObject(spec.matchConstraints)) {
    const mc = spec.matchConstraints;
    setDefault(mc, 'matchPolicy', 'Equivalent');
    setDefault(mc, 'namespaceSelector', {});
    setDefault(mc, 'objectSelector', {});
    defaultRules(mc.resourceRules);
    defaultRules(mc.excludeResourceRules);
  }
}
