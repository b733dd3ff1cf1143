/**
 * The Lua shared by the scripts of a RedisStore: where the time comes from, which refusing window
 * a refusal reports, and the reply of an admission.
 * @module
 */
import type { RedisTimeSource } from '../options';

/**
 * Lua that defines `now`, the time in ms (µs precision), and `a`, the number of ARGV entries
 * before the script's own arguments: the server's `TIME` and no argument, or the client's time as
 * `ARGV[1]`. Sending no placeholder in server mode keeps the hot path one argument shorter.
 */
export const TIME_PREAMBLE: Readonly<Record<RedisTimeSource, string>> = {
  server: `local t = redis.call('TIME')
local now = t[1] * 1000 + t[2] / 1000
local a = 0`,
  client: `local now = tonumber(ARGV[1])
local a = 1`,
};

/**
 * Lua that returns the reply of an admitted request: `{remaining, resetMs}`, followed by the
 * index of the tightest window when the rule has several. The common reply is two integers:
 * every element costs Redis and the client a conversion per decision.
 */
export const ADMITTED_REPLY = `if n == 1 then return {remaining, reset} end
return {remaining, reset, tightest}`;

/**
 * Lua, inside the loop over windows `i`, for a window that cannot admit `cost` now: `w` is the ms
 * until it can (-1: never, the cost exceeds its limit). Keeps in `refusing` / `wait` the window
 * that frees up last, and one that never does above all, so that a caller told to retry after
 * `wait` is not refused again by another window.
 */
export const KEEP_LONGEST_WAIT = `if w == -1 or (wait ~= -1 and w >= wait) then wait, refusing = w, i end`;
