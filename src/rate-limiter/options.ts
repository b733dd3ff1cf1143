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
  objectWithMethods,
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

/** A sustained rate of a token bucket: `tokens` added per `perMs`. */
export interface TokenRate {
  /** Tokens added per `perMs` (an integer ≥ 1). */
  readonly tokens: number;
  /** The period of `tokens`, in ms (> 0). */
  readonly perMs: number;
}

/** One token bucket of `limits`, with `algorithm: 'token-bucket'`. */
export interface TokenBucketLimit {
  /** How fast the bucket refills. */
  readonly rate: TokenRate;
  /** The bucket size: tokens a key may spend at once after being idle (an integer ≥ 1). */
  readonly burst: number;
}

/**
 * Options of a {@link RateLimiter}: `limit` and `windowMs`, or with `algorithm: 'token-bucket'`
 * `rate` and `burst`, or `limits`.
 */
export interface RateLimiterOptions extends CommonOptions {
  /** Units admitted per `windowMs` per key (an integer ≥ 1). Required unless `limits` or a token bucket is given. */
  limit?: number;
  /** Length of the window, in ms. Required with `limit`. */
  windowMs?: number;
  /**
   * With `algorithm: 'token-bucket'`: the sustained rate per key, e.g. `{ tokens: 10, perMs: 1_000 }`.
   * Required with `burst`, unless `limits` is given.
   */
  rate?: TokenRate;
  /**
   * With `algorithm: 'token-bucket'`: the bucket size per key (an integer ≥ 1), the most units a
   * key may spend at once after being idle. Required with `rate`, unless `limits` is given.
   */
  burst?: number;
  /**
   * Several rules at once: a request is admitted only when every one admits it, and a refused one
   * consumes from none. Instead of `limit` and `windowMs` (or `rate` and `burst`). A rule's fields
   * say what it is: `{ limit, windowMs }` is a window, counted by `algorithm`; `{ rate, burst }` is
   * a token bucket. Windows and buckets mix, e.g. a burst allowance with a daily quota:
   * `[{ rate: { tokens: 10, perMs: 1_000 }, burst: 20 }, { limit: 10_000, windowMs: 86_400_000 }]`.
   * With `algorithm: 'token-bucket'` every rule must be a bucket.
   */
  limits?: readonly (RateWindow | TokenBucketLimit)[];
  /**
   * How admissions are counted: `'sliding-log'` or `'sliding-window'` count the windows (a bucket
   * of `limits` is a token bucket whatever this says); `'token-bucket'` makes the limit a token
   * bucket (`rate` and `burst`, or `limits` of buckets only). @defaultValue `'sliding-log'` (exact)
   */
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
const rateSchema = z.strictObject({ tokens: positiveInt, perMs: positiveDurationMs });
const bucketSchema = z.strictObject({ rate: rateSchema, burst: positiveInt });

const storeSchema = objectWithMethods<RateLimitStore>(['consume'], 'expected a store with a consume method');

/** Schema of {@link RateLimiterOptions}. */
export const rateLimiterOptionsSchema = z.strictObject({
  ...commonOptionsShape,
  limit: positiveInt.optional(),
  windowMs: positiveDurationMs.optional(),
  rate: rateSchema.optional(),
  burst: positiveInt.optional(),
  limits: z
    .array(z.union([windowSchema, bucketSchema]))
    .min(1, { message: 'must hold at least one window' })
    .readonly()
    .optional(),
  algorithm: z.enum(['sliding-log', 'sliding-window', 'token-bucket']).optional(),
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

/** The fields of a limit given without `limits`: those of the algorithm, and those of the others. */
const WINDOW_FIELDS = [['limit', 'windowMs'], ['rate', 'burst']] as const;
const BUCKET_FIELDS = [['rate', 'burst'], ['limit', 'windowMs']] as const;

/** The problems that involve several fields. */
export const rateLimiterCrossCheck: CrossFieldCheck = (input) => {
  const issues: ConfigIssue[] = [];
  const has = (field: string): boolean => input[field] !== undefined;
  const bucket = input['algorithm'] === 'token-bucket';
  const [own, other] = bucket ? BUCKET_FIELDS : WINDOW_FIELDS;
  const misplaced = bucket
    ? "applies only to windows; with algorithm: 'token-bucket' give rate and burst"
    : "applies only with algorithm: 'token-bucket'";
  for (const field of other) if (has(field)) issues.push({ path: field, message: misplaced });
  if (has('limits')) {
    for (const field of own) {
      if (has(field)) issues.push({ path: field, message: `give either ${own.join(' and ')}, or limits, not both` });
    }
    const limits = input['limits'];
    // Raw input: an entry that is no object is the schema's to report.
    if (bucket && Array.isArray(limits)) {
      limits.forEach((entry: unknown, index) => {
        if (typeof entry === 'object' && entry !== null && !('burst' in entry)) {
          issues.push({
            path: `limits.${index}`,
            message: "must be { rate, burst } with algorithm: 'token-bucket'; to mix it with buckets, count windows with 'sliding-log' or 'sliding-window'",
          });
        }
      });
    }
  } else {
    const [first, second] = own;
    if (!has(first)) issues.push({ path: first, message: `is required (with ${second}) unless limits is given` });
    if (!has(second)) issues.push({ path: second, message: `is required (with ${first}) unless limits is given` });
  }
  if (Array.isArray(input['limits'])) issues.push(...sameRefillTimes(input['limits']));
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

/**
 * The buckets of `limits` that refill in the same time as an earlier one. Of two such buckets the
 * larger never binds (it holds more and refills faster), and a RedisStore names a bucket's key by
 * its refill time: both would write one key, each with its own interval, and the smaller would
 * then admit more than it allows.
 */
function sameRefillTimes(limits: readonly unknown[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const firstByRefillMs = new Map<number, number>();
  limits.forEach((entry, index) => {
    const refillMs = refillTimeOf(entry);
    if (refillMs === undefined) return;
    const first = firstByRefillMs.get(refillMs);
    if (first === undefined) firstByRefillMs.set(refillMs, index);
    else issues.push({ path: `limits.${index}`, message: `refills in ${refillMs} ms, as limits.${first} does: give each bucket its own refill time (burst × perMs / tokens)` });
  });
  return issues;
}

/** A raw `limits` entry's refill time (`burst × perMs / tokens`) when it is a well-formed bucket. */
function refillTimeOf(entry: unknown): number | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { rate, burst } = entry as { rate?: unknown; burst?: unknown };
  if (typeof burst !== 'number' || typeof rate !== 'object' || rate === null) return undefined;
  const { tokens, perMs } = rate as { tokens?: unknown; perMs?: unknown };
  if (typeof tokens !== 'number' || typeof perMs !== 'number' || !(tokens > 0)) return undefined;
  return (burst * perMs) / tokens;
}
