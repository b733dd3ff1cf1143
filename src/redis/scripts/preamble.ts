/**
 * The argument parsing shared by the Lua scripts of a RedisStore.
 * @module
 */

/**
 * ARGV: `[clientNowMs or '', cost, nonce, limit1, windowMs1, limit2, windowMs2, ...]`, one pair
 * per window, in the order of KEYS. Defines `now` (ms with µs precision: the server's `TIME`
 * unless the client sent its own), `stamp` (the same instant as text, exact), `cost`, `nonce` and
 * `n` (the number of windows).
 */
export const SCRIPT_PREAMBLE = `local now, stamp
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
  stamp = t[1] .. string.format('%06d', tonumber(t[2]))
else
  now = tonumber(ARGV[1])
  stamp = ARGV[1]
end
local cost = tonumber(ARGV[2])
local nonce = ARGV[3]
local n = #KEYS`;
