/**
 * Bulkhead: caps how many calls run at once, with an optional bounded queue, so that one slow
 * dependency cannot take every connection, socket or worker of the process.
 * @module
 */
import { MAX_TIMER_DELAY_MS } from '../core/clock';
import { judgesNoOutcome, parseOptions } from '../core/config';
import type { InternalContext } from '../core/context';
import { runOperation, type Operation } from '../core/operation';
import { Pattern } from '../core/pattern';
import { quietRejection, Rejections } from '../core/rejection';
import { WaitQueue } from '../core/wait-queue';
import { BulkheadRejectedError, type BulkheadRejectionReason } from './bulkhead-rejected-error';
import type { BulkheadEvents } from './events';
import { inlineSlots, type InlineBulkhead } from './inline';
import { BULKHEAD_DEFAULTS, bulkheadOptionsSchema, type BulkheadOptions } from './options';
import type { BulkheadStats } from './stats';

/**
 * Runs at most `maxInFlight` calls at once. A call that finds every slot busy waits in a FIFO
 * queue of at most `maxQueue` calls, or is rejected at once with {@link BulkheadRejectedError}
 * (reason `queueFull`) when the queue is full too.
 *
 * - A queued call leaves the queue at once when its caller aborts (it never runs; the caller
 *   receives its own reason), and is rejected with `queueTimeout` when it has waited `maxWaitMs`
 *   or its deadline budget (`ctx.deadline`) has passed, whichever comes first.
 * - A finished call hands its slot straight to the oldest queued call, so calls arriving meanwhile
 *   cannot overtake the queue.
 * - `fn`'s own results and errors pass through unchanged: a Bulkhead judges no outcome, so the
 *   `handle` / `ignore` exception options have no effect; `onException` and `transform` apply to
 *   its rejections (reasons `queueFull` and `queueTimeout`).
 * - A queued call runs in its caller's AsyncLocalStorage context.
 *
 * Cost: with a free slot, a counter, the call and one `.then` whose handlers (made once per
 * instance) free the slot; no clock read, timer or closure. Queueing is core's wait queue (O(1)
 * enqueue, grant and removal) with one timer per queued call, only when it has a time limit.
 * p-limit (the project's concurrency primitive) is not used: it cannot drop one queued call whose
 * caller aborts, and wrapping it costs a promise and a closure per call even when a slot is free.
 *
 * @example
 * ```ts
 * const bulkhead = new Bulkhead({ maxInFlight: 20, maxQueue: 50, maxWaitMs: 1_000 });
 * try {
 *   const rows = await bulkhead.execute(({ signal }) => db.query(sql, { signal }), { signal });
 * } catch (error) {
 *   if (error instanceof BulkheadRejectedError) reply.status(503); // error.reason: 'queueFull' | 'queueTimeout'
 *   else throw error;
 * }
 * ```
 */
export class Bulkhead extends Pattern<BulkheadEvents, BulkheadStats> {
  /** The kind of pattern: `'bulkhead'`. */
  declare readonly patternType: 'bulkhead';
  /** Calls that may run at once. */
  readonly maxInFlight: number;
  /** Calls that may wait for a slot. */
  readonly maxQueue: number;
  /** Longest wait in the queue, in ms; undefined when only the caller's deadline bounds it. */
  readonly maxWaitMs: number | undefined;
  readonly #queue: WaitQueue;
  readonly #errors: Rejections<BulkheadRejectedError, BulkheadRejectionReason>;
  /** Settlement handlers that free the slot, shared by every call. */
  readonly #onFulfilled: <T>(value: T) => T;
  readonly #onRejected: (error: unknown) => never;
  readonly #inline: InlineBulkhead;
  #inFlight = 0;
  #rejectedQueueFull = 0;
  #rejectedQueueTimeout = 0;
  #abandoned = 0;

  /**
   * @param options - see {@link BulkheadOptions}; every field is optional
   * @throws {@link ConfigError} naming every invalid option
   */
  constructor(options: BulkheadOptions = {}) {
    const resolved = parseOptions(bulkheadOptionsSchema, options, 'Bulkhead options', judgesNoOutcome('a Bulkhead'));
    super('bulkhead', resolved);
    this.maxInFlight = resolved.maxInFlight ?? BULKHEAD_DEFAULTS.maxInFlight;
    this.maxQueue = resolved.maxQueue ?? BULKHEAD_DEFAULTS.maxQueue;
    this.maxWaitMs = resolved.maxWaitMs;
    this.#queue = new WaitQueue(this.clock);
    const name = this.name;
    this.#errors = new Rejections((reason) => new BulkheadRejectedError(name, reason), resolved.captureRejectionStacks ?? false);
    // Made once, here, so that a call allocates none; written in this class (not by a shared
    // helper) so that the call to #release inside them has this one target.
    this.#onFulfilled = (value) => {
      this.#release();
      return value;
    };
    this.#onRejected = (error) => {
      this.#release();
      throw error;
    };
    this.#inline = {
      acquire: () => {
        if (this.#inFlight >= this.maxInFlight) return false;
        this.#inFlight++;
        return true;
      },
      release: () => this.#release(),
    };
    this.register(resolved.registry);
  }

  /** @internal The bulkhead's slots for a caller that runs the call itself; see {@link InlineBulkhead}. */
  get [inlineSlots](): InlineBulkhead {
    return this.#inline;
  }

  /** Calls running now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Occupancy and counters; see {@link BulkheadStats}. */
  stats(): BulkheadStats {
    return {
      inFlight: this.#inFlight,
      queued: this.#queue.length,
      maxInFlight: this.maxInFlight,
      maxQueue: this.maxQueue,
      rejected: this.#rejectedQueueFull + this.#rejectedQueueTimeout,
      rejectedByReason: { queueFull: this.#rejectedQueueFull, queueTimeout: this.#rejectedQueueTimeout },
      abandoned: this.#abandoned,
    };
  }

  /**
   * Runs `fn` when a slot is free, waiting in the queue if allowed (see {@link Pattern.execute}).
   * @throws {@link BulkheadRejectedError} when the queue is full or the wait ran out (or what
   * `exceptions.transform` makes of it)
   * @throws the caller's `signal.reason` when it aborts before `fn` runs
   * @throws `fn`'s own error, unchanged
   */
  protected run<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    if (this.#inFlight < this.maxInFlight) {
      this.#inFlight++;
      return runOperation(fn, ctx, this.#onFulfilled, this.#onRejected);
    }
    if (this.#queue.length >= this.maxQueue) return quietRejection(this.#reject('queueFull', 0));
    return this.#waitThenRun(fn, ctx);
  }

  /**
   * The slow path: waits in the queue until a finished call hands this one its slot, then runs
   * it. The continuation is attached here, in the caller's turn, so the caller's
   * AsyncLocalStorage context carries over the wait. A deadline too far away for a timer (see
   * {@link MAX_TIMER_DELAY_MS}) does not bound the wait.
   */
  #waitThenRun<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    let timeoutMs = this.maxWaitMs;
    if (ctx.deadline !== undefined) {
      const leftMs = ctx.deadline - this.clock.now();
      if (leftMs <= MAX_TIMER_DELAY_MS && (timeoutMs === undefined || leftMs < timeoutMs)) timeoutMs = leftMs;
    }
    let timedOut = false;
    const onTimeout =
      timeoutMs === undefined
        ? undefined
        : (): unknown => {
            timedOut = true;
            return this.#reject('queueTimeout', Math.max(0, timeoutMs));
          };
    return this.#queue.wait(ctx.scope, timeoutMs, onTimeout).then(
      () => this.#runGranted(fn, ctx),
      (reason: unknown) => {
        if (!timedOut) this.#abandoned++;
        throw reason;
      },
    );
  }

  /** Runs a call that was just handed a slot, unless its caller aborted since the grant. */
  #runGranted<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    const scope = ctx.scope;
    if (scope !== undefined && scope.aborted) {
      this.#abandoned++;
      this.#release();
      return Promise.reject(scope.reason);
    }
    return runOperation(fn, ctx, this.#onFulfilled, this.#onRejected);
  }

  /** Hands a finished call's slot to the oldest queued call, or frees it when nobody waits. */
  #release(): void {
    if (!this.#queue.grantNext()) this.#inFlight--;
  }

  /** Counts and announces a rejection; returns what the caller receives. */
  #reject(reason: BulkheadRejectionReason, waitedMs: number): unknown {
    if (reason === 'queueFull') this.#rejectedQueueFull++;
    else this.#rejectedQueueTimeout++;
    const details = this.rejectionObserved ? { inFlight: this.#inFlight, queued: this.#queue.length, waitedMs } : undefined;
    return this.refusal(this.#errors.create(reason), reason, details);
  }
}
