/**
 * Discovery documents, built from the registry: the legacy ones (`/api` APIVersions, `/apis`
 * APIGroupList, `/apis/<g>` APIGroup, `/api/v1` and `/apis/<g>/<v>` APIResourceList) that drain,
 * `auth can-i` and client-node use, the aggregated v2 ones (APIGroupDiscoveryList) kubectl asks for
 * first, and the `/version` body. Pure functions: routing and content negotiation live elsewhere.
 */
import { registry as defaultRegistry, type Registry } from '../resources/registry.js';
import type { ResourceType, SubresourceType } from '../resources/types.js';
import { METRICS_GROUP, METRICS_RESOURCES, METRICS_VERBS, METRICS_VERSION } from './metrics/metrics-objects.js';

/** Content-Type of an aggregated discovery reply (client-go picks the format from it). */
export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** The Kubernetes version berth reports to clients. */
export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-berth' } as const;

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

function goPlatform(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const arch = ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' } as Record<string, string>)[process.arch] ?? process.arch;
  return `${os}/${arch}`;
}

/** The `/version` body. */
export function versionInfo(): VersionInfo {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'node',
    platform: goPlatform(),
  };
}

/** `/api`: the legacy core group's versions. */
export function legacyApiVersions(serverAddress?: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: serverAddress ? [{ clientCIDR: '0.0.0.0/0', serverAddress }] : [],
  };
}

function groupVersions(group: string, versions: string[]): Array<{ groupVersion: string; version: string }> {
  return versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
}

function apiGroupBody(g: { name: string; versions: string[]; preferredVersion: string }): Record<string, unknown> {
  return {
    name: g.name,
    versions: groupVersions(g.name, g.versions),
    preferredVersion: { groupVersion: `${g.name}/${g.preferredVersion}`, version: g.preferredVersion },
  };
}

/** The Metrics API, served beside the registry's kinds (metrics/metrics-api.ts), as an aggregated metrics-server's group is. */
const METRICS_GROUP_INFO = { name: METRICS_GROUP, versions: [METRICS_VERSION], preferredVersion: METRICS_VERSION };

/** The named groups: the registry's and the Metrics API. */
function namedGroups(reg: Registry): Array<{ name: string; versions: string[]; preferredVersion: string }> {
  return [...reg.groups().filter((g) => g.name !== ''), METRICS_GROUP_INFO];
}

/** `/apis`: every named group (the core group is served under `/api`). */
export function apiGroupList(reg: Registry = defaultRegistry): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: namedGroups(reg).map(apiGroupBody) };
}

/** `/apis/<group>`, or undefined for a group we do not serve. */
export function apiGroup(group: string, reg: Registry = defaultRegistry): Record<string, unknown> | undefined {
  const g = namedGroups(reg).find((x) => x.name === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroupBody(g) } : undefined;
}

/** Group and version of a subresource's kind, when they differ from its parent's (pods/eviction → policy/v1). */
function foreignGroupVersion(t: ResourceType, s: SubresourceType): { group?: string; version?: string } {
  return s.group !== t.group || s.version !== t.version ? { group: s.group, version: s.version } : {};
}

/** One APIResource of a legacy APIResourceList. */
function legacyResource(t: ResourceType): Record<string, unknown> {
  const r: Record<string, unknown> = { name: t.resource, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs };
  if (t.shortNames.length) r.shortNames = t.shortNames;
  if (t.categories.length) r.categories = t.categories;
  return r;
}

function legacySubresource(t: ResourceType, s: SubresourceType): Record<string, unknown> {
  return { name: `${t.resource}/${s.name}`, singularName: '', namespaced: t.namespaced, ...foreignGroupVersion(t, s), kind: s.kind, verbs: s.verbs };
}

/** `/api/v1` or `/apis/<g>/<v>`: resources and their subresources (`pods/status`...). */
export function apiResourceList(group: string, version: string, reg: Registry = defaultRegistry): Record<string, unknown> | undefined {
  if (group === METRICS_GROUP && version === METRICS_VERSION) {
    const resources = METRICS_RESOURCES.map((r) => ({ name: r.resource, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: METRICS_VERBS }));
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/${version}`, resources };
  }
  const types = reg.groupVersion(group, version);
  if (types.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const t of types) {
    resources.push(legacyResource(t));
    for (const s of t.subresources) resources.push(legacySubresource(t, s));
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

function aggregatedResource(t: ResourceType): Record<string, unknown> {
  const r: Record<string, unknown> = {
    resource: t.resource,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
  };
  if (t.shortNames.length) r.shortNames = t.shortNames;
  if (t.categories.length) r.categories = t.categories;
  if (t.subresources.length) {
    r.subresources = t.subresources.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group, version: s.version, kind: s.kind },
      verbs: s.verbs,
    }));
  }
  return r;
}

/**
 * Aggregated discovery (apidiscovery.k8s.io/v2): `'api'` for the core group (the `/api` reply),
 * `'apis'` for the named groups (the `/apis` reply).
 */
export function aggregatedDiscovery(which: 'api' | 'apis', reg: Registry = defaultRegistry): Record<string, unknown> {
  const groups = reg.groups().filter((g) => (which === 'api' ? g.name === '' : g.name !== ''));
  const doc: Record<string, unknown> = {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.name },
      versions: g.versions.map((version) => ({
        version,
        resources: reg.groupVersion(g.name, version).map(aggregatedResource),
        freshness: 'Current',
      })),
    })),
  };
  if (which === 'apis') (doc.items as unknown[]).push(metricsDiscovery());
  return doc;
}

/** The Metrics API's APIGroupDiscovery. */
function metricsDiscovery(): Record<string, unknown> {
  return {
    metadata: { name: METRICS_GROUP },
    versions: [
      {
        version: METRICS_VERSION,
        resources: METRICS_RESOURCES.map((r) => ({ resource: r.resource, responseKind: { group: METRICS_GROUP, version: METRICS_VERSION, kind: r.kind }, scope: r.namespaced ? 'Namespaced' : 'Cluster', singularResource: '', verbs: METRICS_VERBS })),
        freshness: 'Current',
      },
    ],
  };
}
