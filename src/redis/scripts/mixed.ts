/**
 * The Lua script of a decision whose rule mixes token buckets with windows of one window
 * algorithm (`limits` holding both `{ rate, burst }` and `{ limit, windowMs }`): one script run
 * checks every bucket and window and writes all of them or none.
 * @module
 */
import type { RedisTimeSource } from '../options';
import { decisionBody, type WindowLua } from './shared-lua';
import { LOG_TIME, LOG_WINDOW } from './sliding-log';
import { SLIDING_WINDOW } from './sliding-window';
import { BUCKET_TIME, TOKEN_BUCKET } from './token-bucket';

/** The window algorithms a token bucket mixes with. */
export type MixedWindowAlgorithm = 'sliding-log' | 'sliding-window';

/** The argument after a window's `limit, param` that marks a token bucket. */
export const BUCKET_MARK = 'tb';

/**
 * The body of a mixed decision: {@link decisionBody} with three arguments per window
 * (`limit, param, kind`), running the bucket's Lua where `kind` is {@link BUCKET_MARK} and the
 * window's elsewhere. `windowTime` is Lua the window's steps need first (its own `now`, in ms).
 */
function mixedBody(windowLua: WindowLua, nonce: boolean, windowTime: string): string {
  return decisionBody({
    nonce,
    argsPerWindow: 3,
    slots: Math.max(windowLua.slots, TOKEN_BUCKET.slots),
    pick: (step) => `if ARGV[k + 2] == '${BUCKET_MARK}' then
  ${TOKEN_BUCKET[step]}
  else
  ${windowTime}${windowLua[step]}
  end`,
  });
}

/**
 * The bodies, after a time preamble that defines `now` in µs: a sliding-log window reads `now`
 * (and `score`) as it is; a sliding-window window reads the time in ms, as a `now` of its own.
 */
const LOG_BODY = mixedBody(LOG_WINDOW, true, '');
const WINDOW_BODY = mixedBody(SLIDING_WINDOW, false, 'local now = ms\n  ');

/**
 * The mixed script for each window algorithm and time source. KEYS: one per bucket or window, in
 * the rule's order. ARGV after the time: `cost`, a nonce with sliding-log windows, then per
 * bucket or window `limit, param, kind` (a bucket's size and emission interval in µs with
 * {@link BUCKET_MARK}; a window's limit and length in ms with `'w'`). Replies as the uniform
 * scripts do.
 */
export const MIXED_SCRIPTS: Readonly<Record<MixedWindowAlgorithm, Readonly<Record<RedisTimeSource, string>>>> = {
  'sliding-log': {
    server: `${LOG_TIME.server}\n${LOG_BODY}`,
    client: `${LOG_TIME.client}\n${LOG_BODY}`,
  },
  'sliding-window': {
    server: `${BUCKET_TIME.server}\nlocal ms = now / 1000\n${WINDOW_BODY}`,
    client: `${BUCKET_TIME.client}\nlocal ms = now / 1000\n${WINDOW_BODY}`,
  },
};
