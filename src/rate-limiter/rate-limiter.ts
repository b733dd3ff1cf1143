/**
 * RateLimiter: admits at most `limit` units per `windowMs` per key, across one or several
 * windows (or token buckets), counted in a pluggable store.
 * @module
 */
import { allChecks, parseOptions, judgesNoOutcome } from '../core/config';
import type { ExecutionContext, InternalContext } from '../core/context';
import { causeText, getLogger, logOrWarn } from '../core/logger';
import { runOperation, type Operation } from '../core/operation';
import { Pattern } from '../core/pattern';
import { isPromiseLike } from '../core/promise-like';
import type { PatternHealth } from '../core/registry';
import { quietRejection, Rejections } from '../core/rejection';
import type { RateLimiterEvents } from './events';
import { costError, isCost, isNumberKey, keyError, numberKey } from './arguments';
import { MemoryStore } from './memory-store';
import {
  RATE_LIMITER_DEFAULTS,
  rateLimiterCrossCheck,
  rateLimiterOptionsSchema,
  type RateLimiterOptions,
  type RateLimitMode,
  type StoreErrorPolicy,
  type TokenBucketLimit,
  type TokenRate,
} from './options';
import { RateLimitError } from './rate-limit-error';
import { refusalError } from './refusal-error';
import type { RateLimiterStats } from './stats';
import type { RateLimitAlgorithm, RateLimitResult, RateLimitRule, RateLimitStore, RateWindow, RuleWindow } from './store';

/**
 * Admits at most `limit` units per `windowMs` for each key (a user, a tenant, an API token), or
 * within every window of `limits`, or with `algorithm: 'token-bucket'` a sustained `rate` with
 * bursts of up to `burst` (see docs/rate-limiter.md for which algorithm to pick). `consume(key, cost)` decides one request and reports the
 * numbers a middleware needs for its headers; `execute(fn, { key })` runs `fn` when admitted and
 * otherwise rejects with {@link RateLimitError}, or in `mode: 'wait'` waits `retryAfterMs` and
 * tries again, for at most `maxWaitMs`.
 *
 * - The key of an `execute` is its `options.key` (`ctx.key` inside a composition), else the
 *   `key` option (a key or a function of the context), else `'default'`. A key is a string or a
 *   finite number, the same key as its decimal text (`42` and `'42'` count together in every
 *   store); anything else rejects the call with a TypeError (the caller's error, not the store's).
 * - A refused request consumes from no window; `cost` > 1 is consumed atomically.
 * - Every refusal, by `consume` or `execute`, emits `rejected` with reason `limitReached`.
 * - When the store throws or rejects, `onStoreError` decides: admit, refuse, or decide with a
 *   local fallback MemoryStore. The `storeError` event and a warning log line (a process warning,
 *   `BULWARK_STORE_FAILED`, when no logger is set) come once per outage; the store is tried
 *   again on every call, and used again as soon as it answers. While an outage is under way
 *   `health()` says `detail: 'store failing'` (the limiter stays healthy: `onStoreError` keeps it
 *   deciding).
 * - `fn`'s own results and errors pass through unchanged: the limiter judges no outcome;
 *   `onException` and `transform` apply to its rejections (reason `rateLimited`).
 * - Waiting (`mode: 'wait'`) is not a queue: each waiter sleeps its own `retryAfterMs` and asks
 *   again, so a newcomer may take room a waiter was waiting for. A caller's abort ends the wait
 *   at once with its reason; a wait that would reach the caller's deadline is not started.
 * - Nothing runs in the background: `dispose()` has nothing to stop.
 *
 * Cost with the default MemoryStore: one synchronous store decision (one result object), no
 * `then` lookup on the store's answer, no timer, promise or closure beyond `fn`'s own until a
 * request must wait. With an asynchronous store: one `then` on its answer. A refusal is a
 * stackless error (one prototype per window limit) unless `captureRejectionStacks` is set.
 *
 * @example
 * ```ts
 * const limiter = new RateLimiter({ limits: [{ limit: 10, windowMs: 1_000 }, { limit: 500, windowMs: 60_000 }] });
 * const result = await limiter.consume(userId);
 * if (!result.allowed) reply.header('Retry-After', Math.ceil(result.retryAfterMs / 1000)).status(429);
 *
 * await limiter.execute(() => api.call(), { key: userId }); // or RateLimitError
 * ```
 */
export class RateLimiter extends Pattern<RateLimiterEvents, RateLimiterStats> {
  /** The kind of pattern: `'rateLimiter'`. */
  declare readonly patternType: 'rateLimiter';
  /** What the store enforces: the algorithm and the windows. */
  readonly rule: RateLimitRule;
  /** What `execute` does with a refused request. */
  readonly mode: RateLimitMode;
  /** With `mode: 'wait'`, the longest wait in all, in ms. */
  readonly maxWaitMs: number;
  /** What happens when the store fails. */
  readonly onStoreError: StoreErrorPolicy;
  readonly #store: RateLimitStore;
  /** The store again when it is a MemoryStore of this copy of bulwark, whose answers are never promises. */
  readonly #memoryStore: MemoryStore | undefined;
  readonly #key: string | ((ctx: ExecutionContext) => string | number);
  readonly #cost: number | ((ctx: ExecutionContext) => number);
  /**
   * The errors of `execute` refusals, one variant per rule that may refuse: the index of a
   * configured window, or the window count plus the index of a fallback window.
   */
  readonly #errors: Rejections<RateLimitError, number>;
  /** The answer while the store fails and `onStoreError` is `allow` or `deny`. */
  readonly #storeErrorResult: RateLimitResult;
  /** The local store and rule for `onStoreError: 'fallback'`. */
  readonly #fallback: { readonly store: MemoryStore; readonly rule: RateLimitRule } | undefined;
  #storeFailing = false;
  /**
   * The results the fallback store decided (only during an outage): how a refusal's error finds
   * its rule when its promise settles after the outage began or ended.
   */
  readonly #fallbackResults = new WeakSet<RateLimitResult>();
  #admitted = 0;
  #rejected = 0;
  #storeErrors = 0;

  /**
   * @param options - see {@link RateLimiterOptions}; `limit` and `windowMs`, or `limits`, are required
   * @throws {@link ConfigError} naming every invalid option
   */
  constructor(options: RateLimiterOptions) {
    const resolved = parseOptions(
      rateLimiterOptionsSchema,
      options,
      'RateLimiter options',
      allChecks(
        rateLimiterCrossCheck,
        judgesNoOutcome('a RateLimiter'),
      ),
    );
    super('rateLimiter', resolved);
    const rules = rulesOf(resolved);
    const windows = rules.map((rule) => rule.window);
    const algorithm = rules.every((rule) => rule.rate !== undefined)
      ? 'token-bucket'
      : (resolved.algorithm ?? RATE_LIMITER_DEFAULTS.algorithm);
    this.rule = freezeRule(this.name, algorithm, windows);
    this.mode = resolved.mode ?? RATE_LIMITER_DEFAULTS.mode;
    this.maxWaitMs = resolved.maxWaitMs ?? Math.max(...windows.map((window) => window.windowMs));
    this.onStoreError = resolved.onStoreError ?? RATE_LIMITER_DEFAULTS.onStoreError;
    this.#store = resolved.store ?? new MemoryStore({ clock: this.clock });
    this.#memoryStore = this.#store instanceof MemoryStore ? this.#store : undefined;
    this.#key = typeof resolved.key === 'number' ? String(resolved.key) : (resolved.key ?? RATE_LIMITER_DEFAULTS.key);
    this.#cost = resolved.cost ?? RATE_LIMITER_DEFAULTS.cost;
    this.#storeErrorResult = storeErrorResult(this.onStoreError, windows);
    let fallbackRules: readonly ConfiguredRule[] = [];
    if (this.onStoreError === 'fallback') {
      const instances = resolved.expectedInstances ?? RATE_LIMITER_DEFAULTS.expectedInstances;
      fallbackRules = rules.map(({ window, rate }) => {
        const limit = resolved.fallbackLimit ?? Math.max(1, Math.floor(window.limit / instances));
        if (rate === undefined) return { window: { limit, windowMs: window.windowMs } };
        // A bucket keeps its rate divided by `instances`, whatever its size: it refills `limit` in proportion.
        const fallbackRate = { tokens: rate.tokens, perMs: rate.perMs * instances };
        return { window: bucketWindow(limit, fallbackRate, window.algorithm), rate: fallbackRate };
      });
      const fallbackRule = freezeRule(this.name, algorithm, fallbackRules.map((rule) => rule.window));
      this.#fallback = { store: new MemoryStore({ clock: this.clock }), rule: fallbackRule };
    }
    const name = this.name;
    const refusingRules = [...rules, ...fallbackRules];
    this.#errors = new Rejections((variant) => {
      const { window, rate } = refusingRules[variant] as ConfiguredRule;
      return new RateLimitError(name, window.limit, 0, rate);
    }, resolved.captureRejectionStacks ?? false);
    this.register(resolved.registry);
  }

  /**
   * Decides one request for `key` and consumes `cost` units when admitted; for middleware, which
   * sets its headers from the result. Never rejects for a refusal (see `allowed`); a refusal
   * emits `rejected` (reason `limitReached`) but is no error: `onException` and `transform` do
   * not apply.
   * @param key - the partition key: a string, or a finite number (`42` and `'42'` are one key)
   * @param cost - units to consume, an integer ≥ 1 @defaultValue 1
   * @throws TypeError (as a rejection) when `key` is neither a string nor a finite number
   * @throws RangeError (as a rejection) when `cost` is not an integer ≥ 1
   */
  consume(key: string | number, cost = 1): Promise<RateLimitResult> {
    // The MemoryStore call on a line of its own: V8 then knows the result's shape here and
    // fulfils the promise with it directly, even in a process where other limiters of this class
    // answer with promises (which, through one shared call, would cost every decision a `then`
    // lookup on its result).
    if (this.#decidesAtOnce(key, cost)) return Promise.resolve(this.#consumeInMemory(key, cost));
    return this.#consumeOtherLater(key, cost);
  }

  /** {@link RateLimiter.#consumeOther} as a promise (kept apart, so that `consume` stays small enough for V8 to inline). */
  #consumeOtherLater(key: string | number, cost: number): Promise<RateLimitResult> {
    const decided = this.#consumeOther(key, cost);
    return decided instanceof Promise ? decided : Promise.resolve(decided);
  }

  /**
   * {@link RateLimiter.consume} without a promise when the store answers at once (a MemoryStore):
   * the result itself, else the promise of it. An invalid `key` or `cost` is a rejected promise,
   * as for `consume`. For the HTTP guard, which then admits a request in the turn it arrived.
   * @internal
   */
  consumeNow(key: string | number, cost = 1): RateLimitResult | Promise<RateLimitResult> {
    // The common call, a string key and a valid cost on a MemoryStore, stays small enough for V8 to
    // inline the whole decision; everything else is in #consumeOther.
    if (this.#decidesAtOnce(key, cost)) return this.#consumeInMemory(key, cost);
    return this.#consumeOther(key, cost);
  }

  /** Whether a `consume` of `key` and `cost` is the common call: a string key and a valid cost, on a MemoryStore. */
  #decidesAtOnce(key: string | number, cost: number): key is string {
    return this.#memoryStore !== undefined && typeof key === 'string' && isCost(cost);
  }

  /** Decides and counts a call that {@link RateLimiter.#decidesAtOnce} accepted. */
  #consumeInMemory(key: string, cost: number): RateLimitResult {
    // #count written out (a call less): with it, a whole decision stays small enough for V8 to inline.
    const result = this.#decideInMemory(this.#memoryStore as MemoryStore, key, cost);
    if (!result.allowed) return this.#countRefusal(result, key, cost);
    this.#admitted++;
    return result;
  }

  /** {@link RateLimiter.consumeNow} for a number key, an invalid argument or an asynchronous store. */
  #consumeOther(given: string | number, cost: number): RateLimitResult | Promise<RateLimitResult> {
    let key: string;
    if (typeof given === 'string') key = given;
    else if (isNumberKey(given)) key = String(given);
    else return Promise.reject(keyError(given));
    if (!isCost(cost)) return Promise.reject(costError(cost));
    if (this.#memoryStore !== undefined) return this.#consumeInMemory(key, cost);
    return this.#decide(key, cost, (result) => this.#count(result, key, cost));
  }

  /** Counters; see {@link RateLimiterStats}. */
  stats(): RateLimiterStats {
    return {
      windows: this.rule.windows,
      algorithm: this.rule.algorithm,
      admitted: this.#admitted,
      rejected: this.#rejected,
      storeErrors: this.#storeErrors,
      storeFailing: this.#storeFailing,
    };
  }

  /**
   * Healthy, always: while the store fails, `onStoreError` keeps the limiter deciding. During an
   * outage the health says so in `detail: 'store failing'`.
   */
  override health(): PatternHealth {
    return this.#storeFailing ? STORE_FAILING : super.health();
  }

  /**
   * Runs `fn` when the limit admits the call (see {@link Pattern.execute}).
   * @throws {@link RateLimitError} when refused (in `mode: 'wait'`: when the wait would exceed
   * `maxWaitMs` or reach the deadline), or what `exceptions.transform` makes of it
   * @throws the caller's `signal.reason` when it aborts before `fn` runs
   * @throws the error of a `key` or `cost` function, TypeError for a key that is neither a string
   *   nor a finite number, or RangeError for a cost that is not an integer ≥ 1
   * @throws `fn`'s own error, unchanged
   */
  protected run<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    let key: string;
    let cost: number;
    try {
      const given: string | number = ctx.key ?? (typeof this.#key === 'string' ? this.#key : this.#key(ctx));
      key = typeof given === 'string' ? given : numberKey(given);
      cost = typeof this.#cost === 'number' ? this.#cost : this.#cost(ctx);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!isCost(cost)) return Promise.reject(costError(cost));
    const memory = this.#memoryStore;
    if (memory !== undefined) return this.#admitOrRefuse(fn, ctx, key, cost, this.#decideInMemory(memory, key, cost), 0);
    return this.#decide(key, cost, (result) => this.#admitOrRefuse(fn, ctx, key, cost, result, 0));
  }

  /** Runs `fn` for an admitted call; otherwise waits or rejects, as the mode says. */
  #admitOrRefuse<T>(
    fn: Operation<T>,
    ctx: InternalContext,
    key: string,
    cost: number,
    result: RateLimitResult,
    waitedMs: number,
  ): Promise<T> {
    if (result.allowed) {
      this.#admitted++;
      // The caller may have aborted while an asynchronous store decided, or during a wait.
      const scope = ctx.scope;
      if (scope !== undefined && scope.aborted) return Promise.reject(scope.reason);
      return runOperation(fn, ctx);
    }
    if (this.mode === 'wait') {
      // At least 1 ms, so that a store answering a refusal with retryAfterMs 0 cannot make a waiter spin.
      const delayMs = Math.max(1, result.retryAfterMs);
      if (this.#mayWait(ctx, delayMs, waitedMs)) return this.#waitThenRetry(fn, ctx, key, cost, delayMs, waitedMs);
    }
    this.#rejected++;
    const { limit, retryAfterMs } = result;
    const error = this.#refusalOf(result);
    const details = this.rejectionObserved ? { key, cost, limit, retryAfterMs, waitedMs } : undefined;
    return quietRejection(this.refusal(error, 'rateLimited', details));
  }

  /** {@link RateLimiter.#refusalOf}, for the HTTP guard. @internal */
  [refusalError](result: RateLimitResult): RateLimitError {
    return this.#refusalOf(result);
  }

  /**
   * The error of the refusal `result`, for the rule whose window refused: the window the store
   * reports by its index, else the first of the result's limit; a window of the fallback rule
   * (variants after the configured ones) when the fallback store decided it.
   */
  #refusalOf(result: RateLimitResult): RateLimitError {
    const { limit, retryAfterMs, windowIndex } = result;
    const fallback = this.#fallbackResults.has(result) ? this.#fallback : undefined;
    const windows = (fallback?.rule ?? this.rule).windows;
    const index = windowIndex !== undefined && windows[windowIndex] !== undefined ? windowIndex : windows.findIndex((window) => window.limit === limit);
    // A store that reports a limit of no window of the rule breaks its contract: a real error says what it reported.
    if (index < 0) return new RateLimitError(this.name, limit, retryAfterMs);
    return this.#errors.create(fallback === undefined ? index : windows.length + index, { retryAfterMs });
  }

  /** Whether a wait of `retryAfterMs` fits in `maxWaitMs` and ends before the deadline. */
  #mayWait(ctx: InternalContext, retryAfterMs: number, waitedMs: number): boolean {
    if (waitedMs + retryAfterMs > this.maxWaitMs) return false;
    return ctx.deadline === undefined || this.clock.now() + retryAfterMs < ctx.deadline;
  }

  /** The slow path of `mode: 'wait'`: sleeps (abortably), then asks the store again. */
  async #waitThenRetry<T>(
    fn: Operation<T>,
    ctx: InternalContext,
    key: string,
    cost: number,
    delayMs: number,
    waitedMs: number,
  ): Promise<T> {
    await this.clock.sleep(delayMs, ctx.scope?.signal);
    return this.#decide(key, cost, (result) => this.#admitOrRefuse(fn, ctx, key, cost, result, waitedMs + delayMs));
  }

  /**
   * Asks the store, applying `onStoreError` when it throws or rejects, and hands the result to
   * `next`: at once when the store answers synchronously, else in the one `then` of its answer
   * (no second promise between the store and the caller).
   */
  #decide<T>(key: string, cost: number, next: (result: RateLimitResult) => T): T | Promise<Awaited<T>> {
    let answer: RateLimitResult | PromiseLike<RateLimitResult>;
    let pending: Promise<RateLimitResult> | undefined;
    try {
      answer = this.#store.consume(key, cost, this.rule);
      // A native promise (RedisStore's answer) is recognised without looking up `then`; adopting
      // it inside the try makes a hostile thenable a store error, not a synchronous throw.
      if (answer instanceof Promise || isPromiseLike(answer)) pending = Promise.resolve(answer);
    } catch (error) {
      return next(this.#storeFailed(error, key, cost));
    }
    if (pending !== undefined) {
      // `then` adopts a promise that `next` returns: the result is a promise of T's value.
      return pending.then(
        (result) => next(this.#storeWorked(result)),
        (error: unknown) => next(this.#storeFailed(error, key, cost)),
      ) as Promise<Awaited<T>>;
    }
    return next(this.#storeWorked(answer as RateLimitResult));
  }

  /**
   * {@link RateLimiter.#decide} for a MemoryStore, whose answer is never a promise: no callback,
   * and no lookup of `then`, which turns megamorphic in a process where other code checks many
   * kinds of values.
   */
  #decideInMemory(memory: MemoryStore, key: string, cost: number): RateLimitResult {
    let result: RateLimitResult;
    try {
      result = memory.consume(key, cost, this.rule);
    } catch (error) {
      return this.#storeFailed(error, key, cost);
    }
    return this.#storeWorked(result);
  }

  /** Ends an outage, if one was under way. */
  #storeWorked(result: RateLimitResult): RateLimitResult {
    if (this.#storeFailing) this.#storeRecovered();
    return result;
  }

  /** Ends the outage under way (kept apart from {@link RateLimiter.#storeWorked}, on every decision's path). */
  #storeRecovered(): void {
    this.#storeFailing = false;
    getLogger().info({ patternType: this.patternType, patternName: this.name }, 'bulwark: rate limiter store works again');
  }

  /** Counts a store failure, announces it once per outage, and decides without the store. */
  #storeFailed(error: unknown, key: string, cost: number): RateLimitResult {
    this.#storeErrors++;
    if (!this.#storeFailing) {
      this.#storeFailing = true;
      // Failing open by default: an outage must never be silent, logged or as a process warning.
      logOrWarn({
        level: 'warn',
        fields: { err: error, patternType: this.patternType, patternName: this.name, onStoreError: this.onStoreError },
        message: `bulwark: rate limiter store failed; until it works again: ${this.onStoreError}`,
        code: 'BULWARK_STORE_FAILED',
        warning: `rate limiter "${this.name}": store failed (${causeText(error)}); until it works again: ${this.onStoreError}`,
      });
      if (this.hub.has('storeError')) {
        this.hub.emit('storeError', this.clock.now(), { error, onStoreError: this.onStoreError });
      }
    }
    const fallback = this.#fallback;
    if (fallback === undefined) return this.#storeErrorResult;
    const result = fallback.store.consume(key, cost, fallback.rule);
    this.#fallbackResults.add(result);
    return result;
  }

  /**
   * Counts a `consume` decision of an asynchronous store (#consumeInMemory counts a MemoryStore's
   * the same way), announcing a refusal with the same `rejected` event as an `execute` refusal (but
   * no error: `consume` reports refusals in its result).
   */
  #count(result: RateLimitResult, key: string, cost: number): RateLimitResult {
    if (result.allowed) {
      this.#admitted++;
      return result;
    }
    return this.#countRefusal(result, key, cost);
  }

  /** {@link RateLimiter.#count} for a refusal (kept apart, so that an admission's path stays small). */
  #countRefusal(result: RateLimitResult, key: string, cost: number): RateLimitResult {
    this.#rejected++;
    if (this.hub.has('rejected')) {
      const { limit, retryAfterMs } = result;
      this.hub.emit('rejected', this.clock.now(), { reason: LIMIT_REACHED, key, cost, limit, retryAfterMs, waitedMs: 0 });
    }
    return result;
  }
}

/** The one reason a rate limiter refuses, in its `rejected` event and its errors. */
const LIMIT_REACHED = 'limitReached';

/** What `health()` says while the store fails: still healthy, with a word on the outage. */
const STORE_FAILING: PatternHealth = Object.freeze({ healthy: true, detail: 'store failing' });

/** One configured rule: its window in the store's rule, and a bucket's rate. */
interface ConfiguredRule {
  readonly window: RuleWindow;
  /** The refill rate, when the rule is a token bucket. */
  readonly rate?: TokenRate;
}

/**
 * The rules of the options: `limit` and `windowMs`, or `rate` and `burst`, or `limits`. A token
 * bucket is the window of its size that refills in `burst × perMs / tokens` ms; among windows
 * (a `limits` that mixes them) it says its algorithm.
 */
function rulesOf(resolved: {
  readonly limit?: number | undefined;
  readonly windowMs?: number | undefined;
  readonly rate?: TokenRate | undefined;
  readonly burst?: number | undefined;
  readonly limits?: readonly (RateWindow | TokenBucketLimit)[] | undefined;
}): readonly ConfiguredRule[] {
  const given = resolved.limits ?? [
    resolved.burst === undefined
      ? { limit: resolved.limit as number, windowMs: resolved.windowMs as number }
      : { rate: resolved.rate as TokenRate, burst: resolved.burst },
  ];
  const mixed = given.some((entry) => !('burst' in entry));
  return given.map((entry) => {
    if (!('burst' in entry)) return { window: entry };
    return { window: bucketWindow(entry.burst, entry.rate, mixed ? 'token-bucket' : undefined), rate: entry.rate };
  });
}

/** The window of a bucket of `burst` refilling at `rate`: it refills in `burst × perMs / tokens` ms. */
function bucketWindow(burst: number, rate: TokenRate, algorithm: RuleWindow['algorithm']): RuleWindow {
  const windowMs = (burst * rate.perMs) / rate.tokens;
  return algorithm === undefined ? { limit: burst, windowMs } : { limit: burst, windowMs, algorithm };
}

/** A frozen rule, so that stores may cache what they derive from it. */
function freezeRule(name: string, algorithm: RateLimitAlgorithm, windows: readonly RuleWindow[]): RateLimitRule {
  return Object.freeze({
    name,
    algorithm,
    windows: Object.freeze(windows.map((window) => Object.freeze({ ...window }))),
  });
}

/** The fixed answer while the store fails, for `allow` (full limit) and `deny` (retry after the shortest window). */
function storeErrorResult(policy: StoreErrorPolicy, windows: readonly RateWindow[]): RateLimitResult {
  let windowIndex = 0;
  windows.forEach((window, index) => {
    if (window.windowMs < (windows[windowIndex] as RateWindow).windowMs) windowIndex = index;
  });
  const shortest = windows[windowIndex] as RateWindow;
  const allowed = policy !== 'deny';
  return Object.freeze({
    allowed,
    limit: shortest.limit,
    windowIndex,
    remaining: allowed ? shortest.limit : 0,
    resetMs: allowed ? 0 : shortest.windowMs,
    retryAfterMs: allowed ? 0 : shortest.windowMs,
  });
}
