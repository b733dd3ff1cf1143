/**
 * Backpressure: slows producers down while the work they started piles up, with high and low
 * watermarks.
 * @module
 */
import { systemClock, type Clock } from '../core/clock';
import { allChecks, defaultName, parseOptions, unusedExceptionFields } from '../core/config';
import { SignalScope, type ExecutionContext, type InternalContext } from '../core/context';
import { BackpressureTimeoutError } from '../core/errors';
import { EventHub, type EventEmitter } from '../core/events';
import { ExceptionHandler } from '../core/exceptions';
import { isPromiseLike } from '../core/promise-like';
import { rootContext, runInContext, type ExecuteOptions, type Policy } from '../core/policy';
import { registerInstance } from '../core/registry';
import { WaitQueue } from '../core/wait-queue';
import type { BackpressureEvents } from './events';
import {
  backpressureCrossCheck,
  backpressureOptionsSchema,
  defaultLowWaterMark,
  type BackpressureOptions,
} from './options';
import { WaterLevel } from './water-level';

/** State and counters of a {@link Backpressure}; plain data, safe to serialise. */
export interface BackpressureStats {
  /** Units counted and not yet released: running `execute` calls plus what producers acquired. */
  readonly pending: number;
  /** Whether it is paused. */
  readonly paused: boolean;
  /** Callers waiting for the pause to end: `execute` callers and `ready()` callers together. */
  readonly waiting: number;
  /** Highest `pending` since creation; above `highWaterMark` only when producers overshot it. */
  readonly peakPending: number;
  /** Times it paused since creation. */
  readonly pauses: number;
  /** Waits that ended in a {@link BackpressureTimeoutError} since creation. */
  readonly timeouts: number;
}

type Operation<T> = (ctx: InternalContext) => T | PromiseLike<T>;

/** What `ready()` returns while not paused: shared, so that the fast path allocates nothing. */
const READY: Promise<void> = Promise.resolve();

/**
 * Counts pending work and pauses new work while too much is pending. Once `pending` reaches
 * `highWaterMark` it is `paused`: new calls wait until `pending` has fallen to `lowWaterMark`
 * (hysteresis), or are rejected with {@link BackpressureTimeoutError} after `timeoutMs` or at
 * their deadline. Nothing is ever rejected for being over the mark: callers only wait.
 *
 * Two ways in, one count:
 * - `execute(fn)` waits while paused, counts the call as one pending unit while `fn` runs, and
 *   releases it when `fn` settles. Calls alone never take `pending` above `highWaterMark`.
 *   Waiting calls resume in arrival order; each is counted the moment it is let go, so a resume
 *   lets at most `highWaterMark − lowWaterMark` of them through before it pauses again.
 * - A producer loop: `await ready(signal)` (waits while paused, counts nothing), then
 *   `acquire()` for each unit it hands on (counts it, never waits) and, wherever that unit's work
 *   ends, `release()`. A producer told "ready" may acquire after the mark was reached, so with
 *   `P` producers acquiring one unit per `ready()`, `pending` stays at or below
 *   `highWaterMark + P − 1`, or `highWaterMark + P` when `execute` calls share the instance
 *   (they may be the ones that reach the mark while every producer holds a "ready").
 *
 * Cost: while not paused, `execute` adds no timer, clock read or allocation beyond the settle
 * of `fn`'s promise, and `ready()` returns a shared resolved promise. Waits use the core
 * `WaitQueue`; a wait's timer and abort listener exist only while it waits. No background
 * timer: nothing to dispose.
 *
 * @example
 * ```ts
 * const backpressure = new Backpressure({ highWaterMark: 1_000, lowWaterMark: 200 });
 * // producer
 * for await (const job of source) {
 *   await backpressure.ready(signal);   // waits while 1,000 jobs are pending
 *   backpressure.acquire();
 *   queue.push(job);
 * }
 * // consumer, wherever a job ends
 * backpressure.release();
 * ```
 */
export class Backpressure implements Policy {
  /** Instance name, used in events, errors, logs and the registry. */
  readonly name: string;
  /** The kind of pattern: `'backpressure'`. */
  readonly patternType = 'backpressure' as const;
  /** Typed emitter of this instance's events: pause, resume, timeout. */
  readonly events: EventEmitter<BackpressureEvents>;
  /** Pending units at which it pauses. */
  readonly highWaterMark: number;
  /** Pending units at or below which a pause ends. */
  readonly lowWaterMark: number;
  /** Longest wait for a pause to end, in ms; undefined when waits are bounded only by signals and deadlines. */
  readonly timeoutMs: number | undefined;
  readonly #level: WaterLevel;
  /** Waiting `execute` callers; each is counted as pending the moment it is let go. */
  readonly #callers: WaitQueue;
  /** Waiting `ready()` callers; letting them go counts nothing. */
  readonly #producers: WaitQueue;
  readonly #clock: Clock;
  readonly #handler: ExceptionHandler;
  readonly #hub: EventHub<BackpressureEvents>;
  /** Settle handlers of `fn`'s promise, made once so that calls allocate no closure. */
  readonly #releaseOnFulfilled: (value: unknown) => unknown;
  readonly #releaseOnRejected: (error: unknown) => never;
  #pausedAt = 0;
  #pauses = 0;
  #timeouts = 0;

  /**
   * @param options - `highWaterMark` is required; see {@link BackpressureOptions}
   * @throws {@link ConfigError} naming every invalid option (both watermarks when `lowWaterMark`
   * is not below `highWaterMark`)
   */
  constructor(options: BackpressureOptions) {
    const resolved = parseOptions(
      backpressureOptionsSchema,
      options,
      'Backpressure options',
      allChecks(
        backpressureCrossCheck,
        unusedExceptionFields(['handle', 'ignore'], 'Backpressure never classifies the errors of the function it runs'),
      ),
    );
    this.name = resolved.name ?? defaultName('backpressure');
    this.highWaterMark = resolved.highWaterMark;
    this.lowWaterMark = resolved.lowWaterMark ?? defaultLowWaterMark(resolved.highWaterMark);
    this.timeoutMs = resolved.timeoutMs;
    this.#clock = resolved.clock ?? systemClock;
    this.#level = new WaterLevel(this.highWaterMark, this.lowWaterMark);
    this.#callers = new WaitQueue(this.#clock);
    this.#producers = new WaitQueue(this.#clock);
    this.#handler = new ExceptionHandler(resolved.exceptions, 'backpressure', this.name);
    this.#hub = new EventHub('backpressure', this.name);
    this.events = this.#hub.emitter;
    this.#releaseOnFulfilled = (value) => {
      this.#fall(1);
      return value;
    };
    this.#releaseOnRejected = (error) => {
      this.#fall(1);
      throw error;
    };
    registerInstance(this, resolved.registry);
  }

  /** Units counted and not yet released: running `execute` calls plus what producers acquired. */
  get pending(): number {
    return this.#level.pending;
  }

  /** Whether new calls and `ready()` wait: from reaching `highWaterMark` until falling to `lowWaterMark`. */
  get paused(): boolean {
    return this.#level.paused;
  }

  /**
   * Runs `fn` as one pending unit, first waiting while paused.
   * @throws {@link BackpressureTimeoutError} when the wait outlasts `timeoutMs` or the call's deadline
   * (or what `exceptions.transform` makes of it)
   * @throws the caller's `signal.reason` when it aborts while waiting (or before)
   * @throws `fn`'s own error, unchanged
   */
  execute<T>(fn: (ctx: ExecutionContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
    const ctx = rootContext(options, this.#clock);
    if (ctx.scope?.aborted) return Promise.reject(ctx.scope.reason);
    return this[runInContext](fn, ctx);
  }

  /** @internal */
  [runInContext]<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    if (this.#level.paused) return this.#waitThenRun(fn, ctx);
    this.#rise(1);
    return this.#run(fn, ctx);
  }

  /**
   * Resolves when a producer may hand on more work: at once while not paused, otherwise when the
   * pause ends (every waiting `ready()` caller is let go then, in arrival order). Counts nothing:
   * report the work itself with {@link Backpressure.acquire} and {@link Backpressure.release}.
   * @param signal - cancels the wait: the promise rejects with its reason, at once if it has already aborted
   * @throws {@link BackpressureTimeoutError} when the pause outlasts `timeoutMs` (or what
   * `exceptions.transform` makes of it)
   */
  ready(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.#level.paused) return READY;
    const timeoutMs = this.timeoutMs;
    return this.#producers.wait(
      signal === undefined ? undefined : new SignalScope(signal),
      timeoutMs,
      timeoutMs === undefined ? undefined : () => this.#timedOut(timeoutMs, 'timeout'),
    );
  }

  /**
   * Counts `units` of work a producer has handed on as pending; never waits (call
   * {@link Backpressure.ready} first). Pauses when `pending` reaches `highWaterMark`.
   * @param units - how many, an integer ≥ 1 @defaultValue 1
   * @returns whether the producer may go on without waiting: false once paused
   * @throws RangeError when `units` is not an integer ≥ 1
   */
  acquire(units = 1): boolean {
    checkUnits(units, 'acquire');
    this.#rise(units);
    return !this.#level.paused;
  }

  /**
   * Releases `units` counted by {@link Backpressure.acquire}, once their work has ended
   * (succeeded or not). Resumes when `pending` falls to `lowWaterMark`.
   * @param units - how many, an integer ≥ 1 @defaultValue 1
   * @throws RangeError when `units` is not an integer ≥ 1 or exceeds `pending`; nothing changes then
   */
  release(units = 1): void {
    checkUnits(units, 'release');
    if (units > this.#level.pending) {
      throw new RangeError(`Backpressure "${this.name}": release(${units}) exceeds pending (${this.#level.pending})`);
    }
    this.#fall(units);
  }

  /** State and counters; see {@link BackpressureStats}. */
  stats(): BackpressureStats {
    return {
      pending: this.#level.pending,
      paused: this.#level.paused,
      waiting: this.#callers.length + this.#producers.length,
      peakPending: this.#level.peak,
      pauses: this.#pauses,
      timeouts: this.#timeouts,
    };
  }

  /** The slow path: waits for the pause to end, as long as `timeoutMs` and the deadline allow. */
  async #waitThenRun<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    let limitMs = this.timeoutMs;
    let trigger: 'timeout' | 'deadline' = 'timeout';
    if (ctx.deadline !== undefined) {
      const leftMs = Math.max(0, ctx.deadline - this.#clock.now());
      if (limitMs === undefined || leftMs < limitMs) {
        limitMs = leftMs;
        trigger = 'deadline';
      }
    }
    const waitMs = limitMs;
    await this.#callers.wait(ctx.scope, waitMs, waitMs === undefined ? undefined : () => this.#timedOut(waitMs, trigger));
    // Let go by #resume, which has already counted this call.
    if (ctx.scope?.aborted) {
      this.#fall(1);
      throw ctx.scope.reason;
    }
    return this.#run(fn, ctx);
  }

  /** Runs `fn`, already counted, and releases its unit when it settles. */
  #run<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    let value: T | PromiseLike<T>;
    try {
      value = fn(ctx);
    } catch (error) {
      this.#fall(1);
      return Promise.reject(error);
    }
    if (!isPromiseLike(value)) {
      this.#fall(1);
      return Promise.resolve(value);
    }
    return Promise.resolve(value).then(this.#releaseOnFulfilled as (value: T) => T, this.#releaseOnRejected);
  }

  #rise(units: number): void {
    if (!this.#level.rise(units)) return;
    const now = this.#clock.now();
    this.#pausedAt = now;
    this.#pauses++;
    if (this.#hub.has('pause')) this.#hub.emit('pause', now, { pending: this.#level.pending });
  }

  #fall(units: number): void {
    if (this.#level.fall(units)) this.#resume();
  }

  /**
   * Lets waiters go: every `ready()` caller (they count nothing), then `execute` callers in
   * arrival order, counting each, until none is left or the count reaches the high mark again.
   */
  #resume(): void {
    if (this.#hub.has('resume')) {
      const now = this.#clock.now();
      const waiting = this.#callers.length + this.#producers.length;
      this.#hub.emit('resume', now, { pending: this.#level.pending, waiting, pausedMs: now - this.#pausedAt });
    }
    if (this.#level.paused) return; // a resume listener acquired enough to pause again
    while (this.#producers.grantNext());
    while (!this.#level.paused && this.#callers.grantNext()) this.#rise(1);
  }

  /** A wait ran out of time: counts it, tells listeners, and makes what the caller receives. */
  #timedOut(timeoutMs: number, trigger: 'timeout' | 'deadline'): unknown {
    this.#timeouts++;
    if (this.#hub.has('timeout')) this.#hub.emit('timeout', this.#clock.now(), { timeoutMs, trigger });
    const error = new BackpressureTimeoutError(this.name, timeoutMs);
    if (!this.#handler.reports && !this.#handler.transforms) return error;
    const metadata = { timeoutMs, trigger, pending: this.#level.pending };
    this.#handler.report('backpressureTimeout', error, metadata);
    return this.#handler.toCallerError('backpressureTimeout', error, metadata);
  }
}

function checkUnits(units: number, method: string): void {
  if (!Number.isInteger(units) || units < 1) {
    throw new RangeError(`Backpressure.${method}: units must be an integer ≥ 1, got ${String(units)}`);
  }
}
