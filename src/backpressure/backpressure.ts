/**
 * Backpressure: slows producers down while the work they started piles up, with high and low
 * watermarks.
 * @module
 */
import { allChecks, parseOptions, judgesNoOutcome } from '../core/config';
import { SignalScope, type InternalContext } from '../core/context';
import { runOperation, type Operation } from '../core/operation';
import { Pattern } from '../core/pattern';
import { Rejections } from '../core/rejection';
import { WaitQueue } from '../core/wait-queue';
import { BackpressureTimeoutError, type BackpressureRejectionReason } from './backpressure-timeout-error';
import type { BackpressureEvents } from './events';
import {
  backpressureCrossCheck,
  backpressureOptionsSchema,
  defaultLowWaterMark,
  type BackpressureOptions,
} from './options';
import type { BackpressureStats } from './stats';
import { WaterLevel } from './water-level';

/** What `ready()` returns while not paused: shared, so that the fast path allocates nothing. */
const READY: Promise<void> = Promise.resolve();

/**
 * Counts pending work and pauses new work while too much is pending. Once `pending` reaches
 * `highWaterMark` it is `paused`: new calls wait until `pending` has fallen to `lowWaterMark`
 * (hysteresis), or are rejected with {@link BackpressureTimeoutError} after `maxWaitMs` (reason
 * `queueTimeout`) or at their deadline (reason `deadline`). Nothing is ever rejected for being
 * over the mark: callers only wait.
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
 * `WaitQueue`; a wait's timer and abort listener exist only while it waits. A wait that runs out
 * of time builds its error without a stack trace unless `captureRejectionStacks` is set. No
 * background timer: `dispose()` has nothing to stop.
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
export class Backpressure extends Pattern<BackpressureEvents, BackpressureStats> {
  /** The kind of pattern: `'backpressure'`. */
  declare readonly patternType: 'backpressure';
  /** Pending units at which it pauses. */
  readonly highWaterMark: number;
  /** Pending units at or below which a pause ends. */
  readonly lowWaterMark: number;
  /** Longest wait for a pause to end, in ms; undefined when waits are bounded only by signals and deadlines. */
  readonly maxWaitMs: number | undefined;
  readonly #level: WaterLevel;
  /** Waiting `execute` callers; each is counted as pending the moment it is let go. */
  readonly #callers: WaitQueue;
  /** Waiting `ready()` callers; letting them go counts nothing. */
  readonly #producers: WaitQueue;
  readonly #errors: Rejections<BackpressureTimeoutError, BackpressureRejectionReason>;
  /** Settle handlers of `fn`'s promise, made once so that calls allocate no closure. */
  readonly #onFulfilled: <T>(value: T) => T;
  readonly #onRejected: (error: unknown) => never;
  #pausedAt = 0;
  #pauses = 0;
  #rejectedQueueTimeout = 0;
  #rejectedDeadline = 0;

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
        judgesNoOutcome('Backpressure'),
      ),
    );
    super('backpressure', resolved);
    this.highWaterMark = resolved.highWaterMark;
    this.lowWaterMark = resolved.lowWaterMark ?? defaultLowWaterMark(resolved.highWaterMark);
    this.maxWaitMs = resolved.maxWaitMs;
    this.#level = new WaterLevel(this.highWaterMark, this.lowWaterMark);
    this.#callers = new WaitQueue(this.clock);
    this.#producers = new WaitQueue(this.clock);
    const name = this.name;
    this.#errors = new Rejections(
      (reason) => new BackpressureTimeoutError(name, reason, 0),
      resolved.captureRejectionStacks ?? false,
    );
    // Settlement handlers made once, here, so that a call allocates none; written in this class
    // (not by a shared helper) so that the call to #fall inside them has this one target.
    this.#onFulfilled = (value) => {
      this.#fall(1);
      return value;
    };
    this.#onRejected = (error) => {
      this.#fall(1);
      throw error;
    };
    this.register(resolved.registry);
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
   * Runs `fn` as one pending unit, first waiting while paused (see {@link Pattern.execute}).
   * @throws {@link BackpressureTimeoutError} when the wait outlasts `maxWaitMs` or the call's
   * deadline (or what `exceptions.transform` makes of it)
   * @throws the caller's `signal.reason` when it aborts while waiting (or before)
   * @throws `fn`'s own error, unchanged
   */
  protected run<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    if (this.#level.paused) return this.#waitThenRun(fn, ctx);
    this.#rise(1);
    return runOperation(fn, ctx, this.#onFulfilled, this.#onRejected);
  }

  /**
   * Resolves when a producer may hand on more work: at once while not paused, otherwise when the
   * pause ends (every waiting `ready()` caller is let go then, in arrival order). Counts nothing:
   * report the work itself with {@link Backpressure.acquire} and {@link Backpressure.release}.
   * @param signal - cancels the wait: the promise rejects with its reason, at once if it has already aborted
   * @throws {@link BackpressureTimeoutError} (reason `queueTimeout`) when the pause outlasts
   * `maxWaitMs` (or what `exceptions.transform` makes of it)
   */
  ready(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.#level.paused) return READY;
    const maxWaitMs = this.maxWaitMs;
    let onTimeout: (() => unknown) | undefined;
    if (maxWaitMs !== undefined) {
      const startedAt = this.clock.now();
      onTimeout = () => this.#rejectWait('queueTimeout', startedAt);
    }
    return this.#producers.wait(signal === undefined ? undefined : new SignalScope(signal), maxWaitMs, onTimeout);
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
      queued: this.#queued(),
      peakPending: this.#level.peak,
      pauses: this.#pauses,
      rejected: this.#rejectedQueueTimeout + this.#rejectedDeadline,
      rejectedByReason: { queueTimeout: this.#rejectedQueueTimeout, deadline: this.#rejectedDeadline },
    };
  }

  /** The slow path: waits for the pause to end, as long as `maxWaitMs` and the deadline allow. */
  async #waitThenRun<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    let waitMs = this.maxWaitMs;
    let onTimeout: (() => unknown) | undefined;
    if (waitMs !== undefined || ctx.deadline !== undefined) {
      const startedAt = this.clock.now();
      let reason: BackpressureRejectionReason = 'queueTimeout';
      if (ctx.deadline !== undefined) {
        const leftMs = Math.max(0, ctx.deadline - startedAt);
        if (waitMs === undefined || leftMs < waitMs) {
          waitMs = leftMs;
          reason = 'deadline';
        }
      }
      onTimeout = () => this.#rejectWait(reason, startedAt);
    }
    await this.#callers.wait(ctx.scope, waitMs, onTimeout);
    // Let go by #resume, which has already counted this call.
    if (ctx.scope?.aborted) {
      this.#fall(1);
      throw ctx.scope.reason;
    }
    return runOperation(fn, ctx, this.#onFulfilled, this.#onRejected);
  }

  #rise(units: number): void {
    if (!this.#level.rise(units)) return;
    const now = this.clock.now();
    this.#pausedAt = now;
    this.#pauses++;
    if (this.hub.has('pause')) this.hub.emit('pause', now, { pending: this.#level.pending });
  }

  #fall(units: number): void {
    if (this.#level.fall(units)) this.#resume();
  }

  /**
   * Lets waiters go: every `ready()` caller (they count nothing), then `execute` callers in
   * arrival order, counting each, until none is left or the count reaches the high mark again.
   */
  #resume(): void {
    if (this.hub.has('resume')) {
      const now = this.clock.now();
      this.hub.emit('resume', now, { pending: this.#level.pending, queued: this.#queued(), pausedMs: now - this.#pausedAt });
    }
    if (this.#level.paused) return; // a resume listener acquired enough to pause again
    while (this.#producers.grantNext());
    while (!this.#level.paused && this.#callers.grantNext()) this.#rise(1);
  }

  #queued(): number {
    return this.#callers.length + this.#producers.length;
  }

  /**
   * A wait that started at `startedAt` ran out of time (the wait queue has already let it go):
   * counts it, announces it, and returns what the caller receives.
   */
  #rejectWait(reason: BackpressureRejectionReason, startedAt: number): unknown {
    if (reason === 'deadline') this.#rejectedDeadline++;
    else this.#rejectedQueueTimeout++;
    const waitedMs = Math.max(0, this.clock.now() - startedAt);
    const error = this.#errors.create(reason, { waitedMs });
    return this.refusal(
      error,
      'backpressureTimeout',
      this.rejectionObserved ? { waitedMs, pending: this.#level.pending, queued: this.#queued() } : undefined,
    );
  }
}

function checkUnits(units: number, method: string): void {
  if (!Number.isInteger(units) || units < 1) {
    throw new RangeError(`Backpressure.${method}: units must be an integer ≥ 1, got ${String(units)}`);
  }
}
