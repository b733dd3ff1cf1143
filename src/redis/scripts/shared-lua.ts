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
