/**
 * The Lua scripts of a Cache: the compare-and-set write of the lost-update rule, and the
 * release of a refresh lease.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/**
 * Writes `ARGV[2]` to `KEYS[1]` for `ARGV[3]` ms only if the key's token is still `ARGV[1]`, the
 * token the load read before it began (see entry.ts: the generation of a `bwc1|` entry, `''`
 * for no key, `'!'` for anything else). Replies 1 when written, 0 when a newer write (a `set`,
 * a `delete`'s marker, another load) got there first. One key: one slot on a Cluster.
 */
export const WRITE_IF_UNCHANGED_LUA = `
local current = redis.call('GET', KEYS[1])
local token = ''
if current then
  token = string.match(current, '^bwc1|([^|]*)|') or '!'
end
if token ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

/**
 * Deletes the lease `KEYS[1]` only if it still holds this holder's token `ARGV[1]` (a lease
 * that expired and was taken by another process is left alone). Replies 1 when deleted.
 */
export const RELEASE_LEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** A one-key script command as ioredis's `defineCommand` adds it to the connection. */
export type ScriptCommand = (key: string, ...args: string[]) => Promise<unknown>;

/**
 * The script `lua` as a command of `redis` (one key), defined on first use and bound to it. The
 * script's fingerprint is in the name, so that another copy of bulwark sharing the connection
 * defines its own command instead of lending this one a foreign script. ioredis runs it with
 * EVALSHA and falls back to EVAL on NOSCRIPT by itself.
 */
export function scriptCommand(redis: Redis | Cluster, stem: string, lua: string): ScriptCommand {
  const name = `${stem}_${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`;
  const commands = redis as unknown as Record<string, ScriptCommand>;
  if (typeof commands[name] !== 'function') redis.defineCommand(name, { numberOfKeys: 1, lua });
  return (commands[name] as ScriptCommand).bind(redis);
}
