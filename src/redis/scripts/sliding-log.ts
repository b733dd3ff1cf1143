/**
 * The Lua script of a `sliding-log` decision: one sorted set per window, one member per admitted
 * unit, scored by its admission time in µs since the epoch.
 * @module
 */
import type { RedisTimeSource } from '../options';
import { decisionBody, uniformShape, type WindowLua } from './shared-lua';

/**
 * Lua that defines `now`, the time in µs, `score`, the same as integer text, and `a`, the number
 * of ARGV entries before the script's own arguments: the server's `TIME` and no argument, or the
 * client's time in ms as `ARGV[1]`. Scores are integers in text because Redis formats a number
 * passed to a command with `%.17g`, which costs about a µs for a fraction.
 */
export const LOG_TIME: Readonly<Record<RedisTimeSource, string>> = {
  server: `local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local score = t[1] .. string.sub('00000' .. t[2], -6)
local a = 0`,
  client: `local now = tonumber(ARGV[1]) * 1000
local score = ARGV[1] .. '000'
local a = 1`,
};

/**
 * The Lua of a `sliding-log` window in a decision (see {@link decisionBody}): `param` is the
 * window in ms. Drops the members older than the window and counts the rest; a refusal reads one
 * or two `ZRANGE`s; an admission adds `cost` members and sets PEXPIRE to the window. The nonce is
 * unique to the request (process id + counter), so one unit's member is the nonce itself and a
 * unit of a larger cost is `nonce:unit`: two hits in one µs never collapse into one member.
 * Members are added at most 1,000 per ZADD, within Lua's stack.
 *
 * Cost per window: `ZREMRANGEBYSCORE`, `ZCARD`, `ZADD` and `PEXPIRE`. An integer window goes to
 * PEXPIRE as the text the client sent, so that Redis formats no number for it (and a fractional
 * one is rounded up: PEXPIRE takes integers). Keeps the count in `state`.
 */
export const LOG_WINDOW: WindowLua = {
  slots: 1,
  check: `redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - param * 1000)
  local count = redis.call('ZCARD', KEYS[i])
  state[j] = count
  if count + cost > limit then
    w = -1
    if cost <= limit then
      local oldest = redis.call('ZRANGE', KEYS[i], count + cost - limit - 1, count + cost - limit - 1, 'WITHSCORES')
      w = ceil((tonumber(oldest[2]) - now) / 1000 + param)
      if w < 1 then w = 1 end
    end
  end`,
  refuse: `local newest = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
  if newest[2] then reset = ceil((tonumber(newest[2]) - now) / 1000 + param) end
  if reset < 0 then reset = 0 end
  left = limit - state[j]`,
  admit: `if cost == 1 then
    redis.call('ZADD', KEYS[i], score, nonce)
  else
    -- ZADD takes at most 1,000 members (2,000 arguments) per call here, well under unpack's limit.
    local members, size, batch = {}, 0, 2000
    for u = 1, cost do
      members[size + 1] = score
      members[size + 2] = nonce .. ':' .. u
      size = size + 2
      if size == batch or u == cost then
        redis.call('ZADD', KEYS[i], unpack(members, 1, size))
        size = 0
      end
    end
  end
  ttl = ceil(param)
  local px = ttl
  if ttl == param then px = ARGV[k + 1] end
  redis.call('PEXPIRE', KEYS[i], px)
  left = limit - state[j] - cost`,
};

const BODY = decisionBody(uniformShape(LOG_WINDOW, true));

/**
 * The `sliding-log` script for each time source. KEYS: one sorted set per window. ARGV after the
 * time: `cost, nonce, limit1, windowMs1, limit2, windowMs2, …`. Replies as {@link decisionBody} says.
 */
export const SLIDING_LOG_SCRIPTS: Readonly<Record<RedisTimeSource, string>> = {
  server: `${LOG_TIME.server}\n${BODY}`,
  client: `${LOG_TIME.client}\n${BODY}`,
};
