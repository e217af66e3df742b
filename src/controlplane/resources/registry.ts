/**
 * Every resource type the API server serves, and the lookups the API layer, discovery, OpenAPI
 * and the CLI need: by group/version/resource (also by singular and short name), by kind, by
 * apiVersion+kind, by kubectl-style names (`deploy`, `deployments.apps`, `deployment.v1.apps`), by
 * category (`all`), and the list of API groups with their versions.
 */
import { admissionKinds } from './kinds/admissionregistration.js';
import { appsKinds } from './kinds/apps.js';
import { batchKinds } from './kinds/batch.js';
import { berthKinds } from './kinds/berth.js';
import { clusterKinds } from './kinds/cluster.js';
import { coreKinds } from './kinds/core.js';
import { rbacKinds } from './kinds/rbac.js';
import type { ResourceType } from './types.js';

/** An API group as discovery lists it; the core group is ''. */
export interface ApiGroupInfo {
  name: string;
  /** preferred first */
  versions: string[];
  preferredVersion: string;
}

export class Registry {
  private readonly types: ResourceType[];
  private readonly byGVR = new Map<string, ResourceType>();
  private readonly byGVK = new Map<string, ResourceType>();

  /** `types` in discovery order; a group's first type's version is its preferred version. */
  constructor(types: ResourceType[]) {
    this.types = types;
    for (const t of types) {
      const gv = `${t.group}/${t.version}`;
      this.byGVK.set(`${gv}/${t.kind}`, t);
      this.byGVR.set(`${gv}/${t.resource}`, t);
    }
    // singular and short names never shadow a plural
    for (const t of types) {
      const gv = `${t.group}/${t.version}`;
      for (const alias of [t.singular, ...t.shortNames]) if (!this.byGVR.has(`${gv}/${alias}`)) this.byGVR.set(`${gv}/${alias}`, t);
    }
  }

  all(): readonly ResourceType[] {
    return this.types;
  }

  /** By group, version and resource: the plural (as in a URL), or its singular or a short name. */
  find(group: string, version: string, resource: string): ResourceType | undefined {
    return this.byGVR.get(`${group}/${version}/${resource.toLowerCase()}`);
  }

  /** By group, version and kind. */
  findByKind(group: string, version: string, kind: string): ResourceType | undefined {
    return this.byGVK.get(`${group}/${version}/${kind}`);
  }

  /** By an object's `apiVersion` (`v1`, `apps/v1`) and `kind`. */
  findKind(apiVersion: string, kind: string): ResourceType | undefined {
    const slash = apiVersion.indexOf('/');
    return slash < 0 ? this.findByKind('', apiVersion, kind) : this.findByKind(apiVersion.slice(0, slash), apiVersion.slice(slash + 1), kind);
  }

  /**
   * Resolves a name as kubectl does: `pods`, `pod`, `po`, `Pod`, `deployments.apps`,
   * `deployment.v1.apps`. Each group is searched in its preferred version first; the core group wins
   * ties (`ev` is core/v1 events).
   */
  resolve(name: string): ResourceType | undefined {
    const lower = name.toLowerCase();
    const matches = (t: ResourceType, n: string): boolean => t.resource === n || t.singular === n || t.shortNames.includes(n);
    const candidates = this.types.filter((t) => {
      if (matches(t, lower)) return true;
      const dot = lower.indexOf('.');
      if (dot < 0) return false;
      const head = lower.slice(0, dot);
      const rest = lower.slice(dot + 1);
      return matches(t, head) && (rest === t.group || rest === `${t.version}.${t.group}`);
    });
    const preferred = new Map(this.groups().map((g) => [g.name, g.preferredVersion]));
    candidates.sort((a, b) => rank(a) - rank(b));
    return candidates[0];

    function rank(t: ResourceType): number {
      return (t.group === '' ? 0 : 2) + (preferred.get(t.group) === t.version ? 0 : 1);
    }
  }

  /** The types in a category (`all`, `api-extensions`, `app`...), preferred versions only. */
  category(name: string): ResourceType[] {
    const preferred = new Map(this.groups().map((g) => [g.name, g.preferredVersion]));
    return this.types.filter((t) => t.categories.includes(name) && preferred.get(t.group) === t.version);
  }

  /** API groups in discovery order (core '' first), each with its versions, preferred first. */
  groups(): ApiGroupInfo[] {
    const groups = new Map<string, string[]>();
    for (const t of this.types) {
      const versions = groups.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      groups.set(t.group, versions);
    }
    return [...groups].map(([name, versions]) => ({ name, versions, preferredVersion: versions[0] }));
  }

  /** The types of one group-version, in registration order. */
  groupVersion(group: string, version: string): ResourceType[] {
    return this.types.filter((t) => t.group === group && t.version === version);
  }
}

/** The registry of everything berth serves. */
export const registry = new Registry([...coreKinds, ...appsKinds, ...clusterKinds, ...batchKinds, ...rbacKinds, ...admissionKinds, ...berthKinds]);
