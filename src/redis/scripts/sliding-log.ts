/**
 * The Lua script of a `sliding-log` decision: one sorted set per window, one member per admitted
 * unit, scored by its admission time in ms (µs precision).
 * @module
 */
import { SCRIPT_PREAMBLE } from './preamble';

/**
 * KEYS: one sorted set per window. ARGV: see {@link SCRIPT_PREAMBLE}.
 *
 * Drops the members older than each window, refuses (writing nothing) when any window lacks room
 * for `cost` units, else adds `cost` members unique to this request (time in µs, the caller's
 * nonce and the unit's index: two hits in one ms never collapse into one) and sets PEXPIRE to the
 * window on every set (members are added at most 1,000 per ZADD, within Lua's stack). Replies `{allowed, window index, remaining, resetMs, retryAfterMs}`
 * (`retryAfterMs` -1 for never).
 */
export const SLIDING_LOG_SCRIPT = `${SCRIPT_PREAMBLE}
local ZADD_BATCH = 1000
local counts = {}
local refusing, wait = 0, 0
for i = 1, n do
  local limit, window = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  counts[i] = count
  local w = 0
  if cost > limit then
    w = -1
  elseif count + cost > limit then
    local oldest = redis.call('ZRANGE', KEYS[i], count + cost - limit - 1, count + cost - limit - 1, 'WITHSCORES')
    w = math.max(1, math.ceil(tonumber(oldest[2]) + window - now))
  end
  if w == -1 or (w > 0 and wait ~= -1 and w >= wait) then
    wait = w
    refusing = i
  end
end
local function resetOf(i, window)
  local newest = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
  if newest[2] == nil then return 0 end
  return math.max(0, math.ceil(tonumber(newest[2]) + window - now))
end
if refusing > 0 then
  local limit, window = tonumber(ARGV[2 + 2 * refusing]), tonumber(ARGV[3 + 2 * refusing])
  return {0, refusing, limit - counts[refusing], resetOf(refusing, window), wait}
end
local function addUnits(key)
  local members, size = {}, 0
  for u = 1, cost do
    members[size + 1] = now
    members[size + 2] = stamp .. ':' .. nonce .. ':' .. u
    size = size + 2
    if size == 2 * ZADD_BATCH or u == cost then
      redis.call('ZADD', key, unpack(members, 1, size))
      size = 0
    end
  end
end
local tightest, remaining = 1, math.huge
for i = 1, n do
  local limit, window = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
  addUnits(KEYS[i])
  redis.call('PEXPIRE', KEYS[i], window)
  local left = limit - counts[i] - cost
  if left < remaining then
    remaining = left
    tightest = i
  end
end
return {1, tightest, remaining, math.ceil(tonumber(ARGV[3 + 2 * tightest])), 0}
`;
