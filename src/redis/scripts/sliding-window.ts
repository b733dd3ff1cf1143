/**
 * The Lua script of a `sliding-window` decision: per window one string holding the start of the
 * current bucket, its count and the previous bucket's count, packed as three little-endian
 * doubles (24 bytes).
 * @module
 */
import type { RedisTimeSource } from '../options';
import { decisionBody, uniformShape, type WindowLua } from './shared-lua';

/**
 * Lua that defines `now`, the time in ms (µs precision), and `a`, the number of ARGV entries
 * before the script's own arguments: the server's `TIME` and no argument, or the client's time as
 * `ARGV[1]`. Sending no placeholder in server mode keeps the hot path one argument shorter.
 */
const WINDOW_TIME: Readonly<Record<RedisTimeSource, string>> = {
  server: `local t = redis.call('TIME')
local now = t[1] * 1000 + t[2] / 1000
local a = 0`,
  client: `local now = tonumber(ARGV[1])
local a = 1`,
};

/**
 * The Lua of a `sliding-window` window in a decision (see {@link decisionBody}): `param` is the
 * window in ms and `now` the time in ms. Rolls the window's buckets to `now` and estimates the
 * units in the last `param` ms as `previous × (overlap of the previous bucket) + current`; an
 * admission writes `cost` more in the current bucket with one `SET … PX` (value and TTL in one
 * command: until the bucket stops counting, ≥ the window). The same arithmetic as the in-memory
 * `SlidingWindowCounter`.
 *
 * Cost per window: one `GET` and one `SET`. The packed state (Redis's `struct` library) needs
 * neither a hash nor a separate PEXPIRE, nor number formatting but for the TTL. Keeps the bucket
 * start, current and previous counts and the estimate in `state`.
 */
export const SLIDING_WINDOW: WindowLua = {
  slots: 4,
  check: `local start = floor(now / param) * param
  local current, previous = 0, 0
  local packed = redis.call('GET', KEYS[i])
  if packed then
    local oldStart, oldCurrent, oldPrevious = struct.unpack('<ddd', packed)
    if oldStart == start then
      current, previous = oldCurrent, oldPrevious
    elseif start - oldStart == param then
      previous = oldCurrent
    end
  end
  local estimate = previous * (param - (now - start)) / param + current
  state[j - 3], state[j - 2], state[j - 1], state[j] = start, current, previous, estimate
  if estimate + cost > limit then
    if cost > limit then
      w = -1
    else
      local fraction
      if current + cost > limit then
        fraction = 2 - (limit - cost) / current
      else
        fraction = 1 - (limit - current - cost) / previous
      end
      w = ceil(start + fraction * param - now)
      if w < 1 then w = 1 end
    end
  end`,
  refuse: `local at = now
  if state[j - 2] > 0 then at = state[j - 3] + 2 * param elseif state[j - 1] > 0 then at = state[j - 3] + param end
  left = floor(limit - state[j])
  reset = ceil(at - now)`,
  admit: `local start = state[j - 3]
  ttl = ceil(start + 2 * param - now)
  redis.call('SET', KEYS[i], struct.pack('<ddd', start, state[j - 2] + cost, state[j - 1]), 'PX', ttl)
  left = floor(limit - state[j] - cost)`,
};

const BODY = decisionBody(uniformShape(SLIDING_WINDOW, false));

/**
 * The `sliding-window` script for each time source. KEYS: one string per window. ARGV after the
 * time: `cost, limit1, windowMs1, limit2, windowMs2, …`. Replies as {@link decisionBody} says.
 */
export const SLIDING_WINDOW_SCRIPTS: Readonly<Record<RedisTimeSource, string>> = {
  server: `${WINDOW_TIME.server}\n${BODY}`,
  client: `${WINDOW_TIME.client}\n${BODY}`,
};
