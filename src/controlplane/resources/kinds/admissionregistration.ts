/**
 * admissionregistration.k8s.io: validating/mutating webhook configurations and validating
 * admission policies (v1), mutating admission policies (v1beta1). All cluster-scoped, in the
 * `api-extensions` category as in Kubernetes.
 */
import {
  defaultAdmissionPolicy,
  defaultMutatingWebhookConfiguration,
  defaultValidatingWebhookConfiguration,
} from '../defaults/cluster.js';
import { admissionPolicyBindingPrinter, admissionPolicyPrinter, webhookConfigurationPrinter } from '../tables/cluster.js';
import type { ResourceType } from '../types.js';
import { defineKind } from './define.js';

const v1 = { group: 'admissionregistration.k8s.io', version: 'v1', namespaced: false, categories: ['api-extensions'] };
const v1beta1 = { ...v1, version: 'v1beta1' };

export const admissionKinds: ResourceType[] = [
  defineKind({ ...v1, kind: 'ValidatingAdmissionPolicy', resource: 'validatingadmissionpolicies', status: true, printer: admissionPolicyPrinter('validations'), defaults: defaultAdmissionPolicy }),
  defineKind({ ...v1, kind: 'ValidatingAdmissionPolicyBinding', resource: 'validatingadmissionpolicybindings', printer: admissionPolicyBindingPrinter }),
  defineKind({ ...v1, kind: 'ValidatingWebhookConfiguration', resource: 'validatingwebhookconfigurations', printer: webhookConfigurationPrinter, defaults: defaultValidatingWebhookConfiguration }),
  defineKind({ ...v1, kind: 'MutatingWebhookConfiguration', resource: 'mutatingwebhookconfigurations', printer: webhookConfigurationPrinter, defaults: defaultMutatingWebhookConfiguration }),
  defineKind({ ...v1beta1, kind: 'MutatingAdmissionPolicy', resource: 'mutatingadmissionpolicies', printer: admissionPolicyPrinter('mutations'), defaults: defaultAdmissionPolicy }),
  defineKind({ ...v1beta1, kind: 'MutatingAdmissionPolicyBinding', resource: 'mutatingadmissionpolicybindings', printer: admissionPolicyBindingPrinter }),
];
