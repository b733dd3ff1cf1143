/**
 * The Lua script of a `sliding-window` decision: per window one string holding the start of the
 * current bucket, its count and the previous bucket's count, packed as three little-endian
 * doubles (24 bytes).
 * @module
 */
import type { RedisTimeSource } from '../options';
import { ADMITTED_REPLY, KEEP_LONGEST_WAIT, KEEP_TIGHTEST } from './shared-lua';

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
 * The body after {@link WINDOW_TIME}. KEYS: one string per window. ARGV after the time:
 * `cost, limit1, windowMs1, limit2, windowMs2, …`.
 *
 * Rolls each window's buckets to `now`, estimates the units in the last `windowMs` as
 * `previous × (overlap of the previous bucket) + current`, refuses (writing nothing) when any
 * window lacks room for `cost`, else writes `cost` more in every current bucket with one
 * `SET … PX` (value and TTL in one command: until the bucket stops counting, ≥ the window). The
 * same arithmetic as the in-memory `SlidingWindowCounter`.
 *
 * Cost per decision: `TIME`, then one `GET` and one `SET` per window. Every `redis.call` costs
 * about a µs of script overhead, and a number passed to one is formatted as text; the packed
 * state (Redis's `struct` library) needs neither a hash nor a separate PEXPIRE, nor number
 * formatting but for the TTL. `state` holds six numbers per window (limit, windowMs, bucket
 * start, current, previous, estimate), sized for one window up front.
 */
const BODY = `local cost = tonumber(ARGV[a + 1])
local n = #KEYS
local floor, ceil = math.floor, math.ceil
local state = {0, 0, 0, 0, 0, 0}
local refusing, wait = 0, 0
for i = 1, n do
  local limit, window = tonumber(ARGV[a + 2 * i]), tonumber(ARGV[a + 1 + 2 * i])
  local start = floor(now / window) * window
  local current, previous = 0, 0
  local packed = redis.call('GET', KEYS[i])
  if packed then
    local oldStart, oldCurrent, oldPrevious = struct.unpack('<ddd', packed)
    if oldStart == start then
      current, previous = oldCurrent, oldPrevious
    elseif start - oldStart == window then
      previous = oldCurrent
    end
  end
  local estimate = previous * (window - (now - start)) / window + current
  local j = 6 * i
  state[j - 5], state[j - 4], state[j - 3], state[j - 2], state[j - 1], state[j] = limit, window, start, current, previous, estimate
  if estimate + cost > limit then
    local w
    if cost > limit then
      w = -1
    else
      local fraction
      if current + cost > limit then
        fraction = 2 - (limit - cost) / current
      else
        fraction = 1 - (limit - current - cost) / previous
      end
      w = ceil(start + fraction * window - now)
      if w < 1 then w = 1 end
    end
    ${KEEP_LONGEST_WAIT}
  end
end
if refusing > 0 then
  local j = 6 * refusing
  local window, start = state[j - 4], state[j - 3]
  local at = now
  if state[j - 2] > 0 then at = start + 2 * window elseif state[j - 1] > 0 then at = start + window end
  local left = floor(state[j - 5] - state[j])
  if left < 0 then left = 0 end
  return {left, ceil(at - now), refusing, wait}
end
local tightest, remaining, reset = 0, 0, 0
for i = 1, n do
  local j = 6 * i
  local window, start = state[j - 4], state[j - 3]
  local ttl = ceil(start + 2 * window - now)
  redis.call('SET', KEYS[i], struct.pack('<ddd', start, state[j - 2] + cost, state[j - 1]), 'PX', ttl)
  local left = floor(state[j - 5] - state[j] - cost)
  ${KEEP_TIGHTEST}
end
${ADMITTED_REPLY}`;

/**
 * The `sliding-window` script for each time source. Replies as {@link ADMITTED_REPLY} says when
 * admitted, `{remaining, resetMs, window index, retryAfterMs}` when refused (`retryAfterMs` -1 for
 * never: a cost above the limit).
 */
export const SLIDING_WINDOW_SCRIPTS: Readonly<Record<RedisTimeSource, string>> = {
  server: `${WINDOW_TIME.server}\n${BODY}`,
  client: `${WINDOW_TIME.client}\n${BODY}`,
};
