/**
 * Expectations, so a stale cache never makes a controller act twice (the ReplicaSet controller
 * creating pods it already created). Instead of counting expected adds and deletes in memory, as
 * kube-controller-manager does, a controller records the highest resourceVersion of its writes for a
 * key in Redis; the next reconcile of that key, in whichever process, first waits until its informer
 * has seen that version. resourceVersions are one cluster-wide counter, so "seen" is a comparison.
 */
import type { Redis } from 'ioredis';
import type { ResourceRef } from '../../client/client.js';
import type { KubeObject } from '../../resources/types.js';
import type { SharedInformers } from './informers.js';
import { WaitingError } from './reconciler.js';

/** How long a reconcile waits in place for its cache before handing the key back (requeue). */
const WAIT_MS = 2_000;
const TTL_MS = 10 * 60 * 1000;

export class Expectations {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly informers: SharedInformers,
  ) {}

  private redisKey(key: string): string {
    return `${this.keyPrefix}:expect:${key}`;
  }

  /**
   * Resolves when the informer of `ref` shows every write recorded for `key`; throws WaitingError
   * if it does not within a short wait (the key is requeued once, then proceeds).
   */
  async await(key: string, ref: ResourceRef): Promise<void> {
    const want = Number((await this.redis.get(this.redisKey(key))) ?? 0);
    if (!want || this.informers.seen(ref) >= want) return;
    if (!(await this.informers.waitFor(ref, want, WAIT_MS))) {
      // give up the mark after one long wait: a cache that relisted past a deleted object may never
      // see that exact version, and a key must not wait forever
      await this.redis.del(this.redisKey(key));
      throw new WaitingError(`cache of ${ref.resource} has not yet seen resourceVersion ${want}`, 100);
    }
  }

  /** Records writes made for `key` (the objects the API returned). */
  async record(key: string, written: (KubeObject | undefined)[]): Promise<void> {
    let max = 0;
    for (const o of written) max = Math.max(max, Number(o?.metadata?.resourceVersion ?? 0) || 0);
    if (!max) return;
    // keep the highest: a concurrent lower write must not lower the mark
    await this.redis.eval(
      "local c = tonumber(redis.call('GET', KEYS[1]) or '0') if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end return 1",
      1,
      this.redisKey(key),
      String(max),
      String(TTL_MS),
    );
  }
}
