/**
 * AccessPolicy (berth.dev/v1alpha1): authorization rules in CEL on top of RBAC, which has neither
 * deny nor conditions. Each rule has an effect (Allow or Deny) and a condition over `request`
 * (user, uid, groups, verb, apiGroup, resource, subresource, namespace, name, path), `object` /
 * `oldObject` and `namespaceObject`. A Deny wins over every Allow, RBAC's included; an Allow adds
 * to RBAC. Decided at authorization (so `kubectl auth can-i` sees it; `object` is the stored object
 * of a named request) and again at admission for creates and updates, where `object` is the
 * object being written. A denial names the policy and the rule.
 */
import type { AdmissionPlugin, AuthorizationAttributes, AuthorizationDecision, Authorizer } from '../../controlplane/api/admission.js';
import { errors } from '../../controlplane/api/errors.js';
import type { StatusCause } from '../../controlplane/api/errors.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import type { PolicyStore } from '../admission/policy-store.js';
import { CelCompileError, compile, toCel } from '../cel/cel.js';
import { CelCostError } from '../cel/cost-meter.js';

export const ACCESS_VARIABLES = ['request', 'object', 'oldObject', 'namespaceObject'] as const;

export interface AccessRule {
  name: string;
  effect: 'Allow' | 'Deny';
  condition: string;
  /** shown with a denial */
  message?: string;
}

interface AccessPolicy extends KubeObject {
  spec?: { rules?: AccessRule[] };
}

/** A decision that may say "denied explicitly" (SubjectAccessReview's status.denied). */
export type AccessDecision = AuthorizationDecision & { denied?: boolean };

/** Verbs whose request names one stored object, which `object` then is. */
const OBJECT_VERBS = new Set(['get', 'update', 'patch', 'delete']);

/** The `request` variable. */
export function accessRequest(a: AuthorizationAttributes): Record<string, unknown> {
  return {
    user: a.user.username,
    uid: a.user.uid ?? '',
    groups: a.user.groups,
    verb: a.verb,
    apiGroup: a.group ?? '',
    resource: a.resource ?? '',
    subresource: a.subresource ?? '',
    namespace: a.namespace ?? '',
    name: a.name ?? '',
    path: a.path ?? '',
  };
}

/** true / false, or 'undecided' when the condition reads an object that is not known yet (a create). */
type Verdict = boolean | 'undecided';

function evaluateRule(rule: AccessRule, vars: Record<string, unknown>, objectPending: boolean): Verdict {
  let c;
  try {
    c = compile(rule.condition, ACCESS_VARIABLES);
  } catch {
    return false;
  }
  if (objectPending && (c.uses.has('object') || c.uses.has('oldObject'))) return 'undecided';
  try {
    return c.evaluate(vars) === true;
  } catch (e) {
    // a condition cut off by the cost limit fails closed: a Deny rule denies, an Allow rule does not allow
    if (e instanceof CelCostError) return rule.effect === 'Deny';
    return false;
  }
}

function ruleRef(p: AccessPolicy, r: AccessRule): string {
  return `AccessPolicy "${p.metadata?.name}" rule "${r.name}"${r.message ? `: ${r.message}` : ''}`;
}

/** Compile errors in an AccessPolicy's rules, as 422 causes. */
export function accessPolicyErrors(p: AccessPolicy): StatusCause[] {
  const causes: StatusCause[] = [];
  (p.spec?.rules ?? []).forEach((r, i) => {
    if (r.effect !== 'Allow' && r.effect !== 'Deny') causes.push({ field: `spec.rules[${i}].effect`, reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(r.effect)}: supported values: "Allow", "Deny"` });
    if (!r.name) causes.push({ field: `spec.rules[${i}].name`, reason: 'FieldValueRequired', message: 'Required value' });
    try {
      compile(r.condition ?? '', ACCESS_VARIABLES);
    } catch (e) {
      if (!(e instanceof CelCompileError)) throw e;
      causes.push({ field: `spec.rules[${i}].condition`, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(r.condition)}: compilation failed: ${e.message}` });
    }
  });
  return causes;
}

export interface AccessOptions {
  store: PolicyStore;
  rbac: Authorizer;
  /** a user AccessPolicies do not apply to (the policy engine's own reads) */
  exempt?: string;
  /** the stored object a named request addresses */
  getObject(a: AuthorizationAttributes): Promise<KubeObject | undefined>;
}

/** The authorizer: AccessPolicy Deny, then RBAC, then AccessPolicy Allow. */
export class AccessAuthorizer implements Authorizer {
  constructor(private readonly opts: AccessOptions) {}

  async authorize(a: AuthorizationAttributes): Promise<AccessDecision> {
    const policies = this.opts.store.list('AccessPolicy') as AccessPolicy[];
    if (policies.length === 0 || a.user.username === this.opts.exempt) return this.opts.rbac.authorize(a);
    const vars = await this.variables(a, policies);
    const pending = a.verb === 'create';
    for (const p of policies) {
      for (const r of p.spec?.rules ?? []) {
        if (r.effect === 'Deny' && evaluateRule(r, vars, pending) === true) return { allowed: false, denied: true, reason: `denied by ${ruleRef(p, r)}` };
      }
    }
    const rbac = await this.opts.rbac.authorize(a);
    if (rbac.allowed) return rbac;
    for (const p of policies) {
      for (const r of p.spec?.rules ?? []) {
        if (r.effect !== 'Allow') continue;
        const v = evaluateRule(r, vars, pending);
        // a create allowed on a condition over the object is decided again at admission
        if (v === true || v === 'undecided') return { allowed: true, reason: `allowed by ${ruleRef(p, r)}` };
      }
    }
    return rbac;
  }

  private async variables(a: AuthorizationAttributes, policies: AccessPolicy[]): Promise<Record<string, unknown>> {
    const store = this.opts.store;
    const isNamespace = a.resourceRequest && a.group === '' && a.resource === 'namespaces' && !a.subresource;
    const nsName = isNamespace ? a.name : a.namespace;
    const ns = nsName ? store.namespace(nsName) : undefined;
    let object: KubeObject | undefined;
    const needsObject = policies.some((p) => (p.spec?.rules ?? []).some((r) => /\b(object|oldObject)\b/.test(r.condition ?? '')));
    if (needsObject && a.resourceRequest && a.name && OBJECT_VERBS.has(a.verb)) object = isNamespace ? ns : await this.opts.getObject(a);
    const o = object ? toCel(object) : null;
    return { request: toCel(accessRequest(a)), object: o, oldObject: o, namespaceObject: ns ? toCel(ns) : null };
  }
}

/**
 * The admission half: on CREATE and UPDATE, Deny rules see the object being written, and a write
 * RBAC does not allow must be allowed by an Allow rule over that object. Also refuses AccessPolicies
 * whose conditions do not compile.
 */
export function accessPolicyPlugin(opts: { store: PolicyStore; rbac: Authorizer }): AdmissionPlugin {
  return {
    name: 'AccessPolicy',
    async validate(a) {
      if (a.type.group === 'berth.dev' && a.type.kind === 'AccessPolicy' && a.object) {
        const causes = accessPolicyErrors(a.object as AccessPolicy);
        if (causes.length > 0) throw errors.invalid('AccessPolicy', 'berth.dev', a.name, causes);
      }
      if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
      const policies = opts.store.list('AccessPolicy') as AccessPolicy[];
      if (policies.length === 0) return;
      const verbs = a.operation === 'CREATE' ? ['create'] : ['update', 'patch'];
      const base: AuthorizationAttributes = { user: a.user, verb: verbs[0], group: a.type.group, version: a.type.version, resource: a.type.resource, subresource: a.subresource, namespace: a.namespace || undefined, name: a.name, resourceRequest: true };
      const isNamespace = a.type.group === '' && a.type.resource === 'namespaces';
      const ns = isNamespace ? a.object : a.namespace ? opts.store.namespace(a.namespace) : undefined;
      const vars = { request: toCel(accessRequest(base)), object: a.object ? toCel(a.object) : null, oldObject: a.oldObject ? toCel(a.oldObject) : null, namespaceObject: ns ? toCel(ns) : null };
      for (const p of policies) {
        for (const r of p.spec?.rules ?? []) {
          if (r.effect === 'Deny' && evaluateRule(r, vars, false) === true) throw errors.forbidden(`${a.type.resource}${a.type.group ? '.' + a.type.group : ''} "${a.name}" is forbidden: denied by ${ruleRef(p, r)}`);
        }
      }
      for (const verb of verbs) if ((await opts.rbac.authorize({ ...base, verb })).allowed) return;
      for (const p of policies) for (const r of p.spec?.rules ?? []) if (r.effect === 'Allow' && evaluateRule(r, vars, false) === true) return;
      throw errors.forbidden(`${a.type.resource}${a.type.group ? '.' + a.type.group : ''} "${a.name}" is forbidden: User "${a.user.username}" is not allowed by RBAC, and no AccessPolicy Allow rule holds for this object`);
    },
  };
}
