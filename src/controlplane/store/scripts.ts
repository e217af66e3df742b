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
import { errors, type ObjectRef, type StatusError } from '../api/errors.js';

/** Stands in for the resourceVersion in the JSON a write sends; must occur in it exactly once. */
export const RV_PLACEHOLDER = '@@BERTH-RV@@';

/** Negative replies of the scripts. */
export const ScriptCode = {
  NotFound: -1,
  AlreadyExists: -2,
  Conflict: -3,
  NoPlaceholder: -4,
} as const;

/** The one mapper from a script's negative reply to the error the caller sees. */
export function scriptError(code: number, ref: ObjectRef): StatusError {
  switch (code) {
    case ScriptCode.NotFound:
      return errors.notFound(ref);
    case ScriptCode.AlreadyExists:
      return errors.alreadyExists(ref);
    case ScriptCode.Conflict:
      return errors.conflict(ref);
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
 * create-4: adds an object that must not exist.
 * KEYS[1] object hash, KEYS[2] resource index, KEYS[3] rv counter, KEYS[4] change stream
 * ARGV[1] json with placeholder, ARGV[2] placeholder, ARGV[3] group, ARGV[4] resource, ARGV[5] namespace,
 * ARGV[6] name, ARGV[7] stream max length, ARGV[8] index member `<ns>/<name>`
 * Returns the new rv (string), or AlreadyExists / NoPlaceholder.
 */
export const createScript: ScriptDef = {
  name: 'berthCreate4',
  numberOfKeys: 4,
  lua: `${WRITE_PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 1 then return ${ScriptCode.AlreadyExists} end
local s, e = placeholderAt()
if not s then return ${ScriptCode.NoPlaceholder} end
local rv, json = publish(KEYS[3], KEYS[4], 'ADDED', s, e)
redis.call('HSET', KEYS[1], 'rv', rv, 'json', json)
redis.call('ZADD', KEYS[2], 0, ARGV[8])
return rv
`,
};

/**
 * update-3: replaces an object whose rv is ARGV[8].
 * KEYS[1] object hash, KEYS[2] rv counter, KEYS[3] change stream
 * ARGV[1..7] as create, ARGV[8] expected current rv, ARGV[9] the caller's `prev` note for the event ('' = none)
 * Returns the new rv (string), or NotFound / Conflict / NoPlaceholder.
 */
export const updateScript: ScriptDef = {
  name: 'berthUpdate3',
  numberOfKeys: 3,
  lua: `${WRITE_PRELUDE}
local current = redis.call('HGET', KEYS[1], 'rv')
if not current then return ${ScriptCode.NotFound} end
if current ~= ARGV[8] then return ${ScriptCode.Conflict} end
local s, e = placeholderAt()
if not s then return ${ScriptCode.NoPlaceholder} end
local rv, json = publish(KEYS[2], KEYS[3], 'MODIFIED', s, e, ARGV[9])
redis.call('HSET', KEYS[1], 'rv', rv, 'json', json)
return rv
`,
};

/**
 * delete-4: removes an object whose rv is ARGV[8]; the DELETED event carries ARGV[1] (the object's last
 * state) with the deletion's rv.
 * KEYS[1] object hash, KEYS[2] resource index, KEYS[3] rv counter, KEYS[4] change stream
 * ARGV[1..7] as create, ARGV[8] expected current rv, ARGV[9] index member `<ns>/<name>`
 * Returns the deletion's rv (string), or NotFound / Conflict / NoPlaceholder.
 */
export const deleteScript: ScriptDef = {
  name: 'berthDelete4',
  numberOfKeys: 4,
  lua: `${WRITE_PRELUDE}
local current = redis.call('HGET', KEYS[1], 'rv')
if not current then return ${ScriptCode.NotFound} end
if current ~= ARGV[8] then return ${ScriptCode.Conflict} end
local s, e = placeholderAt()
if not s then return ${ScriptCode.NoPlaceholder} end
local rv = publish(KEYS[3], KEYS[4], 'DELETED', s, e)
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[9])
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
