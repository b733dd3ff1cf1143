/**
 * Options of a guarded Redis client (see `guardRedis`), their defaults and their schema.
 * @module
 */
import { z } from 'zod';
import type { BulkheadOptions } from '../../bulkhead/options';
import type { CircuitBreakerOptions } from '../../circuit-breaker/options';
import { commonOptionsShape, positiveDurationMs, type CrossFieldCheck } from '../../core/config';
import type { Policy } from '../../core/policy';
import type { Clock } from '../../core/clock';
import type { Registry } from '../../core/registry';
import type { RetryOptions } from '../../retry/options';
import type { TimeoutOptions } from '../../timeout/options';

/** Options the guard sets itself on each policy it builds: `name` and `registry`. */
export type GuardOwnedOption = 'name' | 'registry';

/** Options of a guarded client's Timeout: those of a Timeout, with `timeoutMs` optional. */
export interface GuardTimeoutOptions extends Omit<TimeoutOptions, GuardOwnedOption | 'timeoutMs'> {
  /** Time limit of each command, in ms (the wait for a connection that is not ready included). @defaultValue 250 */
  timeoutMs?: number;
  /** Time source, for tests. @defaultValue the system clock */
  clock?: Clock;
}

/** Options of `guardRedis`. */
export interface GuardRedisOptions {
  /**
   * Name of the guard, and of its CircuitBreaker in the registry; the other policies it builds
   * are named after it: `<name>:timeout`, `<name>:bulkhead`, `<name>:retry`.
   * @defaultValue `guardRedis-` plus a counter
   */
  name?: string;
  /**
   * Where the policies the guard builds are registered, or `false` for nowhere.
   * @defaultValue `defaultRegistry`
   */
  registry?: Registry | false;
  /**
   * Any Policy to run every command through instead of the default CircuitBreaker, Timeout and
   * Bulkhead (then `circuitBreaker`, `timeout` and `bulkhead` must not be given). The guard does
   * not dispose it. Give its breaker `isRedisUnavailable` as `exceptions.handle`, so that an error
   * reply such as `WRONGTYPE` does not count as an outage.
   */
  policy?: Policy;
  /**
   * The CircuitBreaker's options, or `false` for none. Given without `window` and
   * `failureThreshold`, the guard's window mode applies (see {@link GUARD_REDIS_DEFAULTS}); its
   * `exceptions.handle` defaults to `isRedisUnavailable`.
   */
  circuitBreaker?: Omit<CircuitBreakerOptions, GuardOwnedOption> | false;
  /** The Timeout's options, or `false` for none. */
  timeout?: GuardTimeoutOptions | false;
  /** The Bulkhead's options, or `false` for none. */
  bulkhead?: Omit<BulkheadOptions, GuardOwnedOption> | false;
  /**
   * Retries read-only commands (and the commands listed in `idempotent`) that failed because
   * Redis was unavailable: `true` for {@link GUARD_REDIS_DEFAULTS}'s retry, or a Retry's options
   * (its `exceptions.handle` defaults to `isRedisUnavailable`). Writes are never retried, and
   * neither is a pipeline's or transaction's `exec()`. Each try gets its own timeout.
   * @defaultValue false
   */
  retry?: boolean | Omit<RetryOptions, GuardOwnedOption>;
  /**
   * Write commands (or `defineCommand` script names) that are safe to send twice, retried like
   * reads when `retry` is on, e.g. `['set', 'del', 'hset']`. Case does not matter. List only
   * commands whose every use in your code is idempotent: `SET k v NX` or `SET k v GET` are not.
   * @defaultValue none
   */
  idempotent?: readonly string[];
}

/** Defaults of {@link GuardRedisOptions}. */
export const GUARD_REDIS_DEFAULTS = {
  /**
   * The CircuitBreaker's defaults: opens when half the calls of the last 10 s (at least 10 of
   * them) failed, and probes again after 5 s.
   */
  circuitBreaker: {
    /** The calls of the last 10 s. */
    window: {
      /** A time window. */
      type: 'time',
      /** How far back it reaches, in ms. */
      durationMs: 10_000,
    },
    /** Opens at half of them failed. */
    failureRateThreshold: 0.5,
    /** Once the window holds at least 10 calls. */
    minimumCalls: 10,
    /** Probes again after 5 s. */
    recoveryTimeoutMs: 5_000,
  },
  /** Time limit of each command, in ms. */
  timeoutMs: 250,
  /** Commands outstanding at once; no queue. */
  bulkhead: {
    /** Commands outstanding at once. */
    maxInFlight: 1_000,
    /** No queue: a command beyond them is refused at once. */
    maxQueue: 0,
  },
  /** `retry: true`: one more try after 20–40 ms (equal jitter). */
  retry: {
    /** Two tries in all. */
    maxAttempts: 2,
    /** The same delay before the second. */
    backoff: 'constant',
    /** 40 ms, before jitter. */
    initialDelayMs: 40,
    /** Half fixed, half random: 20–40 ms. */
    jitter: 'equal',
  },
} as const satisfies {
  circuitBreaker: CircuitBreakerOptions;
  timeoutMs: number;
  bulkhead: BulkheadOptions;
  retry: RetryOptions;
};

const optionsObject = z.record(z.string(), z.unknown());

/** Schema of {@link GuardRedisOptions}; the policies' own options are checked by their constructors. */
export const guardRedisOptionsSchema = z.strictObject({
  name: commonOptionsShape.name,
  registry: commonOptionsShape.registry,
  policy: z
    .custom<Policy>(
      (value) =>
        typeof value === 'object' && value !== null && typeof (value as Policy).execute === 'function',
      { message: 'expected a Policy (an object with execute)' },
    )
    .optional(),
  circuitBreaker: z.union([z.literal(false), optionsObject]).optional(),
  timeout: z.union([z.literal(false), z.looseObject({ timeoutMs: positiveDurationMs.optional() })]).optional(),
  bulkhead: z.union([z.literal(false), optionsObject]).optional(),
  retry: z.union([z.boolean(), optionsObject]).optional(),
  idempotent: z.array(z.string().min(1, { message: 'must not be empty' })).readonly().optional(),
});

/** `policy` replaces the policies that `circuitBreaker`, `timeout` and `bulkhead` configure. */
export const guardRedisCrossCheck: CrossFieldCheck = (options) =>
  options['policy'] === undefined
    ? []
    : (['circuitBreaker', 'timeout', 'bulkhead'] as const)
        .filter((field) => options[field] !== undefined)
        .map((field) => ({ path: field, message: 'has no effect with policy: configure that policy instead' }));
