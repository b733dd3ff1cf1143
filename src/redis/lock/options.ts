/**
 * Options of a {@link Lock} and of its calls: types, defaults and schemas.
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import { MAX_TIMER_DELAY_MS, type Clock } from '../../core/clock';
import { commonOptionsShape, durationMs, positiveDurationMs, timerMs, type CrossFieldCheck } from '../../core/config';
import type { Registry } from '../../core/registry';
import { redisStoreOptionsSchema } from '../options';

/** Options of a {@link Lock}. */
export interface LockOptions {
  /** Instance name, used in events, errors and the registry. @defaultValue `'lock-'` plus a counter, e.g. `lock-1` */
  name?: string;
  /** Time source of leases and pauses, for tests. @defaultValue the system clock */
  clock?: Clock;
  /**
   * Where the Lock is registered for health checks and metrics, or `false` for nowhere.
   * @defaultValue bulwark's `defaultRegistry`
   */
  registry?: Registry | false;
  /**
   * The connection: an ioredis `Redis` or `Cluster` (ioredis 5 or 6). Create it with
   * `enableOfflineQueue: false`, so that no lock command waits in ioredis's queue and is replayed
   * after a reconnect.
   */
  redis: Redis | Cluster;
  /**
   * First part of every key. Must not be empty or contain `{` or `}`.
   * @defaultValue `'bulwark:lock'`
   */
  prefix?: string;
  /**
   * Longest wait for Redis per command (acquire attempt, release, extend), in ms; past it the call
   * fails with {@link LockUnavailableError}.
   * @defaultValue 500
   */
  timeoutMs?: number;
  /**
   * First pause between two attempts of an `acquire` that waits, in ms; each further pause doubles,
   * up to `maxRetryDelayMs`, and is jittered (a random value between half and all of it).
   * @defaultValue 10
   */
  retryDelayMs?: number;
  /**
   * Longest pause between two attempts, in ms.
   * @defaultValue 100
   */
  maxRetryDelayMs?: number;
}

/** Options of {@link Lock.acquire}. */
export interface AcquireOptions {
  /** How long the lock is held unless extended or released, in ms (rounded up to whole ms). */
  ttlMs: number;
  /**
   * How long to keep trying while another holder has the lock, in ms. 0 tries once.
   * @defaultValue 0
   */
  waitMs?: number;
  /** Aborts the wait; the call rejects with `signal.reason` and holds nothing. */
  signal?: AbortSignal;
}

/** Options of {@link Lock.withLock}. */
export interface WithLockOptions extends AcquireOptions {
  /**
   * How often the lease is extended (by `ttlMs`) while `fn` runs, in ms; must be below `ttlMs`.
   * @defaultValue a third of `ttlMs`
   */
  extendEveryMs?: number;
}

/** Defaults of {@link LockOptions}. */
export const LOCK_DEFAULTS = {
  /** First part of every key. */
  prefix: 'bulwark:lock',
  /** Longest wait for Redis per command, in ms. */
  timeoutMs: 500,
  /** First pause between two attempts, in ms. */
  retryDelayMs: 10,
  /** Longest pause between two attempts, in ms. */
  maxRetryDelayMs: 100,
} as const;

/** Schema of {@link LockOptions}. */
export const lockOptionsSchema = z.strictObject({
  name: commonOptionsShape.name,
  clock: commonOptionsShape.clock,
  registry: commonOptionsShape.registry,
  // The same checks as a RedisStore's: an ioredis connection, and a prefix that cannot break a hash tag.
  redis: redisStoreOptionsSchema.shape.redis,
  prefix: redisStoreOptionsSchema.shape.prefix,
  timeoutMs: timerMs(positiveDurationMs).optional(),
  retryDelayMs: timerMs(positiveDurationMs).optional(),
  maxRetryDelayMs: timerMs(positiveDurationMs).optional(),
});

const signalSchema = z.custom<AbortSignal>((value) => value instanceof AbortSignal, { message: 'expected an AbortSignal' });

const acquireShape = {
  ttlMs: timerMs(positiveDurationMs),
  waitMs: timerMs(durationMs).optional(),
  signal: signalSchema.optional(),
};

/** Schema of {@link AcquireOptions}. */
export const acquireOptionsSchema = z.strictObject(acquireShape);

/** Schema of {@link WithLockOptions}; see also {@link extendBelowTtl}. */
export const withLockOptionsSchema = z.strictObject({ ...acquireShape, extendEveryMs: timerMs(positiveDurationMs).optional() });

/** A delay the acquire options accept: more than 0 (at least 0 when `orEqual`), at most the longest timer delay. */
export function isTimerDelay(value: unknown, orEqual: boolean): value is number {
  return typeof value === 'number' && (orEqual ? value >= 0 : value > 0) && value <= MAX_TIMER_DELAY_MS;
}

/**
 * Whether `options` are acquire options (with `extendEveryMs` too, for withLock) that the schema
 * would accept unchanged: the common case, checked without zod on every call. Anything else goes
 * through the schema, which names each bad field.
 */
export function isValidAcquire(options: unknown, withLock: boolean): options is WithLockOptions {
  if (typeof options !== 'object' || options === null) return false;
  const { ttlMs, waitMs, signal, extendEveryMs } = options as WithLockOptions;
  for (const key in options) {
    if (key !== 'ttlMs' && key !== 'waitMs' && key !== 'signal' && !(withLock && key === 'extendEveryMs')) return false;
  }
  return (
    isTimerDelay(ttlMs, false) &&
    (waitMs === undefined || isTimerDelay(waitMs, true)) &&
    (signal === undefined || signal instanceof AbortSignal) &&
    (extendEveryMs === undefined || (isTimerDelay(extendEveryMs, false) && extendEveryMs < ttlMs))
  );
}

/** Refuses an `extendEveryMs` that is not below `ttlMs`: the lease would expire between two extends. */
export const extendBelowTtl: CrossFieldCheck = (input) => {
  const { ttlMs, extendEveryMs } = input;
  return typeof ttlMs === 'number' && typeof extendEveryMs === 'number' && ttlMs > 0 && extendEveryMs >= ttlMs
    ? [{ path: 'extendEveryMs', message: `must be below ttlMs (${ttlMs}), got ${extendEveryMs}` }]
    : [];
};
