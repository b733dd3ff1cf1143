/**
 * Options of a {@link RateLimiter}: schema, cross-field checks and defaults.
 * @module
 */
import { z } from 'zod';
import type { ConfigIssue } from '../core/errors';
import type { ExecutionContext } from '../core/context';
import {
  commonOptionsShape,
  durationMs,
  functionSchema,
  positiveDurationMs,
  positiveInt,
  type CommonOptions,
  type CrossFieldCheck,
} from '../core/config';
import type { RateLimitAlgorithm, RateLimitStore, RateWindow } from './store';

/** What a {@link RateLimiter} does when its store fails (throws or rejects). */
export type StoreErrorPolicy = 'allow' | 'deny' | 'fallback';

/** What `execute` does with a request its limit refuses. */
export type RateLimitMode = 'reject' | 'wait';

/** Options of a {@link RateLimiter}: either `limit` and `windowMs`, or `limits`. */
export interface RateLimiterOptions extends CommonOptions {
  /** Units admitted per `windowMs` per key (an integer ≥ 1). Required unless `limits` is given. */
  limit?: number;
  /** Length of the window, in ms. Required with `limit`. */
  windowMs?: number;
  /**
   * Several windows at once, e.g. `[{ limit: 10, windowMs: 1_000 }, { limit: 500, windowMs: 60_000 }]`:
   * a request is admitted only when every window admits it, and a refused one consumes from none.
   * Instead of `limit` and `windowMs`.
   */
  limits?: readonly RateWindow[];
  /** How admissions are counted. @defaultValue `'sliding-log'` (exact) */
  algorithm?: RateLimitAlgorithm;
  /** Where admissions are counted. @defaultValue a new {@link MemoryStore} with this limiter's clock */
  store?: RateLimitStore;
  /**
   * The key of a call whose `execute` options give none: a fixed key, or a function of the call's
   * context. A key is a string or a finite number, which is the same key as its decimal text (`42`
   * and `'42'` count together, in every store); a function that returns anything else fails the
   * call with a TypeError. @defaultValue `'default'`: one limit shared by every call
   */
  key?: string | number | ((ctx: ExecutionContext) => string | number);
  /** Units each `execute` consumes: an integer ≥ 1, or a function of the call's context. @defaultValue 1 */
  cost?: number | ((ctx: ExecutionContext) => number);
  /**
   * `'reject'`: a refused `execute` rejects at once with {@link RateLimitError}. `'wait'`: it
   * waits `retryAfterMs` and tries again, for at most `maxWaitMs` in all.
   * @defaultValue `'reject'`
   */
  mode?: RateLimitMode;
  /**
   * With `mode: 'wait'`, the longest a call waits in all, in ms, before it is rejected; a caller's
   * deadline may shorten it. @defaultValue the longest `windowMs`
   */
  maxWaitMs?: number;
  /**
   * When the store throws or rejects: `'allow'` admits (fail open), `'deny'` refuses (fail
   * closed), `'fallback'` decides with a local MemoryStore limited to `fallbackLimit`.
   * @defaultValue `'allow'`
   */
  onStoreError?: StoreErrorPolicy;
  /**
   * With `onStoreError: 'fallback'` and a single window, the fallback's limit per `windowMs`.
   * @defaultValue `limit / expectedInstances`, rounded down, at least 1
   */
  fallbackLimit?: number;
  /**
   * With `onStoreError: 'fallback'`, how many processes share the store: each window's fallback
   * limit is its limit divided by this (rounded down, at least 1). @defaultValue 1
   */
  expectedInstances?: number;
  /**
   * Capture a stack trace for each {@link RateLimitError}. Off by default: a limiter may refuse
   * thousands of calls a second, and a stack costs microseconds each.
   * @defaultValue false
   */
  captureRejectionStacks?: boolean;
}

/** Defaults of {@link RateLimiterOptions}. */
export const RATE_LIMITER_DEFAULTS = {
  /** Exact counting. */
  algorithm: 'sliding-log',
  /** The key of calls that give none. */
  key: 'default',
  /** Units per call. */
  cost: 1,
  /** Refuse at once. */
  mode: 'reject',
  /** Fail open. */
  onStoreError: 'allow',
  /** Processes sharing the store, for the fallback limit. */
  expectedInstances: 1,
} as const;

const windowSchema = z.strictObject({ limit: positiveInt, windowMs: positiveDurationMs });

const storeSchema = z.custom<RateLimitStore>(
  (value) => typeof value === 'object' && value !== null && typeof (value as RateLimitStore).consume === 'function',
  { message: 'expected a store with a consume method' },
);

/** Schema of {@link RateLimiterOptions}. */
export const rateLimiterOptionsSchema = z.strictObject({
  ...commonOptionsShape,
  limit: positiveInt.optional(),
  windowMs: positiveDurationMs.optional(),
  limits: z.array(windowSchema).min(1, { message: 'must hold at least one window' }).readonly().optional(),
  algorithm: z.enum(['sliding-log', 'sliding-window']).optional(),
  store: storeSchema.optional(),
  key: z.union([z.string(), z.number().finite(), functionSchema<(ctx: ExecutionContext) => string | number>()]).optional(),
  cost: z.union([positiveInt, functionSchema<(ctx: ExecutionContext) => number>()]).optional(),
  mode: z.enum(['reject', 'wait']).optional(),
  maxWaitMs: durationMs.optional(),
  onStoreError: z.enum(['allow', 'deny', 'fallback']).optional(),
  fallbackLimit: positiveInt.optional(),
  expectedInstances: positiveInt.optional(),
  captureRejectionStacks: z.boolean().optional(),
});

/** The problems that involve several fields. */
export const rateLimiterCrossCheck: CrossFieldCheck = (input) => {
  const issues: ConfigIssue[] = [];
  const has = (field: string): boolean => input[field] !== undefined;
  if (has('limits')) {
    for (const field of ['limit', 'windowMs']) {
      if (has(field)) issues.push({ path: field, message: 'give either limit and windowMs, or limits, not both' });
    }
  } else {
    if (!has('limit')) issues.push({ path: 'limit', message: 'is required (with windowMs) unless limits is given' });
    if (!has('windowMs')) issues.push({ path: 'windowMs', message: 'is required (with limit) unless limits is given' });
  }
  if (has('maxWaitMs') && input['mode'] !== 'wait') {
    issues.push({ path: 'maxWaitMs', message: "applies only with mode: 'wait'" });
  }
  for (const field of ['fallbackLimit', 'expectedInstances']) {
    if (has(field) && input['onStoreError'] !== 'fallback') {
      issues.push({ path: field, message: "applies only with onStoreError: 'fallback'" });
    }
  }
  if (has('fallbackLimit') && has('limits')) {
    issues.push({ path: 'fallbackLimit', message: 'applies only with a single window; use expectedInstances with limits' });
  }
  return issues;
};
