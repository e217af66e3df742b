/**
 * The store's Lua scripts: every write is one script, so the compare-and-swap on resourceVersion, the
 * counter INCR, the object, its index entry and the change-stream entry change together or not at all
 * (ARCHITECTURE rule 5). Conventions, as BullMQ's: each script's header lists KEYS and ARGV, the command
 * name ends in its key count, and a script signals a failure with a negative integer that `scriptError`
 * alone turns into a StatusError.
 *
 * Objects are never decoded in Lua (cjson would re-format numbers and turn [] into {}): the caller sends
 * the JSON text with `metadata.resourceVersion` set to RV_PLACEHOLDER, and the script splices the new rv
 * in place of its first occurrence.
 */
import { errors, StatusError, type ObjectRef } from '../api/errors.js';

/** Stands in for the resourceVersion in the JSON a write sends; must occur in it exactly once. */
export const RV_PLACEHOLDER = '@@BERTH-RV@@';

/** Negative replies of the scripts. */
export const ScriptCode = {
  NotFound: -1,
  AlreadyExists: -2,
  Conflict: -3,
  NoPlaceholder: -4,
  ClaimTaken: -5,
} as const;

/**
 * A write claimed a unique value (a clusterIP, a nodePort) that another object holds. Its reason is
 * Conflict, so a read-modify-write retries with fresh state; the API layer looks at who holds what
 * (`claimHolders`) to turn it into the 422 a user sees when they asked for that value.
 */
export class ClaimTakenError extends StatusError {
  constructor(ref: ObjectRef) {
    super('Conflict', `Operation cannot be fulfilled on ${ref.group ? `${ref.resource}.${ref.group}` : ref.resource} "${ref.name ?? ''}": a value it claims is allocated to another object`, { kind: ref.resource, name: ref.name });
  }
}

/** The one mapper from a script's negative reply to the error the caller sees. */
export function scriptError(code: number, ref: ObjectRef): StatusError {
  switch (code) {
    case ScriptCode.NotFound:
      return errors.notFound(ref);
    case ScriptCode.AlreadyExists:
      return errors.alreadyExists(ref);
    case ScriptCode.Conflict:
      return errors.conflict(ref);
    case ScriptCode.ClaimTaken:
      return new ClaimTakenError(ref);
    case ScriptCode.NoPlaceholder:
      return errors.internal(`store write of ${ref.resource} "${ref.name ?? ''}" carried no resourceVersion placeholder`);
    default:
      return errors.internal(`store script returned unknown code ${code}`);
  }
}

/**
 * Shared by the write scripts, which all take ARGV[1..7] = json, placeholder, group, resource,
 * namespace, name, stream max length. `splice` returns the JSON with the rv in place of the placeholder;
 * `publish` INCRs the counter and appends the event `<rv>-0` to the stream (trimmed with MAXLEN ~).
 */
const WRITE_PRELUDE = `
local function placeholderAt()
  return string.find(ARGV[1], ARGV[2], 1, true)
end
local function splice(s, e, rv)
  return string.sub(ARGV[1], 1, s - 1) .. rv .. string.sub(ARGV[1], e + 1)
end
local function publish(counterKey, streamKey, eventType, s, e, prev)
  local rv = tostring(redis.call('INCR', counterKey))
  local json = splice(s, e, rv)
  if prev and prev ~= '' then
    redis.call('XADD', streamKey, 'MAXLEN', '~', ARGV[7], rv .. '-0',
      'type', eventType, 'group', ARGV[3], 'resource', ARGV[4], 'namespace', ARGV[5], 'name', ARGV[6], 'json', json, 'prev', prev)
  else
    redis.call('XADD', streamKey, 'MAXLEN', '~', ARGV[7], rv .. '-0',
      'type', eventType, 'group', ARGV[3], 'resource', ARGV[4], 'namespace', ARGV[5], 'name', ARGV[6], 'json', json)
  end
  return rv, json
end
`;

export interface ScriptDef {
  /** the ioredis command name; ends in the number of keys */
  name: string;
  numberOfKeys: number;
  lua: string;
}

/**
 * create-5: adds an object that must not exist, with the unique values it claims.
 * KEYS[1] object hash, KEYS[2] resource index, KEYS[3] rv counter, KEYS[4] change stream, KEYS[5] claims hash
 * ARGV[1] json with placeholder, ARGV[2] placeholder, ARGV[3] group, ARGV[4] resource, ARGV[5] namespace,
 * ARGV[6] name, ARGV[7] stream max length, ARGV[8] index member `<ns>/<name>`, ARGV[9] claim owner,
 * ARGV[10..] claims (fields of the claims hash, e.g. `clusterip/10.96.0.10`), none held by anyone
 * Returns the new rv (string), or AlreadyExists / ClaimTaken / NoPlaceholder.
 */
export const createScript: ScriptDef = {
  name: 'berthCreate5',
  numberOfKeys: 5,
  lua: `${WRITE_PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 1 then return ${ScriptCode.AlreadyExists} end
for i = 10, #ARGV do
  if redis.call('HEXISTS', KEYS[5], ARGV[i]) == 1 then return ${ScriptCode.ClaimTaken} end
end
local s, e = placeholderAt()
if not s then return ${ScriptCode.NoPlaceholder} end
local rv, json = publish(KEYS[3], KEYS[4], 'ADDED', s, e)
redis.call('HSET', KEYS[1], 'rv', rv, 'json', json)
redis.call('ZADD', KEYS[2], 0, ARGV[8])
for i = 10, #ARGV do redis.call('HSET', KEYS[5], ARGV[i], ARGV[9]) end
return rv
`,
};

/**
 * update-4: replaces an object whose rv is ARGV[8]; claims and releases unique values with it.
 * KEYS[1] object hash, KEYS[2] rv counter, KEYS[3] change stream, KEYS[4] claims hash
 * ARGV[1..7] as create, ARGV[8] expected current rv, ARGV[9] the caller's `prev` note for the event ('' = none),
 * ARGV[10] claim owner, ARGV[11] n, ARGV[12..11+n] claims (free or the owner's), the rest releases
 * (removed where the owner holds them)
 * Returns the new rv (string), or NotFound / Conflict / ClaimTaken / NoPlaceholder.
 */
export const updateScript: ScriptDef = {
  name: 'berthUpdate4',
  numberOfKeys: 4,
  lua: `${WRITE_PRELUDE}
local current = redis.call('HGET', KEYS[1], 'rv')
if not current then return ${ScriptCode.NotFound} end
if current ~= ARGV[8] then return ${ScriptCode.Conflict} end
local n = tonumber(ARGV[11])
for i = 12, 11 + n do
  local holder = redis.call('HGET', KEYS[4], ARGV[i])
  if holder and holder ~= ARGV[10] then return ${ScriptCode.ClaimTaken} end
end
local s, e = placeholderAt()
if not s then return ${ScriptCode.NoPlaceholder} end
local rv, json = publish(KEYS[2], KEYS[3], 'MODIFIED', s, e, ARGV[9])
redis.call('HSET', KEYS[1], 'rv', rv, 'json', json)
for i = 12, 11 + n do redis.call('HSET', KEYS[4], ARGV[i], ARGV[10]) end
for i = 12 + n, #ARGV do
  if redis.call('HGET', KEYS[4], ARGV[i]) == ARGV[10] then redis.call('HDEL', KEYS[4], ARGV[i]) end
end
return rv
`,
};

/**
 * delete-5: removes an object whose rv is ARGV[8] and releases the unique values it held; the
 * DELETED event carries ARGV[1] (the object's last state) with the deletion's rv.
 * KEYS[1] object hash, KEYS[2] resource index, KEYS[3] rv counter, KEYS[4] change stream, KEYS[5] claims hash
 * ARGV[1..7] as create, ARGV[8] expected current rv, ARGV[9] index member `<ns>/<name>`, ARGV[10] claim
 * owner, ARGV[11..] releases (removed where the owner holds them)
 * Returns the deletion's rv (string), or NotFound / Conflict / NoPlaceholder.
 */
export const deleteScript: ScriptDef = {
  name: 'berthDelete5',
  numberOfKeys: 5,
  lua: `${WRITE_PRELUDE}
local current = redis.call('HGET', KEYS[1], 'rv')
if not current then return ${ScriptCode.NotFound} end
if current ~= ARGV[8] then return ${ScriptCode.Conflict} end
local s, e = placeholderAt()
if not s then return ${ScriptCode.NoPlaceholder} end
local rv = publish(KEYS[3], KEYS[4], 'DELETED', s, e)
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[9])
for i = 11, #ARGV do
  if redis.call('HGET', KEYS[5], ARGV[i]) == ARGV[10] then redis.call('HDEL', KEYS[5], ARGV[i]) end
end
return rv
`,
};

/**
 * list-3: a consistent snapshot of one lex range of a resource's index, with the counter it reflects.
 * KEYS[1] resource index, KEYS[2] rv counter, KEYS[3] change stream
 * ARGV[1] object key prefix (object key = prefix .. member), ARGV[2] ZRANGEBYLEX min, ARGV[3] max,
 * ARGV[4] limit (0 = all)
 * Returns {counter, oldest retained stream id or '', remaining after this page, m1, rv1, json1, m2, ...}.
 * The object keys are derived from index members, not passed in KEYS; they carry the same hash tag, so
 * they are in the script's slot and this runs on Redis Cluster too.
 */
export const listScript: ScriptDef = {
  name: 'berthList3',
  numberOfKeys: 3,
  lua: `
local limit = tonumber(ARGV[4])
local members
if limit > 0 then
  members = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[2], ARGV[3], 'LIMIT', 0, limit)
else
  members = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[2], ARGV[3])
end
local remaining = 0
if limit > 0 and #members == limit then
  remaining = redis.call('ZLEXCOUNT', KEYS[1], '(' .. members[#members], ARGV[3])
end
local oldest = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)
local out = { redis.call('GET', KEYS[2]) or '0', oldest[1] and oldest[1][1] or '', remaining }
for _, m in ipairs(members) do
  local o = redis.call('HMGET', ARGV[1] .. m, 'rv', 'json')
  if o[1] then
    out[#out + 1] = m
    out[#out + 1] = o[1]
    out[#out + 1] = o[2]
  end
end
return out
`,
};

export const allScripts: readonly ScriptDef[] = [createScript, updateScript, deleteScript, listScript];
