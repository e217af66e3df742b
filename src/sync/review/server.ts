/**
 * What a live server adds to a review (`berth review --server/--as`): the admission policies it
 * enforces, listed from it, and whether the deploying identity may create, update and delete the
 * objects the change touches, asked of the server's authorizer with SubjectAccessReviews — so RBAC
 * and AccessPolicies are answered exactly as they will be at sync time.
 */
import type { Client, ResourceRef } from '../../controlplane/client/client.js';
import { ref } from '../../controlplane/client/refs.js';
import { registry } from '../../controlplane/resources/registry.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import type { PolicySource } from './policies.js';
import type { AccessCheck, AccessVerb, ObjectEntry, Subject } from './report.js';

const POLICY_KINDS: [string, string][] = [
  ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy'],
  ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding'],
  ['admissionregistration.k8s.io/v1beta1', 'MutatingAdmissionPolicy'],
  ['admissionregistration.k8s.io/v1beta1', 'MutatingAdmissionPolicyBinding'],
];

/** The admission policies and bindings `client`'s server holds, as a policy source named `origin`. */
export async function serverPolicies(client: Client, origin: string): Promise<PolicySource> {
  const lists = await Promise.all(
    POLICY_KINDS.map(async ([apiVersion, kind]) => {
      const items = (await client.list(ref(apiVersion, kind))).items;
      // list items carry no apiVersion/kind on the wire
      return items.map((o) => ({ ...o, apiVersion, kind }) as KubeObject);
    }),
  );
  return { origin, objects: lists.flat() };
}

const SUBJECT_ACCESS_REVIEWS: ResourceRef = { group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', namespaced: false };

interface SubjectAccessReview extends KubeObject {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

/**
 * One SubjectAccessReview per (verb, object) against `client`'s server, for `subject`. An object of
 * a kind the server does not serve is reported as not allowed, saying so. Namespaced objects without
 * a namespace are checked in `defaultNamespace`.
 */
export async function accessChecks(client: Client, subject: Subject, needs: { verb: AccessVerb; entry: ObjectEntry }[], defaultNamespace = 'default'): Promise<AccessCheck[]> {
  return Promise.all(
    needs.map(async ({ verb, entry }): Promise<AccessCheck> => {
      const check = { object: entry.id, verb, source: entry.source };
      const type = registry.findKind(entry.apiVersion, entry.kind);
      if (!type) return { ...check, allowed: false, reason: `the server does not serve ${entry.apiVersion} ${entry.kind}` };
      const review = await client.create<SubjectAccessReview>(SUBJECT_ACCESS_REVIEWS, {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: subject.user,
          groups: subject.groups,
          resourceAttributes: { verb, group: type.group, version: type.version, resource: type.resource, namespace: type.namespaced ? entry.namespace || defaultNamespace : undefined, name: entry.name },
        },
      } as KubeObject);
      const s = review.status ?? {};
      const allowed = s.allowed === true;
      return { ...check, allowed, reason: s.reason || s.evaluationError || (allowed ? 'allowed' : `${subject.user} may not ${verb} ${type.resource}${type.group ? `.${type.group}` : ''}`) };
    }),
  );
}
