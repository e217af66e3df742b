/**
 * Every Redis key the object store uses is built here, so the layout lives in one place. All keys share
 * one hash tag (`{berth}`, or `{<prefix>}` in tests) so each Lua script's keys sit in one slot and the
 * same scripts run unchanged on Redis Cluster (ARCHITECTURE rule 5).
 *
 * Layout, with tag `{berth}`:
 *   {berth}/rv                                   the global resourceVersion counter (INCR)
 *   {berth}/o/<group>/<resource>/<ns>/<name>     one hash per object: fields `rv` and `json`
 *   {berth}/i/<group>/<resource>                 sorted set, members `<ns>/<name>`, score 0 (ZRANGEBYLEX)
 *   {berth}/events                               the change stream; entry id `<rv>-0`
 *   {berth}/claims                               hash: unique value (`clusterip/10.96.0.10`, `nodeport/TCP/30080`) → its holder
 * The core group ('') is spelled `core`; a cluster-scoped object has namespace '' (`.../nodes//n1`).
 */
import type { ResourceKey } from './types.js';

export class StoreKeys {
  /** `{<prefix>}`: the hash tag every key starts with */
  readonly tag: string;
  /** the global resourceVersion counter */
  readonly counter: string;
  /** the change stream */
  readonly stream: string;
  /** unique values objects hold (clusterIPs, nodePorts) → the holder (see ObjectStore.claimHolders) */
  readonly claims: string;

  constructor(prefix = 'berth') {
    if (!prefix || /[{}]/.test(prefix)) throw new Error(`invalid store key prefix ${JSON.stringify(prefix)}`);
    this.tag = `{${prefix}}`;
    this.counter = `${this.tag}/rv`;
    this.stream = `${this.tag}/events`;
    this.claims = `${this.tag}/claims`;
  }

  /** The prefix that, followed by an index member `<ns>/<name>`, is the object's key. */
  objectPrefix(key: ResourceKey): string {
    return `${this.tag}/o/${key.group || 'core'}/${key.resource}/`;
  }

  /** The key of one object's hash. */
  object(key: ResourceKey, namespace: string, name: string): string {
    return this.objectPrefix(key) + indexMember(namespace, name);
  }

  /** The per-resource sorted set of `<ns>/<name>` members. */
  index(key: ResourceKey): string {
    return `${this.tag}/i/${key.group || 'core'}/${key.resource}`;
  }
}

/** The index member of an object: `<namespace>/<name>` ('' namespace for cluster-scoped objects). */
export function indexMember(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
