/**
 * What a Cache does on a miss: run the loader, cache the outcome if nothing newer is there, and
 * the background refresh of stale-while-revalidate.
 * @module
 */
import { getLogger } from '../../core/logger';
import type { ExecutionContext, Policy } from '../../core/policy';
import type { CacheSignals } from './signals';
import { encodeFailure, encodeUndefined, encodeValue, newGeneration, rebuildFailure, type ReadEntry, type StoredFailure } from './entry';
import { leaseKey } from './keys';
import type { CacheRedis } from './redis-calls';
import { entryTtl, type CacheSettings } from './settings';
import type { Flight } from './singleflight';
import { takeTurn } from './stampede';

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
  readonly #signals: CacheSignals;

  constructor(settings: CacheSettings, redis: CacheRedis, loaderPolicy: Policy, signals: CacheSignals) {
    this.#settings = settings;
    this.#redis = redis;
    this.#loaderPolicy = loaderPolicy;
    this.#signals = signals;
  }

  /**
   * The load of a key that missed: under the key's Redis lease, so that one process at a time
   * loads it (the others wait for its value; see {@link takeTurn}), or directly when the read
   * failed (Redis is failing: nothing is written then). When the wait for another process runs
   * out, the value the read found, if any, is returned stale instead.
   */
  async load<T>(request: LoadRequest<T>, flight: Flight<T>): Promise<T> {
    const read = request.read;
    if (read === undefined) return this.#loadAndWrite(request, undefined, flight, true);
    const holder = newGeneration();
    const turn = await takeTurn(this.#redis, this.#settings, this.#signals, request.redisKey, read, holder, flight.signal);
    if (turn.answer !== undefined) {
      const answer = turn.answer;
      const failure = answer.failure;
      if (failure === undefined) return answer.value as T;
      const error = rebuildFailure(failure, this.#settings.negativeErrors);
      if (error !== undefined) throw error;
      return this.#loadAndWrite(request, answer, flight, true);
    }
    if (!turn.lease) {
      const stale = turn.read;
      if (stale.found && stale.failure === undefined) {
        this.#signals.stale(request.key, 'waitTimedOut');
        return stale.value as T;
      }
      return this.#loadAndWrite(request, stale, flight, true);
    }
    return this.#underLease(request, turn.read, flight, holder, true);
  }

  /**
   * The background refresh of a stale entry: only in the process that takes the key's lease
   * while the entry is still the stale one it read. Resolves undefined when another process
   * holds the lease or refreshed the entry already, or Redis failed.
   */
  async refresh<T>(request: LoadRequest<T>, flight: Flight<T | undefined>): Promise<T | undefined> {
    const read = request.read as ReadEntry;
    const holder = newGeneration();
    try {
      const outcome = await this.#redis.takeLease(request.redisKey, leaseKey(request.redisKey), read.token, holder, this.#settings.loadTimeoutMs);
      if (outcome !== 1) return undefined;
    } catch (error) {
      this.#signals.degraded(error);
      return undefined;
    }
    return this.#underLease(request, read, flight as Flight<T>, holder, false);
  }

  /** Loads and writes while holding the key's lease; gives it back when done, or when the load is abandoned. */
  async #underLease<T>(request: LoadRequest<T>, read: ReadEntry, flight: Flight<T>, holder: string, useGrace: boolean): Promise<T> {
    const lease = leaseKey(request.redisKey);
    const release = (): void => {
      this.#redis.releaseLease(lease, holder).catch((error: unknown) => this.#signals.degraded(error));
    };
    flight.signal.addEventListener('abort', release, { once: true });
    try {
      return await this.#loadAndWrite(request, read, flight, useGrace);
    } finally {
      flight.signal.removeEventListener('abort', release);
      if (!flight.signal.aborted) release();
    }
  }

  /**
   * Runs the loader through `loaderPolicy` and writes what it gave (a value; `undefined` or an
   * error of a `negativeErrors` class when those are cached) if the entry is still `read`. A
   * load that failed otherwise returns the value `read` found if it is still inside `graceMs`
   * (stale-if-error) and `useGrace` is set, else rejects.
   */
  async #loadAndWrite<T>(request: LoadRequest<T>, read: ReadEntry | undefined, flight: Flight<T>, useGrace: boolean): Promise<T> {
    const settings = this.#settings;
    const signals = this.#signals;
    const startedAt = signals.loading();
    let value: T;
    try {
      value = await this.#loaderPolicy.execute(request.loader, { key: request.key, signal: flight.signal });
    } catch (error) {
      signals.loadFailed([request.key], error, startedAt);
      const negative = settings.negativeTtlMs;
      const failed = negative === undefined ? undefined : settings.negativeErrors.find((errorClass) => error instanceof errorClass);
      if (failed !== undefined) {
        if (read !== undefined && !flight.abandoned) {
          const ttl = entryTtl(settings, negative);
          const failure: StoredFailure = [failed.name, (error as Error).message];
          await this.#write(request.redisKey, read.token, encodeFailure(newGeneration(), settings.clock.now() + ttl, failure), ttl);
        }
      } else if (useGrace && read !== undefined && read.found && read.failure === undefined && settings.clock.now() < read.freshUntil + settings.graceMs) {
        signals.stale(request.key, 'loadFailed');
        return read.value as T;
      }
      throw error;
    }
    signals.loaded([request.key], startedAt);
    // No read: what Redis holds is unknown, so nothing may be written over it.
    if (read !== undefined && !flight.abandoned) await this.#writeLoaded(request.redisKey, read.token, value, request.ttlMs);
    return value;
  }

  /** Writes a loaded value (or a loaded `undefined`, when those are cached) if nothing newer is there. */
  async #writeLoaded(redisKey: string, token: string, value: unknown, ttlMs: number | undefined): Promise<void> {
    const entry = this.encodeLoaded(value, ttlMs);
    if (entry !== undefined) await this.#write(redisKey, token, entry.text, entry.ttlMs);
  }

  /**
   * What to store for a loaded `value` and for how long in Redis: a value entry, a cached
   * `undefined` (with `negativeTtlMs`), or nothing (an `undefined` without `negativeTtlMs`, or a
   * value the serializer refuses, which is logged).
   */
  encodeLoaded(value: unknown, ttlMs: number | undefined): { readonly text: string; readonly ttlMs: number } | undefined {
    const settings = this.#settings;
    if (value === undefined) {
      const negative = settings.negativeTtlMs;
      if (negative === undefined) return undefined;
      const ttl = entryTtl(settings, negative);
      return { text: encodeUndefined(newGeneration(), settings.clock.now() + ttl), ttlMs: ttl };
    }
    const ttl = entryTtl(settings, ttlMs);
    try {
      return { text: encodeFresh(settings, value, ttl), ttlMs: ttl + settings.keepMs };
    } catch (error) {
      getLogger().warn({ err: error, cache: settings.name }, 'bulwark: a loaded value could not be serialized; it is returned but not cached');
      return undefined;
    }
  }

  /** The compare-and-set write, best-effort: a Redis failure is counted, never thrown. */
  async #write(redisKey: string, token: string, text: string, ttl: number): Promise<void> {
    try {
      await this.#redis.writeIfUnchanged(redisKey, token, text, ttl);
    } catch (error) {
      this.#signals.degraded(error);
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
