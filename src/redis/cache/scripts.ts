/**
 * The Lua scripts of a Cache: the compare-and-set write of the lost-update rule, and taking a
 * key's load lease (given back with scripts/release-token.ts).
 * @module
 */

/** Sets `token` to the token of the entry `KEYS[1]`, as entry.ts reads it. */
const TOKEN_OF_ENTRY_LUA = `
local current = redis.call('GET', KEYS[1])
local token = ''
if current then
  token = string.match(current, '^bwc1|([^|]*)|') or '!'
end`;

/**
 * Writes `ARGV[2]` to `KEYS[1]` for `ARGV[3]` ms only if the key's token is still `ARGV[1]`, the
 * token the load read before it began (see entry.ts: the generation of a `bwc1|` entry, `''`
 * for no key, `'!'` for anything else). Replies 1 when written, 0 when a newer write (a `set`,
 * a `delete`'s marker, another load) got there first. One key: one slot on a Cluster.
 */
export const WRITE_IF_UNCHANGED_LUA = `${TOKEN_OF_ENTRY_LUA}
if token ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

/**
 * Takes the lease `KEYS[2]` of the entry `KEYS[1]` for `ARGV[3]` ms with the holder token
 * `ARGV[2]`, only if the entry's token is still `ARGV[1]` (what the caller read: if it changed,
 * another process has loaded the key since, and the caller should read it instead). Replies 1
 * when taken, 0 when another holder has it, -1 when the entry changed. Both keys share the
 * entry's hash tag: one slot on a Cluster.
 */
export const TAKE_LEASE_LUA = `${TOKEN_OF_ENTRY_LUA}
if token ~= ARGV[1] then return -1 end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end
return 0
`;

/**
 * Stores `ARGV[1]` under the entry `KEYS[1]` for `ARGV[2]` ms whatever is there (a `set`, or a
 * `delete`'s marker) and drops the key's lease `KEYS[2]`: a load that began before may not
 * write (its token no longer matches), so nobody should wait for it.
 */
export const REPLACE_LUA = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
return 1
`;

/**
 * Adds the entry key `ARGV[1]` to the tag set `KEYS[1]` and makes the set live at least
 * `ARGV[2]` ms (as long as its longest-lived entry). One key: the tag's own slot.
 */
export const TAG_LUA = `
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`;

/**
 * Replies with the members of the tag set `KEYS[1]` and deletes it, at once: an entry tagged
 * after this belongs to the next invalidation.
 */
export const TAKE_TAG_LUA = `
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return members
`;
