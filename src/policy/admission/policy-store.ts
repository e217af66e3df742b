/**
 * What the admission policy plugins read: the policies and bindings (from informers), namespaces
 * (for namespaceObject and selectors) and parameter objects (fetched per request, as they may be of
 * any kind). An interface, so the offline `berth policy test` can serve them from files.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../controlplane/resources/types.js';

export interface PolicyStore {
  list(kind: 'ValidatingAdmissionPolicy' | 'ValidatingAdmissionPolicyBinding' | 'MutatingAdmissionPolicy' | 'MutatingAdmissionPolicyBinding' | 'AccessPolicy'): KubeObject[];
  get(kind: 'ValidatingAdmissionPolicy' | 'MutatingAdmissionPolicy', name: string): KubeObject | undefined;
  namespace(name: string): KubeObject | undefined;
  /** parameter objects of `apiVersion`/`kind`: one by name, or those a label selector picks */
  params(apiVersion: string, kind: string, namespace: string | undefined, name: string | undefined, selector: LabelSelector | undefined): Promise<KubeObject[]>;
}
