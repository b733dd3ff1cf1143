/**
 * What a Cache does on a miss: run the loader, cache the outcome if nothing newer is there, and
 * the background refresh of stale-while-revalidate.
 * @module
 */
import { getLogger } from '../../core/logger';
import type { ExecutionContext, Policy } from '../../core/policy';
import type { CacheCounters } from './counters';
import { encodeFailure, encodeUndefined, encodeValue, newGeneration, type ReadEntry, type StoredFailure } from './entry';
import { leaseKey } from './keys';
import type { CacheRedis } from './redis-calls';
import { entryTtl, type CacheSettings } from './settings';
import type { Flight } from './singleflight';

/**
 * Loads the value of a key on a miss. `ctx.key` is the cache key; `ctx.signal` aborts when the
 * load has run for `loadTimeoutMs` (or when `loaderPolicy` gives up on it).
 */
export type CacheLoader<T> = (ctx: ExecutionContext) => T | PromiseLike<T>;

/** One load: which key, with what, over which entry. */
export interface LoadRequest<T> {
  readonly key: string;
  readonly redisKey: string;
  readonly loader: CacheLoader<T>;
  /** What the read before the load found; undefined when the read failed (nothing may be written then). */
  readonly read: ReadEntry | undefined;
  readonly ttlMs: number | undefined;
}

/** Runs loads and writes their outcomes, for one cache. */
export class CacheLoads {
  readonly #settings: CacheSettings;
  readonly #redis: CacheRedis;
  readonly #loaderPolicy: Policy;
  readonly #counters: CacheCounters;

  constructor(settings: CacheSettings, redis: CacheRedis, loaderPolicy: Policy, counters: CacheCounters) {
    this.#settings = settings;
    this.#redis = redis;
    this.#loaderPolicy = loaderPolicy;
    this.#counters = counters;
  }

  /**
   * Runs the loader through `loaderPolicy` and writes what it gave (a value; `undefined` or an
   * error of a `negativeErrors` class when those are cached) if the entry is still the one the
   * read found. A load that failed otherwise returns the value the read found if it is still
   * inside `graceMs` (stale-if-error) and `useGrace` is set, else rejects.
   */
  async load<T>(request: LoadRequest<T>, flight: Flight<T>, useGrace: boolean): Promise<T> {
    const settings = this.#settings;
    const counters = this.#counters;
    const read = request.read;
    counters.loads++;
    let value: T;
    try {
      value = await this.#loaderPolicy.execute(request.loader, { key: request.key, signal: flight.signal });
    } catch (error) {
      counters.loadErrors++;
      const negative = settings.negativeTtlMs;
      const failed = negative === undefined ? undefined : settings.negativeErrors.find((errorClass) => error instanceof errorClass);
      if (failed !== undefined) {
        if (read !== undefined && !flight.abandoned) {
          const ttl = entryTtl(settings, negative);
          const failure: StoredFailure = [failed.name, (error as Error).message];
          await this.#write(request.redisKey, read.token, encodeFailure(newGeneration(), settings.clock.now() + ttl, failure), ttl);
        }
      } else if (useGrace && read !== undefined && read.found && read.failure === undefined && settings.clock.now() < read.freshUntil + settings.graceMs) {
        counters.staleServed++;
        return read.value as T;
      }
      throw error;
    }
    // No read: what Redis holds is unknown, so nothing may be written over it.
    if (read !== undefined && !flight.abandoned) await this.#writeLoaded(request.redisKey, read.token, value, request.ttlMs);
    return value;
  }

  /**
   * The background refresh of a stale entry: only in the process that takes the key's refresh
   * lease (SET NX PX, for `loadTimeoutMs`), given back when the load ends. Resolves undefined
   * when another process holds the lease or Redis failed.
   */
  async refresh<T>(request: LoadRequest<T>, flight: Flight<T | undefined>): Promise<T | undefined> {
    const lease = leaseKey(request.redisKey);
    const holder = newGeneration();
    try {
      if (!(await this.#redis.takeLease(lease, holder, this.#settings.loadTimeoutMs))) return undefined;
    } catch {
      this.#counters.degraded++;
      return undefined;
    }
    try {
      return await this.load(request, flight as Flight<T>, false);
    } finally {
      await this.#redis.releaseLease(lease, holder).catch(() => this.#counters.degraded++);
    }
  }

  /** Writes a loaded value (or a loaded `undefined`, when those are cached) if nothing newer is there. */
  async #writeLoaded(redisKey: string, token: string, value: unknown, ttlMs: number | undefined): Promise<void> {
    const settings = this.#settings;
    if (value === undefined) {
      const negative = settings.negativeTtlMs;
      if (negative === undefined) return;
      const ttl = entryTtl(settings, negative);
      await this.#write(redisKey, token, encodeUndefined(newGeneration(), settings.clock.now() + ttl), ttl);
      return;
    }
    const ttl = entryTtl(settings, ttlMs);
    let text: string;
    try {
      text = encodeFresh(settings, value, ttl);
    } catch (error) {
      getLogger().warn({ err: error, cache: settings.name }, 'bulwark: a loaded value could not be serialized; it is returned but not cached');
      return;
    }
    await this.#write(redisKey, token, text, ttl + settings.keepMs);
  }

  /** The compare-and-set write, best-effort: a Redis failure is counted, never thrown. */
  async #write(redisKey: string, token: string, text: string, ttl: number): Promise<void> {
    try {
      await this.#redis.writeIfUnchanged(redisKey, token, text, ttl);
    } catch {
      this.#counters.degraded++;
    }
  }
}

/**
 * The stored form of `value`, fresh for `ttl` ms from now and stale for `staleTtlMs` after.
 * @throws what the serializer throws for a value it cannot store
 */
export function encodeFresh(settings: CacheSettings, value: unknown, ttl: number): string {
  const freshUntil = settings.clock.now() + ttl;
  return encodeValue(newGeneration(), freshUntil, freshUntil + settings.staleTtlMs, settings.serializer.serialize(value));
}
