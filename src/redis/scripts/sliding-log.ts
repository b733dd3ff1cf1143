/**
 * The Lua script of a `sliding-log` decision: one sorted set per window, one member per admitted
 * unit, scored by its admission time in µs since the epoch.
 * @module
 */
import type { RedisTimeSource } from '../options';
import { ADMITTED_REPLY, KEEP_LONGEST_WAIT } from './shared-lua';

/**
 * Lua that defines `now`, the time in µs, `score`, the same as integer text, and `a`, the number
 * of ARGV entries before the script's own arguments: the server's `TIME` and no argument, or the
 * client's time in ms as `ARGV[1]`. Scores are integers in text because Redis formats a number
 * passed to a command with `%.17g`, which costs about a µs for a fraction.
 */
const LOG_TIME: Readonly<Record<RedisTimeSource, string>> = {
  server: `local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local score = t[1] .. string.sub('00000' .. t[2], -6)
local a = 0`,
  client: `local now = tonumber(ARGV[1]) * 1000
local score = ARGV[1] .. '000'
local a = 1`,
};

/**
 * The body after {@link LOG_TIME}. KEYS: one sorted set per window. ARGV after the time:
 * `cost, nonce, limit1, windowMs1, limit2, windowMs2, …`.
 *
 * Drops the members older than each window, refuses (writing nothing) when any window lacks room
 * for `cost` units, else adds `cost` members and sets PEXPIRE to the window on every set. The
 * nonce is unique to the request (process id + counter), so one unit's member is the nonce
 * itself and a unit of a larger cost is `nonce:unit`: two hits in one µs never collapse into one
 * member. Members are added at most 1,000 per ZADD, within Lua's stack.
 *
 * Cost per decision: `TIME`, then per window `ZREMRANGEBYSCORE`, `ZCARD`, `ZADD` and `PEXPIRE`
 * (a refusal reads one or two `ZRANGE`s instead of writing). An integer `windowMs` goes to
 * PEXPIRE as the text the client sent, so that Redis formats no number for it (and a fractional
 * one is rounded up: PEXPIRE takes integers). `state` holds three numbers per window (limit,
 * windowMs, count), sized for one window up front.
 */
const BODY = `local cost = tonumber(ARGV[a + 1])
local nonce = ARGV[a + 2]
local n = #KEYS
local ceil = math.ceil
local ZADD_BATCH = 1000
local state = {0, 0, 0}
local refusing, wait = 0, 0
for i = 1, n do
  local limit, window = tonumber(ARGV[a + 1 + 2 * i]), tonumber(ARGV[a + 2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window * 1000)
  local count = redis.call('ZCARD', KEYS[i])
  local j = 3 * i
  state[j - 2], state[j - 1], state[j] = limit, window, count
  if count + cost > limit then
    local w = -1
    if cost <= limit then
      local oldest = redis.call('ZRANGE', KEYS[i], count + cost - limit - 1, count + cost - limit - 1, 'WITHSCORES')
      w = ceil((tonumber(oldest[2]) - now) / 1000 + window)
      if w < 1 then w = 1 end
    end
    ${KEEP_LONGEST_WAIT}
  end
end
if refusing > 0 then
  local j = 3 * refusing
  local newest = redis.call('ZRANGE', KEYS[refusing], -1, -1, 'WITHSCORES')
  local reset = 0
  if newest[2] then reset = ceil((tonumber(newest[2]) - now) / 1000 + state[j - 1]) end
  if reset < 0 then reset = 0 end
  return {state[j - 2] - state[j], reset, refusing, wait}
end
local tightest, remaining, reset = 0, 0, 0
for i = 1, n do
  local j = 3 * i
  local window = state[j - 1]
  if cost == 1 then
    redis.call('ZADD', KEYS[i], score, nonce)
  else
    local members, size = {}, 0
    for u = 1, cost do
      members[size + 1] = score
      members[size + 2] = nonce .. ':' .. u
      size = size + 2
      if size == 2 * ZADD_BATCH or u == cost then
        redis.call('ZADD', KEYS[i], unpack(members, 1, size))
        size = 0
      end
    end
  end
  local ttl = ceil(window)
  if ttl == window then ttl = ARGV[a + 2 + 2 * i] end
  redis.call('PEXPIRE', KEYS[i], ttl)
  local left = state[j - 2] - state[j] - cost
  if tightest == 0 or left < remaining then
    tightest, remaining, reset = i, left, ceil(window)
  end
end
${ADMITTED_REPLY}`;

/**
 * The `sliding-log` script for each time source. Replies as {@link ADMITTED_REPLY} says when
 * admitted, `{remaining, resetMs, window index, retryAfterMs}` when refused (`retryAfterMs` -1 for
 * never: a cost above the limit).
 */
export const SLIDING_LOG_SCRIPTS: Readonly<Record<RedisTimeSource, string>> = {
  server: `${LOG_TIME.server}\n${BODY}`,
  client: `${LOG_TIME.client}\n${BODY}`,
};
