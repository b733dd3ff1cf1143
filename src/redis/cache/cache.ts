/**
 * Cache: cache-aside over Redis, with singleflight loads, the lost-update rule and degrading.
 * @module
 */
import { Bulkhead } from '../../bulkhead/index';
import type { CircuitBreaker } from '../../circuit-breaker/index';
import { systemClock, type Clock } from '../../core/clock';
import { defaultName, parseOptions } from '../../core/config';
import { getLogger } from '../../core/logger';
import type { ExecutionContext, Policy } from '../../core/policy';
import { registerInstance, type PatternHealth } from '../../core/registry';
import type { ErrorClass } from '../../core/exceptions';
import { decodeEntry, encodeDeletion, encodeFailure, encodeUndefined, encodeValue, newGeneration, type ReadEntry, type StoredFailure } from './entry';
import { entryKey, keyStart } from './keys';
import { CACHE_DEFAULTS, cacheCrossChecks, cacheOptionsSchema, jsonSerializer, type CacheOptions, type CacheSerializer } from './options';
import { CacheRedis, defaultRedisPolicy } from './redis-calls';
import { Flights, type Flight } from './singleflight';
import type { CacheStats } from './stats';

/**
 * Loads the value of a key on a miss. `ctx.key` is the cache key; `ctx.signal` aborts when the
 * load has run for `loadTimeoutMs` (or when `loaderPolicy` gives up on it).
 */
export type CacheLoader<T> = (ctx: ExecutionContext) => T | PromiseLike<T>;

/** Per-call options of {@link Cache.set}. */
export interface CacheSetOptions {
  /** How long the value is fresh, in ms (before jitter). @defaultValue the cache's `ttlMs` */
  ttlMs?: number;
}

/** Per-call options of {@link Cache.getOrLoad}. */
export interface GetOrLoadOptions {
  /** How long a loaded value is fresh, in ms (before jitter). @defaultValue the cache's `ttlMs` */
  ttlMs?: number;
  /**
   * Stops this caller's wait: it rejects with the signal's reason at once. The load itself goes
   * on for the other callers of the key (and is written).
   */
  signal?: AbortSignal;
}

/**
 * Cache-aside over Redis (`bulwark/redis`): `getOrLoad` answers from Redis while the value is
 * fresh and calls the loader on a miss.
 *
 * - **One load per key per process**: concurrent misses of a key share one call of the loader
 *   (singleflight); a rejected load is never cached; a load that hangs holds its key for at most
 *   `loadTimeoutMs`.
 * - **No lost updates**: a load writes its value only if the entry is still the one it read when
 *   it began (a compare-and-set in one Lua script), so a load that started before a `set`, a
 *   `delete` or another load finished never overwrites the newer state.
 * - **Degrades instead of failing**: when Redis fails, times out or its circuit is open, a read is
 *   a miss and `getOrLoad` calls the loader, bounded by `loaderPolicy`; the caller never sees the
 *   Redis failure unless `onRedisError: 'throw'`.
 * - One Redis string per key (value and metadata together); an entry that cannot be read is a
 *   miss and is overwritten, never thrown. Time comes from this process's clock.
 *
 * @example
 * ```ts
 * const redis = new Redis({ enableOfflineQueue: false });
 * const users = new Cache({ redis, prefix: 'app:users', ttlMs: 60_000 });
 * const user = await users.getOrLoad(id, ({ signal }) => db.findUser(id, { signal }));
 * ```
 */
export class Cache {
  /** Instance name, used in logs and the registry. */
  readonly name: string;
  /** The kind of instance in a registry: `'cache'`. */
  readonly patternType = 'cache';
  /** First part of every key. */
  readonly prefix: string;
  /** How long a written value is fresh by default, in ms (before jitter). */
  readonly ttlMs: number;
  readonly #start: string;
  readonly #jitter: number;
  readonly #negativeTtlMs: number | undefined;
  readonly #negativeErrors: readonly ErrorClass[];
  readonly #serializer: CacheSerializer;
  readonly #throws: boolean;
  readonly #loadTimeoutMs: number;
  readonly #clock: Clock;
  readonly #redis: CacheRedis;
  readonly #breaker: CircuitBreaker | undefined;
  readonly #loaderPolicy: Policy;
  readonly #flights: Flights;
  #hits = 0;
  #misses = 0;
  #loads = 0;
  #loadErrors = 0;
  #degraded = 0;

  /**
   * @param options - see {@link CacheOptions}
   * @throws ConfigError (from `bulwark`) naming every invalid option
   */
  constructor(options: CacheOptions) {
    const resolved = parseOptions(cacheOptionsSchema, options, 'Cache options', cacheCrossChecks);
    this.name = resolved.name ?? defaultName('cache');
    this.prefix = resolved.prefix;
    this.ttlMs = resolved.ttlMs;
    this.#start = keyStart(resolved.prefix, resolved.version);
    this.#jitter = resolved.jitter ?? CACHE_DEFAULTS.jitter;
    this.#negativeTtlMs = resolved.negativeTtlMs;
    this.#negativeErrors = resolved.negativeErrors ?? [];
    this.#serializer = resolved.serializer ?? jsonSerializer;
    this.#throws = (resolved.onRedisError ?? CACHE_DEFAULTS.onRedisError) === 'throw';
    this.#loadTimeoutMs = resolved.loadTimeoutMs ?? CACHE_DEFAULTS.loadTimeoutMs;
    this.#clock = resolved.clock ?? systemClock;
    let policy = resolved.policy;
    if (policy === undefined) {
      const made = defaultRedisPolicy(this.name);
      policy = made.policy;
      this.#breaker = made.breaker;
    }
    this.#redis = new CacheRedis(resolved.redis, policy);
    this.#loaderPolicy =
      resolved.loaderPolicy ??
      new Bulkhead({
        name: `${this.name}:loads`,
        registry: false,
        maxInFlight: CACHE_DEFAULTS.maxLoadsInFlight,
        maxQueue: CACHE_DEFAULTS.maxLoadsQueued,
      });
    this.#flights = new Flights(this.#clock, this.#loadTimeoutMs);
    registerInstance(this, resolved.registry);
  }

  /**
   * The fresh value of `key`, or undefined on a miss (nothing there, expired, unreadable, or
   * Redis failing under `onRedisError: 'degrade'`) and for a cached `undefined` or error.
   * @throws the Redis failure (as a rejection) under `onRedisError: 'throw'`
   */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    const read = await this.#read(entryKey(this.#start, checkKey(key)));
    if (read !== undefined && read.found && read.freshUntil > this.#clock.now()) {
      this.#hits++;
      return read.value as T;
    }
    this.#misses++;
    return undefined;
  }

  /**
   * Stores `value` under `key`, replacing whatever is there; a load of the key still running
   * will not overwrite it. Resolves true when Redis took the write, false when Redis failed
   * (under `onRedisError: 'degrade'`).
   * @throws TypeError (as a rejection) when the serializer cannot store `value` (JSON: `undefined`, a function, a BigInt)
   * @throws the Redis failure (as a rejection) under `onRedisError: 'throw'`
   */
  async set(key: string, value: unknown, options?: CacheSetOptions): Promise<boolean> {
    const redisKey = entryKey(this.#start, checkKey(key));
    const ttlMs = this.#entryTtl(options?.ttlMs);
    const now = this.#clock.now();
    const text = encodeValue(newGeneration(), now + ttlMs, now + ttlMs, this.#serializer.serialize(value));
    this.#flights.forget(redisKey);
    return this.#written(this.#redis.set(redisKey, text, ttlMs));
  }

  /**
   * Removes `key`: the next read is a miss, and a load of it that began before is not written
   * (a marker stays in Redis for `loadTimeoutMs` to say so). Resolves true when Redis took the
   * write, false when Redis failed (under `onRedisError: 'degrade'`).
   * @throws the Redis failure (as a rejection) under `onRedisError: 'throw'`
   */
  async delete(key: string): Promise<boolean> {
    const redisKey = entryKey(this.#start, checkKey(key));
    this.#flights.forget(redisKey);
    return this.#written(this.#redis.set(redisKey, encodeDeletion(newGeneration(), this.#clock.now()), this.#loadTimeoutMs));
  }

  /**
   * The fresh value of `key`; on a miss, what `loader` returns, written for `ttlMs` (before
   * jitter). Concurrent misses of the key in this process share one load. A loaded `undefined`
   * is cached for `negativeTtlMs` (not at all without it); a loader's error rejects every caller
   * of that load and is not cached, unless its class is in `negativeErrors` (then later calls
   * reject with a like error for `negativeTtlMs`). While Redis fails, every call loads (through `loaderPolicy`) and nothing is written.
   * @throws the loader's error, or `loaderPolicy`'s refusal (e.g. `BulkheadRejectedError`)
   * @throws the caller's `signal.reason` when it aborts
   * @throws the Redis failure (as a rejection) under `onRedisError: 'throw'`
   */
  getOrLoad<T>(key: string, loader: CacheLoader<T>, options?: GetOrLoadOptions): Promise<T> {
    if (typeof key !== 'string') return Promise.reject(keyTypeError(key));
    const signal = options?.signal;
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    const redisKey = entryKey(this.#start, key);
    const flight = this.#flights.get(redisKey);
    let result: Promise<T>;
    if (flight === undefined) result = this.#readOrLoad(key, redisKey, loader, options?.ttlMs);
    else {
      this.#misses++;
      result = flight.promise as Promise<T>;
    }
    return signal === undefined ? result : untilAborted(result, signal);
  }

  /** Counters since construction. */
  stats(): CacheStats {
    const hits = this.#hits;
    const misses = this.#misses;
    return {
      hits,
      misses,
      hitRatio: hits + misses === 0 ? 0 : hits / (hits + misses),
      loads: this.#loads,
      loadErrors: this.#loadErrors,
      degraded: this.#degraded,
      loading: this.#flights.size,
    };
  }

  /** Unhealthy while the default Redis policy's circuit is not closed (Redis failing or recovering). */
  health(): PatternHealth {
    const breaker = this.#breaker;
    if (breaker === undefined) return HEALTHY;
    const state = breaker.state;
    return state === 'closed' ? HEALTHY : { healthy: false, state, detail: 'Redis is failing: reads are misses, loads go to the loader' };
  }

  async #readOrLoad<T>(key: string, redisKey: string, loader: CacheLoader<T>, ttlMs: number | undefined): Promise<T> {
    const read = await this.#read(redisKey);
    if (read !== undefined && read.found && read.freshUntil > this.#clock.now()) {
      const failure = read.failure;
      if (failure === undefined) {
        this.#hits++;
        return read.value as T;
      }
      const error = this.#rebuild(failure);
      if (error !== undefined) {
        this.#hits++;
        throw error;
      }
    }
    this.#misses++;
    const flights = this.#flights;
    const flight =
      (flights.get(redisKey) as Flight<T> | undefined) ??
      flights.start<T>(redisKey, (started) => this.#load(key, redisKey, loader, read?.token, started, ttlMs));
    return flight.promise;
  }

  /** One load: the loader through `loaderPolicy`, then the write if nothing newer is there. */
  async #load<T>(key: string, redisKey: string, loader: CacheLoader<T>, token: string | undefined, flight: Flight<T>, ttlMs: number | undefined): Promise<T> {
    this.#loads++;
    let value: T;
    try {
      value = await this.#loaderPolicy.execute(loader, { key, signal: flight.signal });
    } catch (error) {
      this.#loadErrors++;
      const negative = this.#negativeTtlMs;
      const failed = negative === undefined ? undefined : this.#negativeErrors.find((errorClass) => error instanceof errorClass);
      if (failed !== undefined && token !== undefined && !flight.abandoned) {
        const ttl = this.#entryTtl(negative);
        const failure: StoredFailure = [failed.name, (error as Error).message];
        await this.#writeIfUnchanged(redisKey, token, encodeFailure(newGeneration(), this.#clock.now() + ttl, failure), ttl);
      }
      throw error;
    }
    // No token: the read failed, so what is there is unknown and nothing may be written over it.
    if (token !== undefined && !flight.abandoned) await this.#writeLoaded(redisKey, token, value, ttlMs);
    return value;
  }

  /** Writes a loaded value (or a loaded `undefined`, when those are cached) if nothing newer is there. */
  async #writeLoaded(redisKey: string, token: string, value: unknown, ttlMs: number | undefined): Promise<void> {
    let text: string;
    let ttl: number;
    if (value === undefined) {
      const negative = this.#negativeTtlMs;
      if (negative === undefined) return;
      ttl = this.#entryTtl(negative);
      text = encodeUndefined(newGeneration(), this.#clock.now() + ttl);
    } else {
      ttl = this.#entryTtl(ttlMs);
      const now = this.#clock.now();
      try {
        text = encodeValue(newGeneration(), now + ttl, now + ttl, this.#serializer.serialize(value));
      } catch (error) {
        getLogger().warn({ err: error, cache: this.name }, 'bulwark: a loaded value could not be serialized; it is returned but not cached');
        return;
      }
    }
    await this.#writeIfUnchanged(redisKey, token, text, ttl);
  }

  /** The compare-and-set write, best-effort: a Redis failure is counted, never thrown. */
  async #writeIfUnchanged(redisKey: string, token: string, text: string, ttl: number): Promise<void> {
    try {
      await this.#redis.writeIfUnchanged(redisKey, token, text, ttl);
    } catch {
      this.#degraded++;
    }
  }

  /**
   * An error like the cached one: an object of the `negativeErrors` class of that name, with its
   * message, made without calling the constructor; undefined when no class has that name (the
   * entry is then a miss).
   */
  #rebuild(failure: StoredFailure): Error | undefined {
    const errorClass = this.#negativeErrors.find((candidate) => candidate.name === failure[0]);
    if (errorClass === undefined) return undefined;
    const error = Object.create(errorClass.prototype as object) as Error;
    Object.defineProperty(error, 'message', { value: failure[1], writable: true, configurable: true });
    Error.captureStackTrace(error, this.#rebuild);
    return error;
  }

  /** What Redis holds under `redisKey`; undefined when Redis failed (under `'degrade'`). */
  async #read(redisKey: string): Promise<ReadEntry | undefined> {
    let text: string | null;
    try {
      text = await this.#redis.get(redisKey);
    } catch (error) {
      return this.#redisFailed(error);
    }
    return decodeEntry(text, this.#serializer);
  }

  async #written(write: Promise<unknown>): Promise<boolean> {
    try {
      await write;
      return true;
    } catch (error) {
      this.#redisFailed(error);
      return false;
    }
  }

  #redisFailed(error: unknown): undefined {
    this.#degraded++;
    if (this.#throws) throw error;
    return undefined;
  }

  /** `ttlMs` (or the cache's) spread by the jitter, in whole ms, at least 1. */
  #entryTtl(ttlMs: number | undefined): number {
    const base = ttlMs ?? this.ttlMs;
    if (!(base > 0 && Number.isFinite(base))) throw new RangeError(`ttlMs must be a finite number > 0, got ${String(base)}`);
    const jitter = this.#jitter;
    return jitter === 0 ? Math.ceil(base) : Math.max(1, Math.round(base * (1 + jitter * (2 * Math.random() - 1))));
  }
}

const HEALTHY: PatternHealth = Object.freeze({ healthy: true });

function checkKey(key: string): string {
  if (typeof key !== 'string') throw keyTypeError(key);
  return key;
}

function keyTypeError(key: unknown): TypeError {
  return new TypeError(`Cache key must be a string, got ${typeof key}`);
}

/** `promise`, or the signal's reason as soon as it aborts; the listener is removed either way. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
