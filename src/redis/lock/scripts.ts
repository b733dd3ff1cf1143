/**
 * The Lua scripts of a Lock. Each runs atomically on the node that owns the lock's slot.
 * @module
 */

/**
 * Takes the lock if it is free and counts the fence in the same step, so that the fence order is
 * the acquisition order. KEYS: lock, fence. ARGV: token, ttlMs. Replies `{fence, 0}` when it took
 * the lock, `{0, pttl}` (the holder's remaining ms, -1 for none) when another holder has it.
 */
export const ACQUIRE_LUA = `if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {redis.call('incr', KEYS[2]), 0}
end
return {0, redis.call('pttl', KEYS[1])}`;

/**
 * Sets the lock's time to live only if it still carries the token. KEYS: lock. ARGV: token,
 * ttlMs. Replies 1 or 0.
 */
export const EXTEND_LUA = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0`;
