/**
 * Options of a RedisStore, their defaults and their schema.
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import { MAX_TIMER_DELAY_MS } from '../core/clock';
import { positiveDurationMs, positiveInt } from '../core/config';

/** Where a RedisStore's scripts read the time: see {@link RedisStoreOptions.timeSource}. */
export type RedisTimeSource = 'server' | 'client';

/** Options of a {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * The connection: an ioredis `Redis` or `Cluster`. Create it with `enableOfflineQueue: false`
   * (the store also refuses to send while its `status` is not `'ready'`, so that no decision is
   * queued and replayed after a reconnect).
   */
  redis: Redis | Cluster;
  /**
   * First part of every key. Must not contain `{` or `}`.
   * @defaultValue `'bulwark:rl'`
   */
  prefix?: string;
  /**
   * Second part of every key, after `prefix`: the counting space of every limiter that uses this
   * store. Without it each limiter counts in its own space, named after the limiter; set it to
   * make limiters with different names (e.g. in different services) count together, or to keep
   * the counts of two stores on one Redis apart. Must not be empty or contain `{` or `}`.
   * @defaultValue each limiter's own `name` (braces replaced by `_`), or `'default'` for a rule without one
   */
  namespace?: string;
  /**
   * Longest time per decision, in ms, at most 2147483647 (the longest timer delay): waiting for
   * the connection to become ready (while it connects or reconnects) and for the reply together.
   * Past it the decision fails with a {@link RedisStoreError}; a command already sent may still
   * run on the server later.
   * @defaultValue 100
   */
  timeoutMs?: number;
  /**
   * Most decisions this store has outstanding at once: waiting for the connection, or sent and not
   * yet answered (a decision that timed out stays outstanding until Redis answers it or the
   * connection closes). Beyond it a decision fails at once with a {@link RedisStoreError}, so that
   * a stalled Redis cannot make commands pile up in memory without bound.
   * @defaultValue 1000
   */
  maxPending?: number;
  /**
   * `'server'`: the script reads Redis's `TIME`, so processes with skewed clocks share one window.
   * `'client'`: this process sends `Date.now()`, for managed Redis flavours that refuse `TIME` in
   * scripts; processes whose clocks disagree then count in windows shifted by the skew.
   * @defaultValue `'server'`
   */
  timeSource?: RedisTimeSource;
}

/** Defaults of {@link RedisStoreOptions}. */
export const REDIS_STORE_DEFAULTS = {
  /** First part of every key. */
  prefix: 'bulwark:rl',
  /** Second part of every key when neither the store's `namespace` nor the limiter's name gives one. */
  namespace: 'default',
  /** Longest time per decision, in ms. */
  timeoutMs: 100,
  /** Most decisions outstanding at once. */
  maxPending: 1_000,
  /** Where the time comes from. */
  timeSource: 'server',
} as const;

const keyPart = z
  .string()
  .min(1, { message: 'must not be empty' })
  .refine((value) => !/[{}]/.test(value), { message: 'must not contain { or }' });

/** Schema of {@link RedisStoreOptions}. */
export const redisStoreOptionsSchema = z.strictObject({
  redis: z.custom<Redis | Cluster>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Redis).defineCommand === 'function' &&
      typeof (value as Redis).status === 'string',
    { message: 'expected an ioredis Redis or Cluster' },
  ),
  prefix: keyPart.optional(),
  namespace: keyPart.optional(),
  timeoutMs: positiveDurationMs
    .max(MAX_TIMER_DELAY_MS, { message: `must be ≤ ${MAX_TIMER_DELAY_MS} (the longest timer delay)` })
    .optional(),
  maxPending: positiveInt.optional(),
  timeSource: z.enum(['server', 'client']).optional(),
});
