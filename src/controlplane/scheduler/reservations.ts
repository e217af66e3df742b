/**
 * Per-node reservations in Redis, so several scheduler processes never overcommit a node. Each
 * scheduler decides from its own cache, which may not yet show what another one just bound; before
 * binding, it reserves the pod's requests on the node with one Lua script that adds up the
 * reservations its cache does not know about yet and refuses when the pod would no longer fit. A
 * refusal returns those foreign reservations so the caller can count them and decide again. The
 * reservations asked for in one turn of the event loop go to Redis in one script call.
 * Reservations expire after a TTL (by then every scheduler's watch shows the binding) and are
 * dropped when their pod is deleted or its bind fails.
 */
import type { Redis } from 'ioredis';
import type { NodeInfo, PodInfo, Resources } from './types.js';

/**
 * Reserves a batch: KEYS[k] the reservation hash of the k-th request's node (field: pod uid, value:
 * "reservedAtMs,cpu,memory,ephemeral,pods"). ARGV[1] now (ms), ARGV[2] ttl (ms), then per request:
 * pod uid, request "cpu,memory,ephemeral,pods", free in the caller's view (same order), the number
 * of uids the caller already counts on the node, those uids. Requests are decided in order, each
 * seeing the ones before it. Returns per request 1 when reserved, else the foreign reservations as
 * a flat [uid, value, ...] list.
 */
const RESERVE = `
local function split(s)
  local out = {}
  for x in string.gmatch(s, '[^,]+') do out[#out + 1] = tonumber(x) end
  return out
end
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local results = {}
local a = 3
for k = 1, #KEYS do
  local uid, req, free, nknown = ARGV[a], split(ARGV[a + 1]), split(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local known = {}
  for i = a + 4, a + 3 + nknown do known[ARGV[i]] = true end
  local value = ARGV[1] .. ',' .. ARGV[a + 1]
  a = a + 4 + nknown
  local used = {0, 0, 0, 0}
  local foreign = {}
  local all = redis.call('HGETALL', KEYS[k])
  for i = 1, #all, 2 do
    local v = split(all[i + 1])
    if v[1] + ttl < now then
      redis.call('HDEL', KEYS[k], all[i])
    elseif all[i] ~= uid and not known[all[i]] then
      for j = 1, 4 do used[j] = used[j] + v[j + 1] end
      foreign[#foreign + 1] = all[i]
      foreign[#foreign + 1] = all[i + 1]
    end
  end
  local fits = true
  for j = 1, 4 do
    if req[j] > 0 and used[j] + req[j] > free[j] then fits = false end
  end
  if fits then
    redis.call('HSET', KEYS[k], uid, value)
    redis.call('PEXPIRE', KEYS[k], ttl)
    results[k] = 1
  else
    results[k] = foreign
  end
end
return results
`;

/** A reservation another scheduler holds that this one's cache does not show yet. */
export interface ForeignReservation {
  uid: string;
  requests: Pick<Resources, 'milliCPU' | 'memory' | 'ephemeralStorage' | 'pods'>;
}

export type ReserveResult = { ok: true } | { ok: false; foreign: ForeignReservation[] };

export const RESERVATION_TTL_MS = 30_000;

const vector = (r: Pick<Resources, 'milliCPU' | 'memory' | 'ephemeralStorage' | 'pods'>) => `${r.milliCPU},${r.memory},${r.ephemeralStorage},${r.pods}`;

interface Asked {
  key: string;
  args: (string | number)[];
  resolve(r: number | string[]): void;
  reject(e: Error): void;
}

export class Reservations {
  /** reservations asked for in this turn of the event loop, sent together after it */
  private batch: Asked[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = RESERVATION_TTL_MS,
  ) {
    // EVALSHA with a fallback to EVAL, through ioredis' script cache; the key count comes first
    redis.defineCommand('berthSchedulerReserveBatch', { lua: RESERVE });
  }

  private key(node: string): string {
    return `${this.prefix}:scheduler-reservations:${node}`;
  }

  /**
   * Reserves `pod` on `node`, the caller's view of the node (with or without the pod assumed there:
   * its sums and pods are what the caller already counts).
   */
  async reserve(pod: PodInfo, node: NodeInfo): Promise<ReserveResult> {
    const a = node.allocatable;
    const u = node.requested;
    const others = node.pods.filter((p) => p.uid !== pod.uid);
    const self = others.length < node.pods.length ? pod.requests : undefined;
    const free = {
      milliCPU: a.milliCPU - u.milliCPU + (self?.milliCPU ?? 0),
      memory: a.memory - u.memory + (self?.memory ?? 0),
      ephemeralStorage: a.ephemeralStorage - u.ephemeralStorage + (self?.ephemeralStorage ?? 0),
      pods: a.pods - others.length,
    };
    const known = others.map((p) => p.uid).filter((uid) => uid);
    const r = await new Promise<number | string[]>((resolve, reject) => {
      if (this.batch.length === 0) setImmediate(() => this.flush());
      this.batch.push({ key: this.key(node.name), args: [pod.uid, vector(pod.requests), vector(free), known.length, ...known], resolve, reject });
    });
    if (r === 1) return { ok: true };
    const foreign: ForeignReservation[] = [];
    const list = r as string[];
    for (let i = 0; i < list.length; i += 2) {
      const [, milliCPU, memory, ephemeralStorage, pods] = list[i + 1].split(',').map(Number);
      foreign.push({ uid: list[i], requests: { milliCPU, memory, ephemeralStorage, pods } });
    }
    return { ok: false, foreign };
  }

  /** Sends the reservations asked for since the last batch in one script call: one round trip (and one fsync) for all. */
  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    const reserve = (this.redis as unknown as { berthSchedulerReserveBatch(...args: (string | number)[]): Promise<(number | string[])[]> }).berthSchedulerReserveBatch;
    reserve.call(this.redis, batch.length, ...batch.map((b) => b.key), Date.now(), this.ttlMs, ...batch.flatMap((b) => b.args)).then(
      (results) => batch.forEach((b, i) => b.resolve(results[i])),
      (e: Error) => batch.forEach((b) => b.reject(e)),
    );
  }

  /** Drops a pod's reservation (its bind failed, or it is gone). */
  async release(node: string, uid: string): Promise<void> {
    await this.redis.hdel(this.key(node), uid);
  }
}
