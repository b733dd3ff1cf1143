/**
 * The Lua script of a `sliding-window` decision: per window one hash holding the start of the
 * current bucket (`s`), its count (`c`) and the previous bucket's count (`p`).
 * @module
 */
import { SCRIPT_PREAMBLE } from './preamble';

/**
 * KEYS: one hash per window. ARGV: see {@link SCRIPT_PREAMBLE}.
 *
 * Rolls each window's buckets to `now`, estimates the units in the last `windowMs` as
 * `previous × (overlap of the previous bucket) + current`, refuses (writing nothing) when any
 * window lacks room for `cost`, else adds `cost` to every current bucket and sets PEXPIRE to when
 * the bucket stops counting (≥ the window). The same arithmetic as the in-memory
 * `SlidingWindowCounter`. Replies `{allowed, window index, remaining, resetMs, retryAfterMs}`
 * (`retryAfterMs` -1 for never).
 */
export const SLIDING_WINDOW_SCRIPT = `${SCRIPT_PREAMBLE}
local starts, currents, previouses, estimates = {}, {}, {}, {}
local refusing, wait = 0, 0
for i = 1, n do
  local limit, window = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
  local state = redis.call('HMGET', KEYS[i], 's', 'c', 'p')
  local start = math.floor(now / window) * window
  local current, previous = tonumber(state[2]) or 0, tonumber(state[3]) or 0
  local oldStart = tonumber(state[1])
  if oldStart ~= start then
    if oldStart ~= nil and start - oldStart == window then previous = current else previous = 0 end
    current = 0
  end
  local estimate = previous * (window - (now - start)) / window + current
  starts[i], currents[i], previouses[i], estimates[i] = start, current, previous, estimate
  local w = 0
  if cost > limit then
    w = -1
  elseif estimate + cost > limit then
    local fraction
    if current + cost > limit then
      fraction = 1 + (1 - (limit - cost) / current)
    else
      fraction = 1 - (limit - current - cost) / previous
    end
    w = math.max(1, math.ceil(start + fraction * window - now))
  end
  if w == -1 or (w > 0 and wait ~= -1 and w >= wait) then
    wait = w
    refusing = i
  end
end
local function resetOf(i, window, current, previous)
  local at = -1
  if current > 0 then at = starts[i] + 2 * window elseif previous > 0 then at = starts[i] + window end
  if at < 0 then return 0 end
  return math.max(0, math.ceil(at - now))
end
if refusing > 0 then
  local i = refusing
  local limit, window = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
  return {0, i, math.max(0, math.floor(limit - estimates[i])), resetOf(i, window, currents[i], previouses[i]), wait}
end
local tightest, remaining = 1, math.huge
for i = 1, n do
  local limit, window = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
  local current = currents[i] + cost
  redis.call('HSET', KEYS[i], 's', starts[i], 'c', current, 'p', previouses[i])
  redis.call('PEXPIRE', KEYS[i], math.ceil(starts[i] + 2 * window - now))
  local left = math.max(0, math.floor(limit - estimates[i] - cost))
  if left < remaining then
    remaining = left
    tightest = i
  end
  currents[i] = current
end
local window = tonumber(ARGV[3 + 2 * tightest])
return {1, tightest, remaining, resetOf(tightest, window, currents[tightest], previouses[tightest]), 0}
`;
