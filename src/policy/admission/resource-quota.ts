/**
 * The ResourceQuota admission plugin: a write that would take a namespace past any of its
 * ResourceQuotas is refused with Kubernetes' 403 ("exceeded quota: ..."), and a write that passes is
 * charged to the quotas' `status.used` before it is stored — a compare-and-swap on each quota's
 * resourceVersion, as kube-apiserver does, so two concurrent creates cannot both take the last
 * unit: the loser re-reads the quota and is checked against the new usage. A charge starts from the
 * quota cache (no API read per write): a stale quota fails its compare-and-swap and is read live,
 * and a refusal is confirmed from a live read. The resource-quota
 * controller (src/controlplane/controllers/resourcequota.ts) recomputes `status.used` from the
 * objects themselves when objects go away. Runs last among the validating plugins, so a request
 * another plugin refuses is not charged.
 */
import type { AdmissionAttributes, AdmissionPlugin } from '../../controlplane/api/admission.js';
import { StatusError } from '../../controlplane/api/errors.js';
import type { Client } from '../../controlplane/client/client.js';
import { refOf, refs } from '../../controlplane/client/refs.js';
import { formatAmounts } from '../../controlplane/resources/quantities.js';
import { checkRequest, evaluatorFor, listIn, missingUsage, QuotaDenied, quotaState, usedByListing } from '../../controlplane/resources/quota-usage.js';
import type { KubeObject } from '../../controlplane/resources/types.js';

export interface ResourceQuotaOptions {
  /** a client with rights to read everything in a namespace and write `resourcequotas/status` */
  client: () => Client;
  /**
   * The ResourceQuotas of a namespace from a list-watch cache (no API call for the many writes in
   * namespaces without quotas); undefined until that cache has synced, and the plugin lists live.
   */
  cachedQuotas?: (namespace: string) => KubeObject[] | undefined;
  now?: () => number;
}

/** How often a charge re-reads a quota another writer changed meanwhile. */
const MAX_CAS_RETRIES = 20;

function forbidden(a: AdmissionAttributes, message: string): StatusError {
  const qualified = a.type.group ? `${a.type.resource}.${a.type.group}` : a.type.resource;
  return new StatusError('Forbidden', `${qualified} "${a.name}" is forbidden: ${message}`, { kind: a.type.resource, group: a.type.group || undefined, name: a.name });
}

export function resourceQuotaPlugin(opts: ResourceQuotaOptions): AdmissionPlugin {
  const now = opts.now ?? Date.now;
  // one charge at a time per namespace in this process: fewer CAS conflicts (other processes still CAS)
  const locks = new Map<string, Promise<void>>();
  const serialize = async <T>(ns: string, fn: () => Promise<T>): Promise<T> => {
    const prev = locks.get(ns) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const chained = prev.then(() => mine);
    locks.set(ns, chained);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (locks.get(ns) === chained) locks.delete(ns);
    }
  };

  // The quotas this process charged, by namespace/name, until the cache has them (as kube-apiserver's
  // quota accessor keeps the quotas it updated): the next charge in this process starts from them.
  const written = new Map<string, KubeObject>();
  /** The cached quotas of a namespace, each replaced by the newer version this process wrote. */
  const newest = (namespace: string, cached: KubeObject[]): KubeObject[] => {
    const names = new Set<string>();
    const out = cached.map((q) => {
      const key = `${namespace}/${q.metadata?.name}`;
      names.add(key);
      const mine = written.get(key);
      if (!mine) return q;
      if (Number(mine.metadata?.resourceVersion) > Number(q.metadata?.resourceVersion)) return mine;
      written.delete(key);
      return q;
    });
    // quotas deleted since
    for (const key of written.keys()) if (key.startsWith(`${namespace}/`) && !names.has(key)) written.delete(key);
    return out;
  };

  const charge = async (a: AdmissionAttributes): Promise<void> => {
    const client = opts.client();
    // quotas charged by an earlier attempt stay charged; a retry re-checks only the others (as Kubernetes does)
    const charged = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      // The first attempt charges the quotas as cached (no API list per create): a stale one fails
      // the compare-and-swap on its resourceVersion and the retry lists them live; a refusal is
      // confirmed against a live list before it is returned.
      const cached = attempt === 0 ? opts.cachedQuotas?.(a.namespace) : undefined;
      const listed = cached ? newest(a.namespace, cached) : (await client.list(refs.resourcequotas, { namespace: a.namespace })).items;
      const quotas = listed.filter((q) => !charged.has(q.metadata?.name ?? ''));
      if (quotas.length === 0) return;
      // the store will refuse it as AlreadyExists: charging it would leak until the controller recounts
      if (a.operation === 'CREATE' && attempt === 0 && (await client.find(refOf(a.type), a.name, a.namespace))) return;
      const states = quotas.map(quotaState);
      for (const q of states) {
        if (missingUsage(q).length === 0) continue;
        // never computed yet (the controller has not run): count now instead of refusing, as
        // Kubernetes does with "status unknown for quota"
        q.used = { ...(await usedByListing(q, listIn(client, a.namespace), now())), ...q.used };
      }
      let changes;
      try {
        changes = checkRequest(states, { operation: a.operation, subresource: a.subresource, gr: a.type, object: a.object!, oldObject: a.oldObject, now: now() });
      } catch (e) {
        if (e instanceof QuotaDenied && cached) continue;
        if (e instanceof QuotaDenied) throw forbidden(a, e.message);
        throw e;
      }
      if (a.dryRun || changes.length === 0) return;
      let conflict = false;
      for (const { name, used } of changes) {
        const q = quotas.find((o) => o.metadata?.name === name)!;
        const spec = q.spec as { hard?: Record<string, string> };
        try {
          const stored = await client.updateStatus(refs.resourcequotas, { ...q, status: { hard: spec.hard, used: formatAmounts(used) } });
          written.set(`${a.namespace}/${name}`, stored);
          charged.add(name);
        } catch (e) {
          if (!(e instanceof StatusError && (e.reason === 'Conflict' || e.reason === 'NotFound'))) throw e;
          conflict = true;
        }
      }
      if (!conflict) return;
      if (attempt >= MAX_CAS_RETRIES) throw new StatusError('Conflict', `Operation cannot be fulfilled on resourcequotas in namespace ${a.namespace}: the quotas changed ${MAX_CAS_RETRIES} times while this request was charged to them; please try again`);
    }
  };

  return {
    name: 'ResourceQuota',
    async validate(a) {
      if (!a.type.namespaced || !a.namespace || !a.object || (a.operation !== 'CREATE' && a.operation !== 'UPDATE')) return;
      const ev = evaluatorFor(a.type);
      if (!ev.handles(a.operation, a.subresource)) return;
      // no quota here limits anything this resource uses (most Events, Leases...): nothing to charge
      const cached = opts.cachedQuotas?.(a.namespace);
      if (cached && !cached.some((q) => ev.matchingResources(Object.keys((q.spec as { hard?: object } | undefined)?.hard ?? {})).length > 0)) return;
      await serialize(a.namespace, () => charge(a));
    },
  };
}
