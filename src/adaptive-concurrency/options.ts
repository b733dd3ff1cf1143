/**
 * Options of an {@link AdaptiveConcurrencyLimiter}: schema, defaults per algorithm, cross-field
 * checks and the resolved limits.
 * @module
 */
import { z } from 'zod';
import {
  commonOptionsShape,
  durationMs,
  functionSchema,
  positiveDurationMs,
  positiveInt,
  type CommonOptions,
  type CrossFieldCheck,
} from '../core/config';
import { MAX_TIMER_DELAY_MS } from '../core/clock';
import type { ConfigIssue } from '../core/errors';

/** The algorithm that turns observed calls into a limit: `'aimd'`, `'gradient2'` or `'vegas'`. */
export type LimitAlgorithmName = 'aimd' | 'gradient2' | 'vegas';

/** Options of an {@link AdaptiveConcurrencyLimiter}. */
export interface AdaptiveConcurrencyLimiterOptions extends CommonOptions {
  /**
   * How the limit is found: `'aimd'` from successes, drops and slow calls, `'gradient2'` from the gradient
   * between long- and short-term round-trip times, `'vegas'` from the queue estimated from the
   * minimum round-trip time. @defaultValue `'aimd'`
   */
  algorithm?: LimitAlgorithmName;
  /**
   * The limit before any call has been observed (an integer). When not set, the algorithm's
   * default, moved into `[minLimit, maxLimit]`. @defaultValue 20 (every algorithm)
   */
  initialLimit?: number;
  /**
   * The lowest the limit may go (an integer). When not set, the algorithm's default, lowered to
   * `initialLimit` or `maxLimit` when those are set lower. @defaultValue 1 (every algorithm)
   */
  minLimit?: number;
  /**
   * The highest the limit may go (an integer). When not set, the algorithm's default, raised to
   * `initialLimit` or `minLimit` when those are set higher. @defaultValue aimd 1000, gradient2 200, vegas 1000
   */
  maxLimit?: number;
  /**
   * How long a call may wait for a permit when the limit is reached, in ms, at most 2147483647
   * (the longest timer delay), and never past the call's deadline. Waiting calls are served first
   * come, first served. When not set (or 0), a call over the limit is rejected at once.
   * @defaultValue no waiting
   */
  maxWaitMs?: number;
  /**
   * Capture a stack trace for each {@link ConcurrencyLimitError}. Off by default: a limiter at its
   * limit may reject thousands of calls a second, and a stack costs microseconds each.
   * @defaultValue false
   */
  captureRejectionStacks?: boolean;
  /**
   * `'aimd'` only: fast successes in a row, each with at least half the limit in flight when it
   * started, that raise the limit by 1: while saturated, about `100 / successThreshold` % per
   * round trip. @defaultValue 20
   */
  successThreshold?: number;
  /**
   * `'aimd'` only: drops since the limit last changed that lower it by `backoffRatio`; drops of
   * calls that started before the last decrease are not counted. @defaultValue 1
   */
  failureThreshold?: number;
  /**
   * `'aimd'` only: factor in `[0.5, 1)` applied to the limit on a decrease (which lowers it by at
   * least 1). @defaultValue 0.9
   */
  backoffRatio?: number;
  /**
   * `'aimd'` only: a success that took longer than this, in ms, lowers the limit as a drop does
   * (once per round trip). @defaultValue none: only `rttTolerance` judges latency
   */
  latencyThresholdMs?: number;
  /**
   * `'gradient2'` and `'vegas'`: weight in `(0, 1]` of each new estimate against the current limit;
   * 1 applies it at once. @defaultValue gradient2 0.2, vegas 1
   */
  smoothing?: number;
  /**
   * `'gradient2'` and `'aimd'`: how much slower (≥ 1) a round trip may be before the limit
   * shrinks: than the fastest round trip seen (for `'aimd'`, a success slower than that lowers the
   * limit as a drop does, once per round trip; for `'gradient2'`, in proportion to how much slower).
   * The limit settles where round trips are about this much slower than unloaded, which for a
   * dependency whose latency grows with its load is this many times its concurrency.
   * @defaultValue 1.25 (Envoy's adaptive concurrency filter's 25 % buffer; Netflix's 1.5 lets the
   * limit reach 1.5× the concurrency and more)
   */
  rttTolerance?: number;
  /**
   * `'gradient2'` only: accepted and ignored. It set how many samples the long-term round-trip time
   * was averaged over; gradient2 now measures against the fastest round trip instead, because the
   * average follows the latency the limit's own growth causes.
   * @deprecated No effect; remove it.
   */
  longWindow?: number;
  /**
   * `'gradient2'` only: how much the limit may grow per sample (sampling window) while no
   * queueing shows: the queue allowance, before smoothing. @defaultValue 4
   */
  queueSize?: number;
  /**
   * `'vegas'` only: the minimum round-trip time is measured again every `probeMultiplier × limit`
   * samples (sampling windows), times a random factor in [0.5, 1). @defaultValue 30
   */
  probeMultiplier?: number;
  /**
   * `'gradient2'` and `'vegas'`: shortest sampling window, in ms. The algorithm moves once per
   * window, on the window's average round-trip time; a window also lasts at least twice its
   * fastest round trip. @defaultValue 100
   */
  minWindowMs?: number;
  /**
   * `'gradient2'` and `'vegas'`: fewest calls (an integer) in a sampling window; a window stays
   * open until it holds them. @defaultValue 10
   */
  windowSize?: number;
  /** `'vegas'` only: random source in [0, 1) for the probe interval, for tests. @defaultValue `Math.random` */
  random?: () => number;
}

/**
 * Defaults of {@link AdaptiveConcurrencyLimiterOptions}, per algorithm; each field is explained on
 * the option of the same name.
 */
export const ADAPTIVE_CONCURRENCY_LIMITER_DEFAULTS = {
  /** The algorithm when none is named. */
  algorithm: 'aimd',
  /**
   * `'aimd'`: Netflix `AIMDLimit`'s starting limit (20), aioresilience's maximum and ratio; a
   * success threshold that grows a saturated limit by about 5 % per round trip; a cut on the first
   * drop, as Netflix's `AIMDLimit`, and on successes 1.25 times slower than the fastest.
   */
  aimd: {
    /** The limit before any call is observed: low enough to protect from the first call. */
    initialLimit: 20,
    /** The lowest the limit may go. */
    minLimit: 1,
    /** The highest the limit may go. */
    maxLimit: 1000,
    /** Successes in a row near the limit that raise it by 1. */
    successThreshold: 20,
    /** Drops that lower it. */
    failureThreshold: 1,
    /** Factor applied to the limit on a decrease. */
    backoffRatio: 0.9,
    /** How much slower than the fastest round trip seen a success may be before the limit shrinks. */
    rttTolerance: 1.25,
  },
  /**
   * `'gradient2'`: as Netflix's `Gradient2Limit`, in sampling windows of at least 100 ms, but a
   * lowest limit of 1 rather than 20 (a dependency's capacity may be lower than 20, and at
   * `minLimit` a slower round trip becomes the new fastest: with one call in flight it is the
   * dependency's own latency, not queueing) and a tolerance of 1.25 rather than 1.5 (the limit
   * settles where round trips are this many times the fastest).
   */
  gradient2: {
    /** The limit before any call is observed. */
    initialLimit: 20,
    /** The lowest the limit may go. */
    minLimit: 1,
    /** The highest the limit may go. */
    maxLimit: 200,
    /** Weight of each new estimate against the current limit. */
    smoothing: 0.2,
    /** How much slower than the fastest round trip seen a round trip may be. */
    rttTolerance: 1.25,
    /** Growth allowed per sample while no queueing shows. */
    queueSize: 4,
    /** Shortest sampling window, in ms. */
    minWindowMs: 100,
    /** Calls per sampling window. */
    windowSize: 10,
  },
  /** `'vegas'`: as Netflix's `VegasLimit`, in sampling windows of at least 100 ms. */
  vegas: {
    /** The limit before any call is observed. */
    initialLimit: 20,
    /** The lowest the limit may go. */
    minLimit: 1,
    /** The highest the limit may go. */
    maxLimit: 1000,
    /** Weight of each new estimate against the current limit. */
    smoothing: 1,
    /** How often the minimum round-trip time is measured again, in limits’ worth of calls. */
    probeMultiplier: 30,
    /** Shortest sampling window, in ms. */
    minWindowMs: 100,
    /** Calls per sampling window. */
    windowSize: 10,
  },
} as const;

/** Schema of {@link AdaptiveConcurrencyLimiterOptions}. */
export const adaptiveConcurrencyLimiterOptionsSchema = z.strictObject({
  ...commonOptionsShape,
  algorithm: z.enum(['aimd', 'gradient2', 'vegas']).optional(),
  initialLimit: positiveInt.optional(),
  minLimit: positiveInt.optional(),
  maxLimit: positiveInt.optional(),
  maxWaitMs: durationMs
    .max(MAX_TIMER_DELAY_MS, { message: `must be ≤ ${MAX_TIMER_DELAY_MS} (the longest timer delay)` })
    .optional(),
  captureRejectionStacks: z.boolean().optional(),
  successThreshold: positiveInt.optional(),
  failureThreshold: positiveInt.optional(),
  backoffRatio: z.number().min(0.5, { message: 'must be ≥ 0.5' }).lt(1, { message: 'must be < 1' }).optional(),
  latencyThresholdMs: positiveDurationMs.optional(),
  smoothing: z.number().gt(0, { message: 'must be > 0' }).max(1, { message: 'must be ≤ 1' }).optional(),
  rttTolerance: z.number().finite().min(1, { message: 'must be ≥ 1' }).optional(),
  longWindow: positiveInt.optional(),
  queueSize: z.number().finite().min(0, { message: 'must be ≥ 0' }).optional(),
  probeMultiplier: positiveInt.optional(),
  minWindowMs: durationMs.optional(),
  windowSize: positiveInt.optional(),
  random: functionSchema<() => number>().optional(),
});

/** {@link AdaptiveConcurrencyLimiterOptions} as parsed, before defaults. @internal */
export type ResolvedAdaptiveConcurrencyLimiterOptions = z.output<typeof adaptiveConcurrencyLimiterOptionsSchema>;

/** The options that only some algorithms read. */
const ALGORITHM_ONLY: Readonly<Record<string, readonly LimitAlgorithmName[]>> = {
  successThreshold: ['aimd'],
  failureThreshold: ['aimd'],
  backoffRatio: ['aimd'],
  smoothing: ['gradient2', 'vegas'],
  latencyThresholdMs: ['aimd'],
  rttTolerance: ['gradient2', 'aimd'],
  longWindow: ['gradient2'],
  queueSize: ['gradient2'],
  probeMultiplier: ['vegas'],
  minWindowMs: ['gradient2', 'vegas'],
  windowSize: ['gradient2', 'vegas'],
  random: ['vegas'],
};

const LIMIT_ORDER = [
  ['minLimit', 'initialLimit'],
  ['initialLimit', 'maxLimit'],
  ['minLimit', 'maxLimit'],
] as const;

/**
 * Algorithm-specific options need their algorithm, and the limits that are set must be ordered
 * `minLimit ≤ initialLimit ≤ maxLimit`.
 */
export const adaptiveConcurrencyCrossCheck: CrossFieldCheck = (options) => {
  const issues: ConfigIssue[] = [];
  const algorithm = options['algorithm'] ?? ADAPTIVE_CONCURRENCY_LIMITER_DEFAULTS.algorithm;
  // An unknown algorithm is the schema's to report; which options it allows is then moot.
  const known = algorithm === 'aimd' || algorithm === 'gradient2' || algorithm === 'vegas';
  for (const [field, algorithms] of Object.entries(ALGORITHM_ONLY)) {
    if (!known || options[field] === undefined || algorithms.includes(algorithm)) continue;
    const which = algorithms.map((name) => `'${name}'`).join(' and ');
    issues.push({ path: field, message: `applies to algorithm ${which} only, not '${algorithm}'` });
  }
  for (const [lower, upper] of LIMIT_ORDER) {
    const low = options[lower];
    const high = options[upper];
    if (typeof low === 'number' && typeof high === 'number' && low > high) {
      issues.push({ path: upper, message: `must be ≥ ${lower} (${low}), got ${high}` });
    }
  }
  return issues;
};

/** The limits a limiter starts with, defaults applied. */
export interface ResolvedLimits {
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
}

/**
 * Fills in the limits that are not set from the algorithm's defaults, moved so that the limits
 * that are set stay ordered (the cross-check has verified the set ones among themselves).
 */
export function resolveLimits(
  options: Pick<ResolvedAdaptiveConcurrencyLimiterOptions, 'initialLimit' | 'minLimit' | 'maxLimit'>,
  defaults: ResolvedLimits,
): ResolvedLimits {
  const { initialLimit, minLimit, maxLimit } = options;
  const min = minLimit ?? Math.min(defaults.minLimit, initialLimit ?? Infinity, maxLimit ?? Infinity);
  const max = maxLimit ?? Math.max(defaults.maxLimit, initialLimit ?? 0, min);
  const initial = initialLimit ?? Math.min(Math.max(defaults.initialLimit, min), max);
  return { initialLimit: initial, minLimit: min, maxLimit: max };
}
