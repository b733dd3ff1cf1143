/**
 * The Lua script of a Cache: the compare-and-set write of the lost-update rule.
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

/** A script command as ioredis's `defineCommand` adds it to the connection. */
export type WriteIfUnchanged = (key: string, token: string, text: string, ttlMs: string) => Promise<unknown>;

/**
 * The name of the write command on `redis`, defined on first use. The script's fingerprint is in
 * the name, so that another copy of bulwark sharing the connection defines its own command
 * instead of lending this one a foreign script. ioredis runs it with EVALSHA and falls back to
 * EVAL on NOSCRIPT by itself.
 */
export function defineWriteIfUnchanged(redis: Redis | Cluster): string {
  const name = `bulwarkCacheWrite_${createHash('sha1').update(WRITE_IF_UNCHANGED_LUA).digest('hex').slice(0, 12)}`;
  if (typeof (redis as unknown as Record<string, unknown>)[name] !== 'function') {
    redis.defineCommand(name, { numberOfKeys: 1, lua: WRITE_IF_UNCHANGED_LUA });
  }
  return name;
}
