/**
 * Cache: cache-aside over Redis, with singleflight loads, the lost-update rule and degrading.
 * @module
 */
import type { CircuitBreaker } from '../../circuit-breaker/index';
import { defaultName, parseOptions } from '../../core/config';
import { registerInstance, type PatternHealth } from '../../core/registry';
import { EventHub, type EventEmitter } from '../../core/events';
import type { CacheEvents } from './events';
import { CacheSignals } from './signals';
import { decodeEntry, encodeDeletion, newGeneration, rebuildFailure, type ReadEntry } from './entry';
import { getMany, type BatchLoader, type BatchParts } from './batch';
import { checkKey, keyTypeError, untilAborted, type CacheSetOptions, type GetManyOrLoadOptions, type GetOrLoadOptions } from './calls';
import { leaseKey } from './keys';
import { CacheLoads, encodeFresh, type CacheLoader, type LoadRequest } from './loads';
import { CACHE_DEFAULTS, cacheCrossChecks, cacheOptionsSchema, type CacheOptions } from './options';
import { cachePolicies } from './policies';
import { CacheRedis } from './redis-calls';
import { entryTtl, resolveSettings, type CacheSettings } from './settings';
import { Flights } from './singleflight';
import type { CacheStats } from './stats';

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
 * - **Stale-while-revalidate** (`staleTtlMs`) and **stale-if-error** (`graceMs`); negative
 *   caching of `undefined` and of named errors (`negativeTtlMs`, `negativeErrors`); TTL jitter.
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
  /** Typed emitter of this cache's events (also published on the bus as `cache:<event>`). */
  readonly events: EventEmitter<CacheEvents>;
  readonly #settings: CacheSettings;
  readonly #redis: CacheRedis;
  readonly #breaker: CircuitBreaker | undefined;
  readonly #loads: CacheLoads;
  readonly #signals: CacheSignals;
  /** Loads of keys that missed: callers wait for them. */
  readonly #flights: Flights;
  /** Background refreshes of stale keys: nobody waits for them. */
  readonly #refreshes: Flights;
  readonly #batchParts: BatchParts;
  /** The default policies this cache made (the user's own are theirs to dispose). */
  readonly #owned: readonly { dispose(): void }[];

  /**
   * @param options - see {@link CacheOptions}
   * @throws ConfigError (from `bulwark`) naming every invalid option
   */
  constructor(options: CacheOptions) {
    const resolved = parseOptions(cacheOptionsSchema, options, 'Cache options', cacheCrossChecks);
    this.name = resolved.name ?? defaultName('cache');
    this.prefix = resolved.prefix;
    this.ttlMs = resolved.ttlMs;
    const settings = resolveSettings(resolved, this.name);
    this.#settings = settings;
    const hub = new EventHub<CacheEvents>(this.patternType, this.name);
    this.events = hub.emitter;
    this.#signals = new CacheSignals(hub, settings.clock);
    const policies = cachePolicies(this.name, resolved.policy, resolved.loaderPolicy);
    this.#breaker = policies.redisLayers?.breaker;
    this.#owned = policies.owned;
    this.#redis = new CacheRedis(resolved.redis, policies.redis, policies.redisLayers, resolved.batchReads ?? CACHE_DEFAULTS.batchReads);
    const loaderPolicy = policies.loader;
    this.#loads = new CacheLoads(settings, this.#redis, loaderPolicy, this.#signals);
    this.#flights = new Flights(settings.clock, settings.loadTimeoutMs);
    this.#batchParts = {
      settings,
      redis: this.#redis,
      signals: this.#signals,
      flights: this.#flights,
      loads: this.#loads,
      loaderPolicy,
      redisFailed: (error) => this.#redisFailed(error),
    };
    this.#refreshes = new Flights(settings.clock, settings.loadTimeoutMs);
    registerInstance(this, resolved.registry);
  }

  /**
   * The fresh value of `key`, or undefined on a miss (nothing there, expired, unreadable, or
   * Redis failing under `onRedisError: 'degrade'`) and for a cached `undefined` or error. A
   * stale value is a miss here (`get` has no loader to refresh it with).
   * @throws the Redis failure (as a rejection) under `onRedisError: 'throw'`
   */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    const settings = this.#settings;
    const redisKey = settings.keys.entry(checkKey(key));
    let read: ReadEntry | undefined;
    try {
      read = decodeEntry(await this.#redis.read(redisKey), settings.serializer);
    } catch (error) {
      read = this.#redisFailed(error);
    }
    if (read !== undefined && read.found && read.freshUntil > settings.clock.now()) {
      this.#signals.hit(key);
      return read.value as T;
    }
    this.#signals.miss(key);
    return undefined;
  }

  /**
   * Stores `value` under `key`, replacing whatever is there; a load of the key still running
   * (in any process) will not overwrite it, and misses no longer wait for it. Resolves true when Redis took the write, false when Redis failed
   * (under `onRedisError: 'degrade'`).
   * @throws TypeError (as a rejection) when the serializer cannot store `value` (JSON: `undefined`, a function, a BigInt)
   * @throws the Redis failure (as a rejection) under `onRedisError: 'throw'`
   */
  async set(key: string, value: unknown, options?: CacheSetOptions): Promise<boolean> {
    const settings = this.#settings;
    const redisKey = settings.keys.entry(checkKey(key));
    const ttl = entryTtl(settings, options?.ttlMs);
    const text = encodeFresh(settings, value, ttl);
    this.#flights.forget(redisKey);
    const tags = options?.tags;
    // Tagged first: an invalidation between the two writes then removes the new value too.
    if (tags !== undefined && tags.length > 0) {
      const tagged = this.#redis.tag(tags.map((tag) => settings.keys.tag(tag)), redisKey, ttl + settings.keepMs);
      if (!(await this.#written(tagged))) return false;
    }
    return this.#written(this.#redis.replace(redisKey, leaseKey(redisKey), text, ttl + settings.keepMs));
  }

  /**
   * Removes `key`: the next read is a miss, and a load of it that began before is not written
   * (a marker stays in Redis for `loadTimeoutMs` to say so). Resolves true when Redis took the
   * write, false when Redis failed (under `onRedisError: 'degrade'`).
   * @throws the Redis failure (as a rejection) under `onRedisError: 'throw'`
   */
  async delete(key: string): Promise<boolean> {
    const settings = this.#settings;
    const redisKey = settings.keys.entry(checkKey(key));
    this.#flights.forget(redisKey);
    const marker = encodeDeletion(newGeneration(), settings.clock.now());
    return this.#written(this.#redis.replace(redisKey, leaseKey(redisKey), marker, settings.loadTimeoutMs));
  }

  /**
   * The fresh value of `key`; on a miss, what `loader` returns, written for `ttlMs` (before
   * jitter). Concurrent misses of the key in this process share one load. A loaded `undefined`
   * is cached for `negativeTtlMs` (not at all without it); a loader's error rejects every caller
   * of that load and is not cached, unless its class is in `negativeErrors` (then later calls
   * reject with a like error for `negativeTtlMs`). Inside `staleTtlMs` after the value stopped
   * being fresh, it is returned at once and refreshed in the background; inside `graceMs`, a
   * failing load returns it. While Redis fails, every call loads (through `loaderPolicy`) and
   * nothing is written.
   * @throws the loader's error, or `loaderPolicy`'s refusal (e.g. `BulkheadRejectedError`)
   * @throws the caller's `signal.reason` when it aborts
   * @throws the Redis failure (as a rejection) under `onRedisError: 'throw'`
   */
  getOrLoad<T>(key: string, loader: CacheLoader<T>, options?: GetOrLoadOptions): Promise<T> {
    if (typeof key !== 'string') return Promise.reject(keyTypeError(key));
    const signal = options?.signal;
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    const redisKey = this.#settings.keys.entry(key);
    const flight = this.#flights.get(redisKey);
    let result: Promise<T>;
    if (flight === undefined) result = this.#readOrLoad(key, redisKey, loader, options?.ttlMs);
    else {
      this.#signals.miss(key);
      result = flight.promise as Promise<T>;
    }
    return signal === undefined ? result : untilAborted(result, signal);
  }

  /**
   * The values of `keys`, in order (`undefined` for a key with none): the fresh ones from one read
   * (one MGET; one per slot on a Cluster), the others from ONE call of `batchLoader` with just
   * those keys, written back in one pipeline (one per slot on a Cluster) under the lost-update
   * rule. A key with a load in progress in this process joins it. Misses neither wait for other
   * processes nor serve stale values, and a cached error reads as `undefined`.
   * @throws the batch loader's error (no value of the batch is cached), or `loaderPolicy`'s refusal
   * @throws TypeError (as a rejection) when a key is not a string or the batch loader returns
   *   other than one value per key
   * @throws the Redis failure (as a rejection) under `onRedisError: 'throw'`
   */
  async getManyOrLoad<T>(keys: readonly string[], batchLoader: BatchLoader<T>, options?: GetManyOrLoadOptions): Promise<(T | undefined)[]> {
    for (const key of keys) checkKey(key);
    if (keys.length === 0) return [];
    return getMany(this.#batchParts, keys, batchLoader, options?.ttlMs);
  }

  /**
   * Removes every entry written with `tag` (see {@link CacheSetOptions.tags}), in every process:
   * each becomes a miss, and loads of them that began before do not write. Resolves with how
   * many entries were tagged with it since its last invalidation (each now holds a deletion
   * marker, whether or not it had expired meanwhile); 0 when Redis failed, under
   * `onRedisError: 'degrade'`.
   * @throws the Redis failure (as a rejection) under `onRedisError: 'throw'`
   */
  async invalidateTag(tag: string): Promise<number> {
    const settings = this.#settings;
    let entries: string[];
    try {
      entries = await this.#redis.takeTag(settings.keys.tag(checkKey(tag)));
    } catch (error) {
      this.#redisFailed(error);
      return 0;
    }
    const marker = encodeDeletion(newGeneration(), settings.clock.now());
    const removed = await Promise.all(
      entries.map((entry) => {
        this.#flights.forget(entry);
        return this.#written(this.#redis.replace(entry, leaseKey(entry), marker, settings.loadTimeoutMs));
      }),
    );
    return removed.filter(Boolean).length;
  }

  /** Counters since construction. */
  stats(): CacheStats {
    return this.#signals.snapshot(this.#flights.size + this.#refreshes.size);
  }

  /** Unhealthy while the default Redis policy's circuit is not closed (Redis failing or recovering). */
  health(): PatternHealth {
    const breaker = this.#breaker;
    if (breaker === undefined) return HEALTHY;
    const state = breaker.state;
    return state === 'closed' ? HEALTHY : { healthy: false, state, detail: 'Redis is failing: reads are misses, loads go to the loader' };
  }

  /**
   * Disposes the default policies the cache made (its breaker's timers). Calls in flight and
   * background refreshes end as they would; the connection is yours and stays open. Idempotent.
   */
  dispose(): void {
    for (const owned of this.#owned) owned.dispose();
  }

  /** Same as `dispose()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }

  /** The hot path of a hit: one await (on the read), the entry decoded in place, no closure. */
  async #readOrLoad<T>(key: string, redisKey: string, loader: CacheLoader<T>, ttlMs: number | undefined): Promise<T> {
    const settings = this.#settings;
    let read: ReadEntry | undefined;
    try {
      read = decodeEntry(await this.#redis.read(redisKey), settings.serializer);
    } catch (error) {
      read = this.#redisFailed(error);
    }
    const signals = this.#signals;
    if (read !== undefined && read.found) {
      const now = settings.clock.now();
      const failure = read.failure;
      if (read.freshUntil > now) {
        if (failure === undefined) {
          signals.hit(key);
          return read.value as T;
        }
        const error = rebuildFailure(failure, settings.negativeErrors);
        if (error !== undefined) {
          signals.hit(key);
          throw error;
        }
      } else if (read.staleUntil > now && failure === undefined) {
        signals.stale(key, 'revalidating');
        this.#refreshInBackground({ key, redisKey, loader, read, ttlMs });
        return read.value as T;
      }
    }
    signals.miss(key);
    const flights = this.#flights;
    const request: LoadRequest<T> = { key, redisKey, loader, read, ttlMs };
    return (flights.get(redisKey)?.promise as Promise<T> | undefined) ?? flights.start<T>(redisKey, (flight) => this.#loads.load(request, flight)).promise;
  }

  /** Starts the refresh of a stale key unless one runs in this process already. */
  #refreshInBackground<T>(request: LoadRequest<T>): void {
    const refreshes = this.#refreshes;
    if (refreshes.get(request.redisKey) === undefined) {
      refreshes.start<T | undefined>(request.redisKey, (flight) => this.#loads.refresh(request, flight));
    }
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
    this.#signals.degraded(error);
    if (this.#settings.throws) throw error;
    return undefined;
  }
}

const HEALTHY: PatternHealth = Object.freeze({ healthy: true });
