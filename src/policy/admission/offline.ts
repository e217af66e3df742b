/**
 * Runs admission policies on objects without a server (the policies/ library's tests, and the
 * offline `berth policy test` / `berth policy eval` tools): the same plugins the API server runs,
 * over policies, bindings, namespaces and params held in memory.
 */
import type { UserInfo } from '../../controlplane/api/request.js';
import { StatusError } from '../../controlplane/api/errors.js';
import { registry } from '../../controlplane/resources/registry.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import { mutatingPolicyPlugin } from './mutating-policy.js';
import type { PolicyStore } from './policy-store.js';
import { validatingPolicyPlugin, type AuditEvent } from './validating-policy.js';
import { selectorMatches } from '../../controlplane/resources/selectors.js';

export interface Verdict {
  allowed: boolean;
  /** the denial's message */
  message?: string;
  warnings: string[];
  /** the object after mutating policies */
  object: KubeObject;
}

/** A PolicyStore over objects in memory (policies, bindings, namespaces, params). */
export function memoryStore(objects: KubeObject[]): PolicyStore {
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  return {
    list: (kind) => byKind(kind),
    get: (kind, name) => byKind(kind).find((o) => o.metadata?.name === name),
    namespace: (name) => byKind('Namespace').find((o) => o.metadata?.name === name),
    async params(apiVersion, kind, namespace, name, selector) {
      return objects.filter(
        (o) => o.apiVersion === apiVersion && o.kind === kind && (!namespace || o.metadata?.namespace === namespace) && (name ? o.metadata?.name === name : !selector || selectorMatches(selector, o.metadata?.labels)),
      );
    },
  };
}

const OFFLINE_USER: UserInfo = { username: 'berth-policy-test', groups: ['system:authenticated'] };

/**
 * Admits `object` (a CREATE, or an UPDATE from `oldObject`) through the mutating then validating
 * policies. `audit` receives every violation of a binding with the Audit action (dropped by default).
 */
export async function admit(store: PolicyStore, input: KubeObject, oldObject?: KubeObject, user: UserInfo = OFFLINE_USER, audit: (e: AuditEvent) => void = () => {}): Promise<Verdict> {
  const type = registry.findKind(input.apiVersion ?? '', input.kind ?? '');
  if (!type) throw new Error(`berth does not serve ${input.apiVersion} ${input.kind}`);
  const object = structuredClone(input);
  const attrs = {
    operation: oldObject ? ('UPDATE' as const) : ('CREATE' as const),
    type,
    namespace: type.namespaced ? (object.metadata?.namespace ?? 'default') : '',
    name: object.metadata?.name ?? '',
    object,
    oldObject,
    user,
    dryRun: true,
    warnings: [] as string[],
  };
  try {
    await mutatingPolicyPlugin({ store }).mutate!(attrs);
    await validatingPolicyPlugin({ store, audit }).validate!(attrs);
    return { allowed: true, warnings: attrs.warnings, object };
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    return { allowed: false, message: e.message, warnings: attrs.warnings, object };
  }
}
