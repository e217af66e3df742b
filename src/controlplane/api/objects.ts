/**
 * The write path of the API server, shared by every verb and subresource: defaulting, admission,
 * validation, metadata rules, managed fields, deletion with finalizers and grace periods, and the
 * compare-and-swap commit to the store. Transport-free: it takes objects, not HTTP requests.
 */
import { errors, StatusError, type StatusCause } from './errors.js';
import { runMutating, runValidating, type AdmissionAttributes, type AdmissionOperation, type AdmissionPlugin } from './admission.js';
import type { UserInfo } from './request.js';
import { carryUpdateMetadata, clone, initCreateMetadata, isNoOpUpdate, meta, randomSuffix, setGeneration, timestamp } from './metadata.js';
import { pruneUnknownFields } from './prune.js';
import { prepareForCreate } from './strategy.js';
import { selectableOf } from './selection.js';
import { NamespaceCache } from './namespace-cache.js';
import { updateManagedFields } from './apply/managed-fields.js';
import { validateSchema } from '../resources/validation.js';
import { ClaimTakenError } from '../store/scripts.js';
import { serviceClaims, type ServiceAllocator } from './service-allocation.js';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { ObjectStore, ResourceKey, StoredObject } from '../store/types.js';
import { apiVersionOf, type KubeObject, type ResourceType } from '../resources/types.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  user: UserInfo;
  dryRun: boolean;
  /** who is writing, for managedFields (`kubectl-client-side-apply`, `berth-controller`...) */
  fieldManager: string;
  fieldValidation: FieldValidation;
  /** the subresource written (`status`, `scale`, `binding`...), when not the main resource */
  subresource?: string;
  /** server-side apply already computed managedFields; don't record an Update entry */
  applied?: boolean;
  /** the request's audit annotations, for admission plugins to add to */
  auditAnnotations?: Record<string, string>;
}

export interface WriteResult {
  object: KubeObject;
  /** the object's JSON as stored (not stored for dry runs) */
  json: string;
  warnings: string[];
  /** true when the write created the object */
  created: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  orphanDependents?: boolean;
  dryRun: boolean;
  user: UserInfo;
  auditAnnotations?: Record<string, string>;
}

/** Returned by a mutation function to say "leave the object as it is". */
export const UNCHANGED = Symbol('unchanged');

/** How often a read-modify-write retries when another writer got in between. */
const MAX_CAS_RETRIES = 8;
/** How often a create picks new values (clusterIP, nodePorts) when other writers took the ones it picked. */
const MAX_ALLOCATION_RETRIES = 32;

export function storeKey(type: ResourceType): ResourceKey {
  return { group: type.group, resource: type.resource };
}

function objectRef(type: ResourceType, name: string) {
  return { resource: type.resource, group: type.group, name };
}

export interface ObjectServiceOptions {
  store: ObjectStore;
  admission: AdmissionPlugin[];
  /** resolves the Namespace kind, to check writes into namespaces */
  namespaceType: ResourceType;
  /** allocates Services' clusterIPs and nodePorts (none when absent) */
  services?: ServiceAllocator;
  now?: () => number;
}

function isService(type: ResourceType): boolean {
  return type.group === '' && type.resource === 'services';
}

export class ObjectService {
  private readonly store: ObjectStore;
  private readonly admission: AdmissionPlugin[];
  private readonly namespaces: NamespaceCache;
  private readonly now: () => number;
  private readonly services?: ServiceAllocator;

  constructor(opts: ObjectServiceOptions) {
    this.store = opts.store;
    this.admission = opts.admission;
    this.services = opts.services;
    this.namespaces = new NamespaceCache(opts.store, storeKey(opts.namespaceType));
    this.now = opts.now ?? Date.now;
  }

  /** The stored object, parsed; NotFound when absent. */
  async get(type: ResourceType, namespace: string, name: string): Promise<{ object: KubeObject; stored: StoredObject }> {
    const stored = await this.store.get(storeKey(type), namespace, name);
    if (!stored) throw errors.notFound(objectRef(type, name));
    return { object: JSON.parse(stored.json) as KubeObject, stored };
  }

  /** Every object of a kind in `namespace` ('' for all namespaces or cluster-scoped kinds), parsed. */
  async list(type: ResourceType, namespace: string): Promise<KubeObject[]> {
    const page = await this.store.list(storeKey(type), { namespace: namespace || undefined });
    return page.items.map((i) => JSON.parse(i.json) as KubeObject);
  }

  /** Creates `input` in `namespace` ('' for cluster-scoped kinds). */
  async create(type: ResourceType, namespace: string, input: KubeObject, opts: WriteOptions): Promise<WriteResult> {
    let obj = clone(input);
    const warnings: string[] = [];
    this.checkTypeMeta(type, obj);
    const m = meta(obj);
    if (type.namespaced) {
      if (m.namespace && m.namespace !== namespace) {
        throw errors.badRequest(`the namespace of the provided object (${m.namespace}) does not match the namespace sent on the request (${namespace})`);
      }
      m.namespace = namespace;
    } else {
      delete m.namespace;
    }
    if (!m.name) {
      if (m.generateName) m.name = m.generateName + randomSuffix();
      else throw errors.invalid(type.kind, type.group, '', [{ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' }]);
    }
    const name = m.name;
    this.pruneAndCheckFields(type, obj, opts.fieldValidation, warnings);
    initCreateMetadata(obj, this.now());
    prepareForCreate(type, obj);
    type.defaults(obj);
    const attrs = this.attrs('CREATE', type, namespace, name, opts, warnings, obj);
    await runMutating(this.admission, attrs);
    const services = isService(type) ? this.services : undefined;
    const base = services && clone(obj);
    let allocation = services && (await services.allocate(obj as Service, undefined));
    this.validate(type, obj, undefined);
    await runValidating(this.admission, attrs);
    await this.checkNamespace(type, namespace);
    this.recordManager(type, undefined, obj, opts);
    if (opts.dryRun) return { object: obj, json: JSON.stringify(obj), warnings, created: true };
    const owner = meta(obj).uid ?? '';
    for (let attempt = 0; ; attempt++) {
      try {
        const stored = await this.store.create(storeKey(type), namespace, name, obj, allocation && { owner, claim: allocation.claims });
        return fromStored(stored.json, { warnings, created: true });
      } catch (e) {
        if (!(e instanceof ClaimTakenError) || !services || !allocation || !base) throw e;
        const taken = await services.takenError(obj as Service, allocation, owner);
        if (taken) throw taken;
        if (attempt >= MAX_ALLOCATION_RETRIES) throw e;
        // another API server took a value we picked: pick again
        obj = clone(base);
        allocation = await services.allocate(obj as Service, undefined);
        this.recordManager(type, undefined, obj, opts);
      }
    }
  }

  /**
   * Read-modify-write: `mutate` gets the current object (a copy; undefined if absent) and returns the
   * next one, UNCHANGED, or throws. Retries on conflicts with fresh state unless `expectedRv` pins
   * the version the caller based its change on. Returns the created object when `mutate` produced
   * one for an absent name and `allowCreate` is set.
   */
  async mutate(
    type: ResourceType,
    namespace: string,
    name: string,
    mutate: (current: KubeObject | undefined) => KubeObject | typeof UNCHANGED,
    opts: WriteOptions & { allowCreate?: boolean; expectedRv?: string },
  ): Promise<WriteResult> {
    for (let attempt = 0; ; attempt++) {
      const stored = await this.store.get(storeKey(type), namespace, name);
      if (!stored) {
        if (!opts.allowCreate) throw errors.notFound(objectRef(type, name));
        const next = mutate(undefined);
        if (next === UNCHANGED) throw errors.notFound(objectRef(type, name));
        try {
          return await this.create(type, namespace, next, opts);
        } catch (e) {
          if (e instanceof StatusError && e.reason === 'AlreadyExists' && attempt < MAX_CAS_RETRIES) continue;
          throw e;
        }
      }
      const old = JSON.parse(stored.json) as KubeObject;
      if (opts.expectedRv && opts.expectedRv !== stored.rv) throw errors.conflict(objectRef(type, name));
      const next = mutate(clone(old));
      if (next === UNCHANGED) return { object: old, json: stored.json, warnings: [], created: false };
      try {
        return await this.commitUpdate(type, namespace, name, next, old, stored, opts);
      } catch (e) {
        const retriable = e instanceof StatusError && e.reason === 'Conflict' && !opts.expectedRv;
        if (retriable && attempt < MAX_CAS_RETRIES) continue;
        throw e;
      }
    }
  }

  /** PUT: replaces the object; a resourceVersion in the body must match the stored one. */
  async update(type: ResourceType, namespace: string, name: string, input: KubeObject, opts: WriteOptions): Promise<WriteResult> {
    const obj = clone(input);
    this.checkTypeMeta(type, obj);
    const m = meta(obj);
    if (m.name !== undefined && m.name !== name) {
      throw errors.badRequest(`the name of the object (${m.name}) does not match the name on the URL (${name})`);
    }
    if (type.namespaced && m.namespace !== undefined && m.namespace !== namespace) {
      throw errors.badRequest(`the namespace of the provided object (${m.namespace}) does not match the namespace sent on the request (${namespace})`);
    }
    const expectedRv = m.resourceVersion || undefined;
    return this.mutate(type, namespace, name, () => obj, { ...opts, expectedRv });
  }

  /** Runs the update pipeline on `next` against the stored `old`, and commits it with CAS. */
  private async commitUpdate(
    type: ResourceType,
    namespace: string,
    name: string,
    input: KubeObject,
    old: KubeObject,
    stored: StoredObject,
    opts: WriteOptions,
  ): Promise<WriteResult> {
    const warnings: string[] = [];
    let next = clone(input);
    this.checkTypeMeta(type, next);
    this.pruneAndCheckFields(type, next, opts.fieldValidation, warnings);
    if (opts.subresource === 'status') {
      next = { ...clone(old), status: next.status };
    } else if (type.hasStatus && opts.subresource === undefined) {
      if (old.status === undefined) delete next.status;
      else next.status = clone(old.status);
    }
    carryUpdateMetadata(next, old);
    if (type.namespaced) meta(next).namespace = namespace;
    type.defaults(next);
    const attrs = this.attrs('UPDATE', type, namespace, name, opts, warnings, next, old);
    await runMutating(this.admission, attrs);
    const services = isService(type) && opts.subresource === undefined ? this.services : undefined;
    const allocation = services && (await services.allocate(next as Service, old as Service));
    setGeneration(next, old);
    this.validate(type, next, old);
    await runValidating(this.admission, attrs);
    this.recordManager(type, old, next, opts);
    if (isNoOpUpdate(next, old)) return { object: old, json: stored.json, warnings, created: false };
    if (opts.dryRun) return { object: next, json: JSON.stringify(next), warnings, created: false };
    if (isFinalized(type, next)) {
      const gone = await this.store.delete(storeKey(type), namespace, name, stored.rv, next, this.releases(type, old));
      return fromStored(gone.json, { warnings, created: false });
    }
    const owner = meta(old).uid ?? '';
    const claims = allocation && { owner, claim: allocation.claims, release: serviceClaims(old as Service).filter((c) => !allocation.claims.includes(c)) };
    try {
      const written = await this.store.update(storeKey(type), namespace, name, next, stored.rv, { prev: JSON.stringify(selectableOf(type, old)), claims });
      return fromStored(written.json, { warnings, created: false });
    } catch (e) {
      // a requested value someone holds is the user's error; a picked one is retried with fresh state (Conflict)
      if (e instanceof ClaimTakenError && services && allocation) throw (await services.takenError(next as Service, allocation, owner)) ?? e;
      throw e;
    }
  }

  /** What deleting `obj` gives back to the claims (a Service's clusterIP and nodePorts). */
  private releases(type: ResourceType, obj: KubeObject): { owner: string; release: string[] } | undefined {
    if (!isService(type)) return undefined;
    return { owner: meta(obj).uid ?? '', release: serviceClaims(obj as Service) };
  }

  /**
   * DELETE. Objects with finalizers (or a propagation policy that adds one, or a bound pod's grace
   * period, or a namespace with spec.finalizers) get a deletionTimestamp and stay until their
   * finalizers are removed; others go at once. Returns the object as deleted or as marked.
   */
  async delete(type: ResourceType, namespace: string, name: string, opts: DeleteOptions): Promise<{ object: KubeObject; json: string; deleted: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const { object: cur, stored } = await this.get(type, namespace, name);
      const m = meta(cur);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== m.uid) {
        throw errors.conflict(objectRef(type, name), `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${m.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== m.resourceVersion) {
        throw errors.conflict(objectRef(type, name), `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${m.resourceVersion}`);
      }
      const attrs = this.attrs('DELETE', type, namespace, name, { user: opts.user, dryRun: opts.dryRun, auditAnnotations: opts.auditAnnotations }, [], undefined, cur);
      await runValidating(this.admission, attrs);

      const next = clone(cur);
      const nm = meta(next);
      const finalizers = new Set(nm.finalizers ?? []);
      const orphan = opts.propagationPolicy === 'Orphan' || (opts.propagationPolicy === undefined && opts.orphanDependents === true);
      if (opts.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
      if (orphan) finalizers.add('orphan');
      const grace = gracePeriod(type, cur, opts.gracePeriodSeconds);
      const nsFinalizers = type.resource === 'namespaces' && ((cur.spec as { finalizers?: string[] } | undefined)?.finalizers?.length ?? 0) > 0;
      const mustWait = finalizers.size > 0 || grace > 0 || nsFinalizers;

      let result: { object: KubeObject; json: string; deleted: boolean };
      if (!mustWait) {
        if (opts.dryRun) return { object: cur, json: stored.json, deleted: true };
        try {
          const gone = await this.store.delete(storeKey(type), namespace, name, stored.rv, cur, this.releases(type, cur));
          result = fromStored(gone.json, { deleted: true });
        } catch (e) {
          if (e instanceof StatusError && e.reason === 'Conflict' && attempt < MAX_CAS_RETRIES) continue;
          throw e;
        }
        return result;
      }
      const now = this.now();
      if (!nm.deletionTimestamp) {
        nm.deletionTimestamp = timestamp(now + grace * 1000);
        nm.deletionGracePeriodSeconds = grace;
        if (nm.generation !== undefined) nm.generation += 1;
      } else if (grace < (nm.deletionGracePeriodSeconds ?? 0)) {
        // a shorter grace period shortens a deletion already under way, as for pods in Kubernetes
        nm.deletionTimestamp = timestamp(now + grace * 1000);
        nm.deletionGracePeriodSeconds = grace;
      }
      nm.finalizers = finalizers.size > 0 ? [...finalizers] : undefined;
      if (!nm.finalizers) delete nm.finalizers;
      if (type.resource === 'namespaces') next.status = { ...(next.status as object), phase: 'Terminating' };
      if (grace === 0 && finalizers.size === 0 && !nsFinalizers) {
        // grace period over and nothing left to wait for: remove now
        if (opts.dryRun) return { object: next, json: JSON.stringify(next), deleted: true };
        try {
          const gone = await this.store.delete(storeKey(type), namespace, name, stored.rv, next, this.releases(type, cur));
          return fromStored(gone.json, { deleted: true });
        } catch (e) {
          if (e instanceof StatusError && e.reason === 'Conflict' && attempt < MAX_CAS_RETRIES) continue;
          throw e;
        }
      }
      if (opts.dryRun) return { object: next, json: JSON.stringify(next), deleted: false };
      if (isNoOpUpdate(next, cur)) return { object: cur, json: stored.json, deleted: false };
      try {
        const written = await this.store.update(storeKey(type), namespace, name, next, stored.rv, { prev: JSON.stringify(selectableOf(type, cur)) });
        return fromStored(written.json, { deleted: false });
      } catch (e) {
        if (e instanceof StatusError && e.reason === 'Conflict' && attempt < MAX_CAS_RETRIES) continue;
        throw e;
      }
    }
  }

  /**
   * Records in managedFields what the writer's manager changed (an Update operation). Server-side
   * apply computed them itself; server-internal subresources (binding, scale, finalize) record none.
   */
  private recordManager(type: ResourceType, old: KubeObject | undefined, next: KubeObject, opts: WriteOptions): void {
    if (opts.applied || (opts.subresource && opts.subresource !== 'status')) return;
    meta(next).managedFields = updateManagedFields({
      old,
      next,
      manager: opts.fieldManager,
      operation: 'Update',
      subresource: opts.subresource,
      schema: type.schema(),
      apiVersion: apiVersionOf(type),
      now: timestamp(this.now()),
    });
  }

  private attrs(
    operation: AdmissionOperation,
    type: ResourceType,
    namespace: string,
    name: string,
    opts: { user: UserInfo; dryRun: boolean; subresource?: string; auditAnnotations?: Record<string, string> },
    warnings: string[],
    object?: KubeObject,
    oldObject?: KubeObject,
  ): AdmissionAttributes {
    return { operation, type, subresource: opts.subresource, namespace, name, object, oldObject, user: opts.user, dryRun: opts.dryRun, warnings, auditAnnotations: opts.auditAnnotations };
  }

  /** apiVersion and kind must name this endpoint's kind (they may be omitted). */
  private checkTypeMeta(type: ResourceType, obj: KubeObject): void {
    const want = apiVersionOf(type);
    if (obj.apiVersion !== undefined && obj.apiVersion !== want) {
      throw errors.badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${want})`);
    }
    if (obj.kind !== undefined && obj.kind !== type.kind) {
      throw errors.badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${type.kind})`);
    }
    obj.apiVersion = want;
    obj.kind = type.kind;
  }

  private pruneAndCheckFields(type: ResourceType, obj: KubeObject, mode: FieldValidation, warnings: string[]): void {
    const typeCauses = validateSchema(obj, type.schema());
    if (typeCauses.length > 0) throw errors.invalid(type.kind, type.group, obj.metadata?.name ?? '', typeCauses);
    const unknown = pruneUnknownFields(obj, type.schema());
    if (unknown.length === 0 || mode === 'Ignore') return;
    if (mode === 'Strict') {
      const list = unknown.map((p) => `unknown field "${p}"`).join(', ');
      throw errors.badRequest(`strict decoding error: ${list}`);
    }
    for (const p of unknown) warnings.push(`unknown field "${p}"`);
  }

  private validate(type: ResourceType, obj: KubeObject, old: KubeObject | undefined): void {
    const causes: StatusCause[] = type.validate(obj, old);
    if (causes.length > 0) throw errors.invalid(type.kind, type.group, obj.metadata?.name ?? '', causes);
  }

  /** Writes into a namespace that does not exist, or is being deleted, are refused (NamespaceLifecycle). */
  private async checkNamespace(type: ResourceType, namespace: string): Promise<void> {
    if (!type.namespaced) return;
    const state = await this.namespaces.lookup(namespace);
    if (!state) throw new StatusError('NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    if (state === 'Terminating') {
      throw new StatusError('Forbidden', `${type.resource}${type.group ? '.' + type.group : ''} is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
        kind: type.resource,
        group: type.group || undefined,
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
      });
    }
  }

  /** Stops the namespace cache's watch. */
  close(): void {
    this.namespaces.close();
  }
}

/** A result carrying `json` as stored; `object` is parsed from it when first read (most callers answer with the JSON). */
function fromStored<T extends object>(json: string, rest: T): T & { object: KubeObject; json: string } {
  let object: KubeObject | undefined;
  const result = {
    json,
    get object(): KubeObject {
      return (object ??= JSON.parse(json) as KubeObject);
    },
  };
  return Object.assign(result, rest);
}

/** An object marked for deletion whose finalizers are all gone is removed by the write that cleared them. */
function isFinalized(type: ResourceType, obj: KubeObject): boolean {
  const m = obj.metadata ?? {};
  if (!m.deletionTimestamp || (m.finalizers?.length ?? 0) > 0) return false;
  if (type.resource === 'namespaces' && ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers?.length ?? 0) > 0) return false;
  if (type.resource === 'pods' && (m.deletionGracePeriodSeconds ?? 0) > 0) return false;
  return true;
}

/**
 * Seconds a deletion waits: pods bound to a node and still running get their grace period (the node
 * agent finishes the deletion); everything else goes at once.
 */
function gracePeriod(type: ResourceType, obj: KubeObject, requested: number | undefined): number {
  if (type.resource !== 'pods') return 0;
  const spec = (obj.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = (obj.status as { phase?: string } | undefined)?.phase;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  const g = requested ?? spec.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, g);
}
