/**
 * Our own group, berth.dev/v1alpha1: Applications (a Git path kept in sync), PreviewSets (preview
 * environments per pull request) and AccessPolicies (cluster-scoped). Their schemas are open under spec and status,
 * like CRDs without a structural schema; the sync and previews code owns their meaning.
 */
import { applicationPrinter, previewSetPrinter } from '../tables/cluster.js';
import type { ResourceType } from '../types.js';
import { defineKind } from './define.js';

const berth = { group: 'berth.dev', version: 'v1alpha1', namespaced: true, status: true };

export const berthKinds: ResourceType[] = [
  defineKind({ ...berth, kind: 'Application', resource: 'applications', shortNames: ['app'], categories: ['app', 'berth'], printer: applicationPrinter }),
  defineKind({ ...berth, kind: 'PreviewSet', resource: 'previewsets', categories: ['berth'], printer: previewSetPrinter }),
  // cluster-scoped: a policy spans namespaces and Applications
  defineKind({ ...berth, kind: 'AccessPolicy', resource: 'accesspolicies', namespaced: false, categories: ['berth'] }),
];
