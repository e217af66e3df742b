/**
 * Per-node reservations in Redis, so several scheduler processes never overcommit a node. Each
 * scheduler decides from its own cache, which may not yet show what another one just bound; before
 * binding, it reserves the pod's requests on the node with one Lua script that adds up the
 * reservations its cache does not know about yet and refuses when the pod would no longer fit. A
 * refusal returns those foreign reservations so the caller can count them and decide again.
 * Reservations expire after a TTL (by then every scheduler's watch shows the binding) and are
 * dropped when their pod is deleted or its bind fails.
 */
import type { Redis } from 'ioredis';
import type { NodeInfo, PodInfo, Resources } from './types.js';

/**
 * KEYS[1] the node's reservation hash (field: pod uid, value: "reservedAtMs,cpu,memory,ephemeral,pods")
 * ARGV[1] now (ms)  ARGV[2] ttl (ms)  ARGV[3] pod uid  ARGV[4] request "cpu,memory,ephemeral,pods"
 * ARGV[5] free in the caller's view "cpu,memory,ephemeral,pods"  ARGV[6..] uids the caller already counts
 * Returns 1 when reserved, else the foreign reservations as a flat [uid, value, ...] list.
 */
const RESERVE_1 = `
local function split(s)
  local out = {}
  for x in string.gmatch(s, '[^,]+') do out[#out + 1] = tonumber(x) end
  return out
end
local now, ttl, uid = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local req, free = split(ARGV[4]), split(ARGV[5])
local known = {}
for i = 6, #ARGV do known[ARGV[i]] = true end
local used = {0, 0, 0, 0}
local foreign = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local v = split(all[i + 1])
  if v[1] + ttl < now then
    redis.call('HDEL', KEYS[1], all[i])
  elseif all[i] ~= uid and not known[all[i]] then
    for j = 1, 4 do used[j] = used[j] + v[j + 1] end
    foreign[#foreign + 1] = all[i]
    foreign[#foreign + 1] = all[i + 1]
  end
end
for j = 1, 4 do
  if req[j] > 0 and used[j] + req[j] > free[j] then return foreign end
end
redis.call('HSET', KEYS[1], uid, ARGV[1] .. ',' .. ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`;

/** A reservation another scheduler holds that this one's cache does not show yet. */
export interface ForeignReservation {
  uid: string;
  requests: Pick<Resources, 'milliCPU' | 'memory' | 'ephemeralStorage' | 'pods'>;
}

export type ReserveResult = { ok: true } | { ok: false; foreign: ForeignReservation[] };

export const RESERVATION_TTL_MS = 30_000;

const vector = (r: Pick<Resources, 'milliCPU' | 'memory' | 'ephemeralStorage' | 'pods'>) => `${r.milliCPU},${r.memory},${r.ephemeralStorage},${r.pods}`;

export class Reservations {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = RESERVATION_TTL_MS,
  ) {
    // EVALSHA with a fallback to EVAL, through ioredis' script cache
    redis.defineCommand('berthSchedulerReserve', { numberOfKeys: 1, lua: RESERVE_1 });
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
    const reserve = (this.redis as unknown as { berthSchedulerReserve(...args: (string | number)[]): Promise<number | string[]> }).berthSchedulerReserve;
    const r = await reserve.call(this.redis, this.key(node.name), Date.now(), this.ttlMs, pod.uid, vector(pod.requests), vector(free), ...known);
    if (r === 1) return { ok: true };
    const foreign: ForeignReservation[] = [];
    const list = r as string[];
    for (let i = 0; i < list.length; i += 2) {
      const [, milliCPU, memory, ephemeralStorage, pods] = list[i + 1].split(',').map(Number);
      foreign.push({ uid: list[i], requests: { milliCPU, memory, ephemeralStorage, pods } });
    }
    return { ok: false, foreign };
  }

  /** Drops a pod's reservation (its bind failed, or it is gone). */
  async release(node: string, uid: string): Promise<void> {
    await this.redis.hdel(this.key(node), uid);
  }
}
