/**
 * What a live server adds to a review (`berth review --server/--as`): the admission policies it
 * enforces and their params, listed from it, and whether the deploying identity may create, update and delete the
 * objects the change touches, asked of the server's authorizer with SubjectAccessReviews — so RBAC
 * and AccessPolicies are answered exactly as they will be at sync time.
 */
import type { Client, ResourceRef } from '../../controlplane/client/client.js';
import { ref } from '../../controlplane/client/refs.js';
import { registry } from '../../controlplane/resources/registry.js';
import { formatLabelSelector } from '../../controlplane/store/selectors.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../controlplane/resources/types.js';
import type { PolicySource } from './policies.js';
import type { AccessCheck, AccessVerb, ObjectEntry, Subject } from './report.js';

const POLICY_KINDS: [string, string][] = [
  ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy'],
  ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding'],
  ['admissionregistration.k8s.io/v1beta1', 'MutatingAdmissionPolicy'],
  ['admissionregistration.k8s.io/v1beta1', 'MutatingAdmissionPolicyBinding'],
];

interface Binding extends KubeObject {
  spec?: { policyName?: string; paramRef?: { name?: string; namespace?: string; selector?: LabelSelector } };
}

/**
 * The admission policies and bindings `client`'s server holds, and the param objects its bindings
 * name (a ConfigMap of allowed registries, say), as a policy source named `origin`. A binding's
 * params without a namespace are per object namespace: those are not fetched.
 */
export async function serverPolicies(client: Client, origin: string): Promise<PolicySource> {
  const [vaps, vapbs, maps, mapbs] = await Promise.all(
    POLICY_KINDS.map(async ([apiVersion, kind]) => {
      const items = (await client.list(ref(apiVersion, kind))).items;
      // list items carry no apiVersion/kind on the wire
      return items.map((o) => ({ ...o, apiVersion, kind }) as KubeObject);
    }),
  );
  const paramKinds = new Map([...vaps, ...maps].map((p) => [`${p.kind}/${p.metadata?.name}`, (p.spec as { paramKind?: { apiVersion?: string; kind?: string } } | undefined)?.paramKind]));
  const params = await Promise.all(
    ([...vapbs.map((b) => ['ValidatingAdmissionPolicy', b]), ...mapbs.map((b) => ['MutatingAdmissionPolicy', b])] as [string, Binding][]).map(async ([policyKind, b]) => {
      const kind = paramKinds.get(`${policyKind}/${b.spec?.policyName}`);
      const r = b.spec?.paramRef;
      const type = kind?.kind ? registry.findKind(kind.apiVersion ?? 'v1', kind.kind) : undefined;
      if (!type || !r?.namespace && type.namespaced) return [];
      const withKind = (o: KubeObject) => ({ ...o, apiVersion: kind!.apiVersion ?? 'v1', kind: kind!.kind }) as KubeObject;
      if (r?.name) {
        const o = await client.find<KubeObject>(ref(kind!.apiVersion ?? 'v1', kind!.kind!), r.name, r.namespace);
        return o ? [withKind(o)] : [];
      }
      return (await client.list(ref(kind!.apiVersion ?? 'v1', kind!.kind!), { namespace: r?.namespace, labelSelector: formatLabelSelector(r?.selector) || undefined })).items.map(withKind);
    }),
  );
  return { origin, objects: [...vaps, ...vapbs, ...maps, ...mapbs, ...params.flat()] };
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
