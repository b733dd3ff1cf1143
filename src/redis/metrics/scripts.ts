/**
 * The Lua script of a {@link RedisMetricsSink}: one call per flush, atomic on the slot of the
 * sink's prefix (every key carries the hash tag `{prefix}`).
 * @module
 * @internal
 */

/**
 * Writes one flush. KEYS: the sequence hash, then one metric hash per metric of the batch.
 * ARGV: sinkId, seq, ttlMs, then per metric: its metadata JSON, its number of ops, and the ops
 * as triples `op, field, value` (`i` adds, `c` sets if absent, `g` sets a gauge and its `_time:`
 * field to Redis's `TIME` in ms). Replies 1 when written, 0 when this sink already wrote `seq`
 * or a later one (a flush sent again after its reply was lost): nothing is added twice.
 */
export const FLUSH_LUA = `local seq = tonumber(ARGV[2])
local last = tonumber(redis.call('hget', KEYS[1], ARGV[1]) or '0')
local ttl = ARGV[3]
if seq <= last then
  return 0
end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('pexpire', KEYS[1], ttl)
local t = redis.call('time')
local now = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
local a = 4
for k = 2, #KEYS do
  local key = KEYS[k]
  redis.call('hset', key, '#meta', ARGV[a])
  local n = tonumber(ARGV[a + 1])
  a = a + 2
  for i = 1, n do
    local op, field, value = ARGV[a], ARGV[a + 1], ARGV[a + 2]
    a = a + 3
    if op == 'i' then
      redis.call('hincrbyfloat', key, field, value)
    elseif op == 'c' then
      redis.call('hsetnx', key, field, value)
    else
      redis.call('hset', key, '_gauge:' .. field, value, '_time:' .. field, now)
    end
  end
  redis.call('pexpire', key, ttl)
end
return 1`;
