/**
 * The Lua shared by the scripts of a RedisStore: the shape of a decision over several windows
 * (check every window, refuse writing nothing, or write every window), which refusing window a
 * refusal reports, and the reply of an admission.
 * @module
 */

/**
 * Lua that returns the reply of an admitted request: `{remaining, resetMs}`, followed by the
 * index of the tightest window when the rule has several. The common reply is two integers:
 * every element costs Redis and the client a conversion per decision.
 */
const ADMITTED_REPLY = `if n == 1 then return {remaining, reset} end
return {remaining, reset, tightest}`;

/**
 * Lua, inside the loop over windows `i`, for a window that cannot admit `cost` now: `w` is the ms
 * until it can (-1: never, the cost exceeds its limit). Keeps in `refusing` / `wait` the window
 * that frees up last, and one that never does above all, so that a caller told to retry after
 * `wait` is not refused again by another window.
 */
const KEEP_LONGEST_WAIT = `if w == -1 or (wait ~= -1 and w >= wait) then wait, refusing = w, i end`;

/**
 * Lua, inside the loop that admits on every window `i`, once `left` (units left after this
 * request) and `ttl` (ms until the window is full again) are known: clamps `left` at 0 and keeps
 * in `tightest` / `remaining` / `reset` the window with the fewest units left.
 */
const KEEP_TIGHTEST = `if left < 0 then left = 0 end
  if tightest == 0 or left < remaining then
    tightest, remaining, reset = i, left, ttl
  end`;

/**
 * The Lua of one algorithm's window inside {@link decisionBody}. Each step runs for window `i`
 * (`KEYS[i]`), with `limit` and `param` (its window in ms, or a bucket's emission interval in µs)
 * read from its arguments, `k` the index of `limit` in ARGV, and `j` the last of its `slots`
 * numbers in `state`.
 */
export interface WindowLua {
  /** Numbers per window that `check` keeps in `state[j - slots + 1 .. j]` for the later steps. */
  readonly slots: number;
  /** Reads the window and sets `w`: 0 when `cost` fits now, else the ms until it does, -1 for never. */
  readonly check: string;
  /** For the refusing window: sets `left` (units left; clamped at 0 after) and `reset` (ms until full). */
  readonly refuse: string;
  /** For an admitted request: writes the window and sets `left` and `ttl` (ms until full again). */
  readonly admit: string;
}

/** How {@link decisionBody} reads the arguments and picks each window's Lua. */
export interface DecisionShape {
  /** Whether ARGV holds a nonce after `cost` (sliding-log names its members with it). */
  readonly nonce: boolean;
  /** Arguments per window: `limit, param`, and a third one when `pick` reads it. */
  readonly argsPerWindow: 2 | 3;
  /** Lua numbers kept per window in `state`: the most any of the windows' Lua needs. */
  readonly slots: number;
  /** The Lua of one step (`check`, `refuse` or `admit`) of window `i`, choosing among algorithms when they mix. */
  readonly pick: (step: keyof Omit<WindowLua, 'slots'>) => string;
}

/** The Lua that defines window `i`'s `k`, `limit`, `param` and `j`. */
const windowLocals = (shape: DecisionShape, first: number): string =>
  `local k = a + ${first} + ${shape.argsPerWindow} * (i - 1)
  local limit, param = tonumber(ARGV[k]), tonumber(ARGV[k + 1])
  local j = ${shape.slots} * i`;

/**
 * The body of a decision script, after a preamble that defines the time and `a` (ARGV entries
 * before `cost`). KEYS: one per window. ARGV after the time: `cost`, the nonce when the shape
 * takes one, then each window's arguments.
 *
 * Checks every window, refuses (writing nothing) with the window that frees up last when any
 * lacks room for `cost`, else writes `cost` in every window. Replies as {@link ADMITTED_REPLY}
 * says when admitted, `{remaining, resetMs, window index, retryAfterMs}` when refused
 * (`retryAfterMs` -1 for never: a cost above the limit). `state` is sized for one window up front.
 */
export function decisionBody(shape: DecisionShape): string {
  const first = shape.nonce ? 3 : 2;
  return `local cost = tonumber(ARGV[a + 1])
${shape.nonce ? 'local nonce = ARGV[a + 2]\n' : ''}local n = #KEYS
local ceil, floor, format = math.ceil, math.floor, string.format
local state = {${new Array<string>(shape.slots).fill('0').join(', ')}}
local refusing, wait = 0, 0
for i = 1, n do
  ${windowLocals(shape, first)}
  local w = 0
  ${shape.pick('check')}
  if w ~= 0 then ${KEEP_LONGEST_WAIT} end
end
if refusing > 0 then
  local i = refusing
  ${windowLocals(shape, first)}
  local left, reset = 0, 0
  ${shape.pick('refuse')}
  if left < 0 then left = 0 end
  return {left, reset, refusing, wait}
end
local tightest, remaining, reset = 0, 0, 0
for i = 1, n do
  ${windowLocals(shape, first)}
  local left, ttl = 0, 0
  ${shape.pick('admit')}
  ${KEEP_TIGHTEST}
end
${ADMITTED_REPLY}`;
}

/** The {@link DecisionShape} of a rule whose windows all use `lua`. */
export function uniformShape(lua: WindowLua, nonce: boolean): DecisionShape {
  return { nonce, argsPerWindow: 2, slots: lua.slots, pick: (step) => lua[step] };
}
