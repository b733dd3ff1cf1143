/**
 * The Lua shared by the scripts of a RedisStore: which refusing window a refusal reports, and the
 * reply of an admission.
 * @module
 */

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

/**
 * Lua, inside the loop that admits on every window `i`, once `left` (units left after this
 * request) and `ttl` (ms until the window is full again) are known: clamps `left` at 0 and keeps
 * in `tightest` / `remaining` / `reset` the window with the fewest units left.
 */
export const KEEP_TIGHTEST = `if left < 0 then left = 0 end
  if tightest == 0 or left < remaining then
    tightest, remaining, reset = i, left, ttl
  end`;
