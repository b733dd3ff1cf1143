/**
 * Options of a Cache, their defaults and their schema.
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import type { Clock } from '../../core/clock';
import { commonOptionsShape, durationMs, objectWithMethods, positiveDurationMs, ratio, timerMs, type CrossFieldCheck } from '../../core/config';
import type { ErrorClass } from '../../core/exceptions';
import type { Policy } from '../../core/policy';
import { redisStoreOptionsSchema } from '../options';
import type { Registry } from '../../core/registry';

/** Turns values into the text stored in Redis and back; see {@link CacheOptions.serializer}. */
export interface CacheSerializer {
  /** The stored form of `value`; may throw for a value it cannot store (the value is then not cached). */
  serialize(value: unknown): string;
  /** The value `text` stands for; may throw for text it cannot read (the entry is then a miss). */
  deserialize(text: string): unknown;
}

/** What a Cache does when Redis fails; see {@link CacheOptions.onRedisError}. */
export type CacheRedisErrorMode = 'degrade' | 'throw';

/** Options of a {@link Cache}. */
export interface CacheOptions {
  /**
   * The connection: an ioredis `Redis` or `Cluster`. Create it with `enableOfflineQueue: false`;
   * the Cache also never sends while its `status` is not `'ready'` (it waits for readiness within
   * the time its policy allows).
   */
  redis: Redis | Cluster;
  /** First part of every key, e.g. `'app:users'`. Must not be empty or contain `{` or `}`. */
  prefix: string;
  /** How long a written value is fresh, in ms (before jitter). */
  ttlMs: number;
  /**
   * Spread of each entry's fresh time, as a ratio (0–1) of `ttlMs`: each write's time is drawn
   * uniformly from `ttlMs × (1 ± jitter)`, so that keys written together do not expire together.
   * `0` turns it off.
   * @defaultValue 0.1
   */
  jitter?: number;
  /**
   * Stale-while-revalidate: for this long after a value stops being fresh, `getOrLoad` returns
   * it at once and refreshes it in the background, once per key across every process (one
   * process takes a short Redis lease and loads; the others keep serving the stale value). A
   * refresh that fails keeps the stale value. `0` turns it off.
   * @defaultValue 0
   */
  staleTtlMs?: number;
  /**
   * Stale-if-error: for this long after a value stops being fresh, a load of the key that fails
   * returns that value instead of the error (errors of `negativeErrors` classes excepted: they
   * are answers). `0` turns it off.
   * @defaultValue 0
   */
  graceMs?: number;
  /**
   * How long a loaded `undefined` (and an error of a class in `negativeErrors`) is cached, in ms
   * (before jitter), so that keys with no value do not send every read to the loader. Without
   * it, neither is cached.
   */
  negativeTtlMs?: number;
  /**
   * Errors of these classes (e.g. your `NotFoundError`) thrown by a loader are cached for
   * `negativeTtlMs`: until then, `getOrLoad` of the key rejects with an error of the same class
   * and message (made from the class's prototype, without calling its constructor; matched by
   * the class's `name`, so give each a distinct one) without calling the loader. Needs
   * `negativeTtlMs`.
   */
  negativeErrors?: readonly ErrorClass[];
  /**
   * How values are stored. The default is JSON: a `Date` comes back as its ISO string, `undefined`
   * object fields are dropped, `Map`, `Set` and `BigInt` are not supported (a value JSON cannot
   * store is returned to the caller but not cached).
   * @defaultValue JSON
   */
  serializer?: CacheSerializer;
  /**
   * Part of every key after `prefix`: bump it (e.g. when the shape of cached values changes) to
   * leave every entry written under the old one behind. Must not be empty or contain `{` or `}`.
   */
  version?: string | number;
  /**
   * The policy every Redis call runs through. Its failures (and its refusals, e.g. an open
   * circuit) are Redis failures: see `onRedisError`.
   * @defaultValue compose(CircuitBreaker (5 consecutive failures, 5 s recovery), Timeout 200 ms)
   */
  policy?: Policy;
  /**
   * The policy every call of a loader runs through, so that a cache outage (every read a miss)
   * cannot become a stampede on the source of the values.
   * @defaultValue a Bulkhead of 10 loads at once, 1000 queued
   */
  loaderPolicy?: Policy;
  /**
   * `'degrade'`: a Redis failure never reaches the caller: `get` answers a miss, `set` and
   * `delete` resolve `false`, `getOrLoad` calls the loader. `'throw'`: the failure (the error
   * of `policy`: the Redis error, an `OperationTimeoutError`, a `CircuitOpenError`) rejects the call.
   * @defaultValue `'degrade'`
   */
  onRedisError?: CacheRedisErrorMode;
  /**
   * How long a load may hold its key, in ms. A load still running after it no longer holds it:
   * the next miss of the key starts a load of its own, and the late result is returned to its
   * callers but never written. It is also how long a `delete` keeps a later-finishing load
   * from writing back the value it removed, and the longest a key's Redis lease lives (a process
   * that dies while loading blocks the key's other processes no longer than `lockWaitMs`).
   * @defaultValue 30000
   */
  loadTimeoutMs?: number;
  /**
   * How long a miss waits for a load of the key by another process (the one holding the key's
   * Redis lease), in ms. The wait polls Redis with backoff (5 ms doubling to 100 ms) and ends as
   * soon as the value is there; when it runs out, the caller gets the stale value if Redis still
   * holds one, else loads the key itself. `0`: never wait.
   * @defaultValue 3000
   */
  lockWaitMs?: number;
  /**
   * Reads of one tick in one batch: the `get` and `getOrLoad` calls made while the process runs
   * one task (e.g. 100 at once through `Promise.all`) are sent as ONE `MGET` (one per slot on a
   * Cluster) through ONE call of `policy`, the way DataLoader batches; a read alone in its tick is
   * a plain `GET`. Cheaper per read under concurrency (one command, one write to the socket, one
   * policy call instead of one each); each read waits for one more turn of the tick queue (about
   * a microsecond) and for its whole batch's reply. What differs from `false` (one `GET` per read):
   * - a batch that fails (or times out) fails each of its reads, which degrade as any failed
   *   read does; the default policy's breaker counts that as one failure per read (a given
   *   `policy`, and a Cluster's batch, count one outcome per batch), and its Timeout reports one
   *   timeout per batch;
   * - a key holding another Redis type reads as a miss (and is overwritten by the load) instead
   *   of a failed Redis call (`MGET` answers nil where `GET` answers `WRONGTYPE`).
   * @defaultValue true
   */
  batchReads?: boolean;
  /** Instance name, used in events, logs and the registry. @defaultValue `cache-1`, `cache-2`, … */
  name?: string;
  /**
   * Where the cache reads the time (when a value stops being fresh) and sets its timers. Redis
   * expires entries on its own clock: the entry's fresh time, counted from the write.
   * @defaultValue the system clock
   */
  clock?: Clock;
  /**
   * Where the Cache is registered for health checks, or `false` for nowhere.
   * @defaultValue the default registry
   */
  registry?: Registry | false;
}

/** The JSON serializer, the default of {@link CacheOptions.serializer}. */
export const jsonSerializer: CacheSerializer = Object.freeze({
  serialize(value: unknown): string {
    const text = JSON.stringify(value);
    if (typeof text !== 'string') throw new TypeError(`JSON cannot store a ${typeof value}`);
    return text;
  },
  deserialize(text: string): unknown {
    return JSON.parse(text);
  },
});

/** Defaults of {@link CacheOptions}. */
export const CACHE_DEFAULTS = {
  /** Spread of each entry's fresh time, as a ratio of `ttlMs`. */
  jitter: 0.1,
  /** What a Redis failure does. */
  onRedisError: 'degrade',
  /** How long a load may hold its key, in ms. */
  loadTimeoutMs: 30_000,
  /** How long a miss waits for another process's load of the key, in ms. */
  lockWaitMs: 3_000,
  /** Whether the reads of one tick are sent as one MGET. */
  batchReads: true,
  /** Time limit of each Redis call of the default policy, in ms. */
  redisTimeoutMs: 200,
  /** Consecutive Redis failures that open the default policy's circuit. */
  redisFailureThreshold: 5,
  /** How long the default policy's circuit stays open before a probe, in ms. */
  redisRecoveryTimeoutMs: 5_000,
  /** Loads at once under the default loader policy. */
  maxLoadsInFlight: 10,
  /** Loads queued under the default loader policy. */
  maxLoadsQueued: 1_000,
} as const;

/** The RedisStore's rules for a connection and for a key part (non-empty, no braces), shared. */
const storeShape = redisStoreOptionsSchema.shape;
const keyPart = storeShape.prefix.unwrap();

const policySchema = objectWithMethods<Policy>(['execute'], 'expected a Policy (an object with execute)');

/** Schema of {@link CacheOptions}. */
export const cacheOptionsSchema = z.strictObject({
  redis: storeShape.redis,
  prefix: keyPart,
  ttlMs: timerMs(positiveDurationMs),
  jitter: ratio.optional(),
  staleTtlMs: timerMs(durationMs).optional(),
  graceMs: timerMs(durationMs).optional(),
  negativeTtlMs: timerMs(positiveDurationMs).optional(),
  negativeErrors: z
    .array(z.custom<ErrorClass>((value) => typeof value === 'function', { message: 'expected an error class' }))
    .readonly()
    .optional(),
  serializer: objectWithMethods<CacheSerializer>(['serialize', 'deserialize'], 'expected an object with serialize and deserialize functions').optional(),
  version: z.union([keyPart, z.number().finite()]).optional(),
  policy: policySchema.optional(),
  loaderPolicy: policySchema.optional(),
  onRedisError: z.enum(['degrade', 'throw']).optional(),
  loadTimeoutMs: timerMs(positiveDurationMs).optional(),
  lockWaitMs: timerMs(durationMs).optional(),
  batchReads: z.boolean().optional(),
  name: commonOptionsShape.name,
  clock: commonOptionsShape.clock,
  registry: commonOptionsShape.registry,
});

/** Refuses options that would silently do nothing without another. */
export const cacheCrossChecks: CrossFieldCheck = (input) =>
  input['negativeErrors'] !== undefined && input['negativeTtlMs'] === undefined
    ? [{ path: 'negativeErrors', message: 'has no effect without negativeTtlMs (how long they are cached)' }]
    : [];

/** {@link CacheOptions} as the schema returns them. */
export type ParsedCacheOptions = z.output<typeof cacheOptionsSchema>;
