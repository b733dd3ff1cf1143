/**
 * MemoryStore: the in-process {@link RateLimitStore}, bounded in keys.
 * @module
 */
import { systemClock, type Clock } from '../core/clock';
import { parseOptions, positiveInt } from '../core/config';
import { z } from 'zod';
import { rateLimitResult, widestResult } from './result';
import { SlidingLog } from './sliding-log';
import { SlidingWindowCounter } from './sliding-window';
import { consumeBucket, emissionIntervalUs, TokenBucket, type BucketState } from './token-bucket';
import type { RateLimitResult, RateLimitRule, RateLimitStore, RuleWindow } from './store';
import type { WindowCounter } from './window-counter';

/** Options of a {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most keys kept; using a new key beyond it forgets the least recently used one (whose limits
   * then start afresh), so that a flood of distinct keys cannot exhaust memory.
   * @defaultValue 10000
   */
  maxKeys?: number;
  /**
   * Time source. A RateLimiter's default store uses the limiter's clock.
   * @defaultValue {@link systemClock}
   */
  clock?: Clock;
}

/** Defaults of {@link MemoryStoreOptions}. */
export const MEMORY_STORE_DEFAULTS = {
  /** Most keys kept. */
  maxKeys: 10_000,
} as const;

const memoryStoreOptionsSchema = z.strictObject({
  maxKeys: positiveInt.optional(),
  clock: z
    .custom<Clock>((value) => typeof value === 'object' && value !== null && typeof (value as Clock).now === 'function', {
      message: 'expected a Clock',
    })
    .optional(),
});

/** The counter of one window (or bucket) of each algorithm. */
const COUNTERS: Readonly<Record<RateLimitRule['algorithm'], new (limit: number, windowMs: number) => WindowCounter>> = {
  'sliding-log': SlidingLog,
  'sliding-window': SlidingWindowCounter,
  'token-bucket': TokenBucket,
};

/** Expired keys dropped from the least recently used end per decision, at most. */
const SWEEP_PER_DECISION = 2;

/** The counters of a rule that is a single token bucket: none, its key keeps the TAT itself. */
const NO_COUNTERS: readonly WindowCounter[] = Object.freeze([]);

/** A token bucket as {@link consumeBucket} takes it: its size and its emission interval. */
interface Bucket {
  readonly limit: number;
  readonly intervalUs: number;
}

/** What {@link MemoryStore} remembers for a rule that is not a single token bucket. */
const NOT_A_BUCKET: Bucket = Object.freeze({ limit: 0, intervalUs: 0 });

/** Whether `rule` is a single token bucket, the case {@link MemoryStore} decides on its fast path. */
function isSingleBucket(rule: RateLimitRule): boolean {
  const windows = rule.windows;
  return windows.length === 1 && ((windows[0] as RuleWindow).algorithm ?? rule.algorithm) === 'token-bucket';
}

/** The bucket of `rule` when the rule is a single token bucket; else undefined. */
function singleBucketOf(rule: RateLimitRule): Bucket | undefined {
  if (!isSingleBucket(rule)) return undefined;
  const window = rule.windows[0] as RuleWindow;
  return { limit: window.limit, intervalUs: emissionIntervalUs(window) };
}

/**
 * The state of one key, for the rule it was made for; a node of the recency list. A rule that is
 * a single token bucket keeps one number, the bucket's TAT (`tat`), and no counter; any other
 * rule keeps a counter per window (and `tat` stays `-Infinity`). One class for both, so that the
 * list and the lookup see one shape.
 */
class KeyState implements BucketState {
  readonly key: string;
  readonly rule: RateLimitRule;
  readonly counters: readonly WindowCounter[];
  tat = -Infinity;
  /** The next less recently used key. */
  older: KeyState | undefined = undefined;
  /** The next more recently used key. */
  newer: KeyState | undefined = undefined;

  constructor(key: string, rule: RateLimitRule) {
    this.key = key;
    this.rule = rule;
    this.counters = isSingleBucket(rule)
      ? NO_COUNTERS
      : rule.windows.map((window) => new COUNTERS[window.algorithm ?? rule.algorithm](window.limit, window.windowMs));
  }

  /** When the bucket, or every counter, is empty again. */
  expiresAt(): number {
    let at = this.tat / 1000;
    for (const counter of this.counters) at = Math.max(at, counter.expiresAt());
    return at;
  }
}

/**
 * Counts admissions in this process's memory; the default store of a {@link RateLimiter}.
 * Decisions are synchronous (no promise, one result object) and atomic across the rule's windows.
 *
 * - Keys live in a `Map` for lookup and a doubly linked list in recency order (O(1) touch and
 *   eviction; a `Map`'s own insertion order is not used, because V8 walks over the holes that
 *   deleting its oldest entries leaves), at most `maxKeys` of them.
 * - Nothing runs in the background: a key whose windows are all empty is dropped when it reaches
 *   the least recently used end and a later decision looks at it (up to two per decision), or
 *   when evicted; no interval timer keeps the process alive.
 * - `sliding-log` costs O(1) amortised per decision (O(cost) when refusing a cost above 1) and
 *   O(limit) memory per key and window; `sliding-window` O(1) of both; `token-bucket` O(1) time
 *   and one number per key and bucket (its theoretical arrival time). A limiter of a single
 *   token bucket (no `limits`) is decided on a path of its own: the key's state holds the TAT
 *   itself, and a decision is one lookup, one clock read and the result object.
 *
 * @example
 * ```ts
 * const limiter = new RateLimiter({ limit: 100, windowMs: 60_000, store: new MemoryStore({ maxKeys: 50_000 }) });
 * ```
 */
export class MemoryStore implements RateLimitStore {
  // Before any result of any store: see widestResult.
  static {
    widestResult();
  }

  /** Most keys kept. */
  readonly maxKeys: number;
  readonly #clock: Clock;
  readonly #keys = new Map<string, KeyState>();
  #oldest: KeyState | undefined = undefined;
  #newest: KeyState | undefined = undefined;
  /** The rule of the last decision, and its bucket when it is a single token bucket: most stores serve one limiter. */
  #lastRule: RateLimitRule | undefined = undefined;
  #lastBucket: Bucket | undefined = undefined;
  /** The bucket of each rule seen, {@link NOT_A_BUCKET} for a rule that is not a single token bucket. */
  readonly #buckets = new WeakMap<RateLimitRule, Bucket>();

  /**
   * @param options - see {@link MemoryStoreOptions}
   * @throws {@link ConfigError} naming every invalid option
   */
  constructor(options: MemoryStoreOptions = {}) {
    const resolved = parseOptions(memoryStoreOptionsSchema, options, 'MemoryStore options');
    this.maxKeys = resolved.maxKeys ?? MEMORY_STORE_DEFAULTS.maxKeys;
    this.#clock = resolved.clock ?? systemClock;
  }

  /** Keys held now, expired ones not yet dropped included. */
  get size(): number {
    return this.#keys.size;
  }

  /** Decides one request; see {@link RateLimitStore.consume}. */
  consume(key: string, cost: number, rule: RateLimitRule): RateLimitResult {
    const bucket = rule === this.#lastRule ? this.#lastBucket : this.#newRule(rule);
    if (bucket === undefined) return this.#consumeCounters(key, cost, rule);
    // A single token bucket: the key's state is the bucket's TAT. The checks of #touch and #sweep
    // are written out here (each a call less), so that V8 can inline a whole decision into its caller.
    const now = this.#clock.now();
    const newest = this.#newest;
    const state = newest !== undefined && newest.key === key && newest.rule === rule ? newest : this.#find(key, rule);
    const result = consumeBucket(state, now, cost, bucket.limit, bucket.intervalUs);
    if (result.allowed && this.#oldest !== state) this.#dropExpired(now, state);
    return result;
  }

  /**
   * Makes `rule` the last rule, and returns its bucket when it is a single token bucket (worked
   * out once per rule: limiters sharing this store alternate their rules).
   */
  #newRule(rule: RateLimitRule): Bucket | undefined {
    let bucket = this.#buckets.get(rule);
    if (bucket === undefined) {
      bucket = singleBucketOf(rule) ?? NOT_A_BUCKET;
      this.#buckets.set(rule, bucket);
    }
    if (bucket === NOT_A_BUCKET) bucket = undefined;
    this.#lastRule = rule;
    this.#lastBucket = bucket;
    return bucket;
  }

  /** Decides for any other rule, with a counter per window. */
  #consumeCounters(key: string, cost: number, rule: RateLimitRule): RateLimitResult {
    const now = this.#clock.now();
    const state = this.#touch(key, rule);
    const counters = state.counters;
    const windows = rule.windows;
    let refusing = -1;
    let retryAfterMs = 0;
    for (let i = 0; i < counters.length; i++) {
      const wait = (counters[i] as WindowCounter).retryAfterMs(now, cost);
      if (wait > 0 && wait >= retryAfterMs) {
        retryAfterMs = wait;
        refusing = i;
      }
    }
    if (refusing >= 0) {
      const counter = counters[refusing] as WindowCounter;
      const limit = (windows[refusing] as { limit: number }).limit;
      return rateLimitResult(false, limit, refusing, counter.remaining(now), counter.resetMs(now), retryAfterMs);
    }
    let tightest = 0;
    let remaining = Infinity;
    for (let i = 0; i < counters.length; i++) {
      const left = (counters[i] as WindowCounter).add(now, cost);
      if (left < remaining) {
        remaining = left;
        tightest = i;
      }
    }
    this.#sweep(now, state);
    const limit = (windows[tightest] as { limit: number }).limit;
    return rateLimitResult(true, limit, tightest, remaining, (counters[tightest] as WindowCounter).resetMs(now), 0);
  }

  /** Forgets every key. */
  clear(): void {
    this.#keys.clear();
    this.#oldest = undefined;
    this.#newest = undefined;
  }

  /** The state of `key` for `rule`, made most recently used; evicts the least recently used key when full. */
  #touch(key: string, rule: RateLimitRule): KeyState {
    // The key of the last decision is the most recently used one: found again without a lookup.
    const newest = this.#newest;
    if (newest !== undefined && newest.key === key && newest.rule === rule) return newest;
    return this.#find(key, rule);
  }

  /**
   * {@link MemoryStore.#touch} for a key other than the last one (kept apart, so that the last
   * key's path stays small enough for V8 to inline a whole decision into its caller).
   */
  #find(key: string, rule: RateLimitRule): KeyState {
    const state = this.#keys.get(key);
    if (state === undefined || state.rule !== rule) return this.#insert(key, rule, state);
    if (state !== this.#newest) {
      this.#unlink(state);
      this.#append(state);
    }
    return state;
  }

  /**
   * A new state of `key` for `rule`, most recently used, in place of `old` (the key's state for
   * another rule) if any; evicts the least recently used key when full.
   */
  #insert(key: string, rule: RateLimitRule, old: KeyState | undefined): KeyState {
    if (old !== undefined) this.#unlink(old);
    const state = new KeyState(key, rule);
    const keys = this.#keys;
    keys.set(key, state);
    this.#append(state);
    if (keys.size > this.maxKeys) this.#drop(this.#oldest as KeyState);
    return state;
  }

  /**
   * Drops up to {@link SWEEP_PER_DECISION} expired keys from the least recently used end; never
   * `current`, the key this decision just used.
   */
  #sweep(now: number, current: KeyState): void {
    // Nothing to look at when the decision's key is the only one (or the least recently used).
    if (this.#oldest !== current) this.#dropExpired(now, current);
  }

  /** {@link MemoryStore.#sweep}'s work (kept apart, so that the one-key path stays small enough for V8 to inline). */
  #dropExpired(now: number, current: KeyState): void {
    for (let i = 0; i < SWEEP_PER_DECISION; i++) {
      const oldest = this.#oldest;
      if (oldest === undefined || oldest === current || oldest.expiresAt() > now) return;
      this.#drop(oldest);
    }
  }

  #drop(state: KeyState): void {
    this.#unlink(state);
    this.#keys.delete(state.key);
  }

  #append(state: KeyState): void {
    state.older = this.#newest;
    state.newer = undefined;
    if (this.#newest === undefined) this.#oldest = state;
    else this.#newest.newer = state;
    this.#newest = state;
  }

  #unlink(state: KeyState): void {
    const { older, newer } = state;
    if (older === undefined) this.#oldest = newer;
    else older.newer = newer;
    if (newer === undefined) this.#newest = older;
    else newer.older = older;
    state.older = undefined;
    state.newer = undefined;
  }
}
