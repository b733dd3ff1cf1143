/**
 * Bulkhead: caps how many calls run at once, with an optional bounded queue, so that one slow
 * dependency cannot take every connection, socket or worker of the process.
 * @module
 */
import { MAX_TIMER_DELAY_MS, systemClock, type Clock } from '../core/clock';
import { defaultName, parseOptions, unusedExceptionFields } from '../core/config';
import type { ExecutionContext, InternalContext } from '../core/context';
import {
  bulkheadRejectedMessage,
  BulkheadRejectedError,
  ErrorCode,
  rejectionText,
  stacklessRejection,
  type BulkheadRejectionReason,
} from '../core/errors';
import { EventHub, type EventEmitter } from '../core/events';
import { ExceptionHandler } from '../core/exceptions';
import { SlotRunner } from '../core/slot-runner';
import { rootContext, runInContext, type ExecuteOptions, type Policy } from '../core/policy';
import { registerInstance } from '../core/registry';
import { quietRejection } from '../core/rejection';
import { WaitQueue } from '../core/wait-queue';
import type { BulkheadEvents } from './events';
import { BULKHEAD_DEFAULTS, bulkheadOptionsSchema, type BulkheadOptions } from './options';
import type { BulkheadStats } from './stats';

type Operation<T> = (ctx: InternalContext) => T | PromiseLike<T>;

/** The `exceptions` reason of each kind of rejection. */
const EXCEPTION_REASON: Record<BulkheadRejectionReason, string> = {
  'queue-full': 'queueFull',
  'queue-timeout': 'queueTimeout',
};

/**
 * Runs at most `maxConcurrent` calls at once. A call that finds every slot busy waits in a FIFO
 * queue of at most `maxQueue` calls, or is rejected at once with {@link BulkheadRejectedError}
 * (`queue-full`) when the queue is full too.
 *
 * - A queued call leaves the queue at once when its caller aborts (it never runs; the caller
 *   receives its own reason), and is rejected with `queue-timeout` when it has waited
 *   `queueTimeoutMs` or its deadline budget (`ctx.deadline`) has passed, whichever comes first.
 * - A finished call hands its slot straight to the oldest queued call, so calls arriving meanwhile
 *   cannot overtake the queue.
 * - `fn`'s own results and errors pass through unchanged: a Bulkhead judges no outcome, so the
 *   `handle` / `ignore` exception options have no effect; `onException` and `transform` apply to
 *   its rejections (reasons `queueFull` and `queueTimeout`).
 * - A queued call runs in its caller's AsyncLocalStorage context.
 *
 * Cost: with a free slot, a counter, the call and one `.then` that frees the slot; no clock read,
 * timer or closure. Queueing is core's wait queue (O(1) enqueue, grant and removal) with one
 * timer per queued call, only when it has a time limit. p-limit (the project's concurrency
 * primitive) is not used: it cannot drop one queued call whose caller aborts, and wrapping it
 * costs a promise and a closure per call even when a slot is free.
 *
 * @example
 * ```ts
 * const bulkhead = new Bulkhead({ maxConcurrent: 20, maxQueue: 50, queueTimeoutMs: 1_000 });
 * try {
 *   const rows = await bulkhead.execute(({ signal }) => db.query(sql, { signal }), { signal });
 * } catch (error) {
 *   if (error instanceof BulkheadRejectedError) reply.status(503); // error.reason: 'queue-full' | 'queue-timeout'
 *   else throw error;
 * }
 * ```
 */
export class Bulkhead implements Policy {
  /** Instance name, used in events, errors, logs and the registry. */
  readonly name: string;
  /** The kind of pattern: `'bulkhead'`. */
  readonly patternType = 'bulkhead' as const;
  /** Typed emitter of this instance's events: rejected. */
  readonly events: EventEmitter<BulkheadEvents>;
  /** Calls that may run at once. */
  readonly maxConcurrent: number;
  /** Calls that may wait for a slot. */
  readonly maxQueue: number;
  /** Longest wait in the queue, in ms; undefined when only the caller's deadline bounds it. */
  readonly queueTimeoutMs: number | undefined;
  readonly #clock: Clock;
  readonly #handler: ExceptionHandler;
  readonly #hub: EventHub<BulkheadEvents>;
  readonly #queue: WaitQueue;
  readonly #captureRejectionStacks: boolean;
  readonly #rejectionText: Record<BulkheadRejectionReason, { readonly message: string; readonly stack: string }>;
  #active = 0;
  #rejectedQueueFull = 0;
  #rejectedQueueTimeout = 0;
  #cancelledWhileQueued = 0;

  readonly #slots = new SlotRunner(() => this.#release());

  /**
   * @param options - see {@link BulkheadOptions}; every field is optional
   * @throws {@link ConfigError} naming every invalid option
   */
  constructor(options: BulkheadOptions = {}) {
    const resolved = parseOptions(
      bulkheadOptionsSchema,
      options,
      'Bulkhead options',
      unusedExceptionFields(['handle', 'ignore'], 'a Bulkhead never classifies the errors of the function it runs'),
    );
    this.name = resolved.name ?? defaultName('bulkhead');
    this.maxConcurrent = resolved.maxConcurrent ?? BULKHEAD_DEFAULTS.maxConcurrent;
    this.maxQueue = resolved.maxQueue ?? BULKHEAD_DEFAULTS.maxQueue;
    this.queueTimeoutMs = resolved.queueTimeoutMs;
    this.#clock = resolved.clock ?? systemClock;
    this.#handler = new ExceptionHandler(resolved.exceptions, 'bulkhead', this.name);
    this.#hub = new EventHub('bulkhead', this.name);
    this.events = this.#hub.emitter;
    this.#queue = new WaitQueue(this.#clock);
    this.#captureRejectionStacks = resolved.captureRejectionStacks ?? false;
    this.#rejectionText = {
      'queue-full': rejectionText('BulkheadRejectedError', bulkheadRejectedMessage(this.name, 'queue-full')),
      'queue-timeout': rejectionText('BulkheadRejectedError', bulkheadRejectedMessage(this.name, 'queue-timeout')),
    };
    registerInstance(this, resolved.registry);
  }

  /** Calls running now. */
  get active(): number {
    return this.#active;
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Runs `fn` when a slot is free, waiting in the queue if allowed.
   * @throws {@link BulkheadRejectedError} when the queue is full or the wait ran out (or what
   * `exceptions.transform` makes of it)
   * @throws the caller's `signal.reason` when it aborts before `fn` runs
   * @throws `fn`'s own error, unchanged
   */
  execute<T>(fn: (ctx: ExecutionContext) => T | PromiseLike<T>, options?: ExecuteOptions): Promise<T> {
    return this[runInContext](fn, rootContext(options, this.#clock));
  }

  /** @internal */
  [runInContext]<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    const scope = ctx.scope;
    if (scope !== undefined && scope.aborted) return Promise.reject(scope.reason);
    if (this.#active < this.maxConcurrent) {
      this.#active++;
      return this.#runHoldingSlot(fn, ctx);
    }
    if (this.#queue.length >= this.maxQueue) return quietRejection(this.#reject('queue-full', 0));
    return this.#waitThenRun(fn, ctx);
  }

  /** Occupancy and counters; see {@link BulkheadStats}. */
  stats(): BulkheadStats {
    return {
      active: this.#active,
      queued: this.#queue.length,
      maxConcurrent: this.maxConcurrent,
      maxQueue: this.maxQueue,
      rejectedQueueFull: this.#rejectedQueueFull,
      rejectedQueueTimeout: this.#rejectedQueueTimeout,
      cancelledWhileQueued: this.#cancelledWhileQueued,
    };
  }

  /** Runs `fn` in a slot this call already holds, and frees the slot when `fn` settles. */
  #runHoldingSlot<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    return this.#slots.run(fn, ctx);
  }

  /**
   * The slow path: waits in the queue until a finished call hands this one its slot, then runs
   * it. The continuation is attached here, in the caller's turn, so the caller's
   * AsyncLocalStorage context carries over the wait. A deadline too far away for a timer (see
   * {@link MAX_TIMER_DELAY_MS}) does not bound the wait.
   */
  #waitThenRun<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    let timeoutMs = this.queueTimeoutMs;
    if (ctx.deadline !== undefined) {
      const leftMs = ctx.deadline - this.#clock.now();
      if (leftMs <= MAX_TIMER_DELAY_MS && (timeoutMs === undefined || leftMs < timeoutMs)) timeoutMs = leftMs;
    }
    let timedOut = false;
    const onTimeout =
      timeoutMs === undefined
        ? undefined
        : (): unknown => {
            timedOut = true;
            return this.#reject('queue-timeout', Math.max(0, timeoutMs));
          };
    return this.#queue.wait(ctx.scope, timeoutMs, onTimeout).then(
      () => this.#runGranted(fn, ctx),
      (reason: unknown) => {
        if (!timedOut) this.#cancelledWhileQueued++;
        throw reason;
      },
    );
  }

  /** Runs a call that was just handed a slot, unless its caller aborted since the grant. */
  #runGranted<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    const scope = ctx.scope;
    if (scope !== undefined && scope.aborted) {
      this.#cancelledWhileQueued++;
      this.#release();
      return Promise.reject(scope.reason);
    }
    return this.#runHoldingSlot(fn, ctx);
  }

  /** Hands a finished call's slot to the oldest queued call, or frees it when nobody waits. */
  #release(): void {
    if (!this.#queue.grantNext()) this.#active--;
  }

  /** Counts and announces a rejection; returns what the caller receives. */
  #reject(reason: BulkheadRejectionReason, waitedMs: number): unknown {
    if (reason === 'queue-full') this.#rejectedQueueFull++;
    else this.#rejectedQueueTimeout++;
    const active = this.#active;
    const queued = this.#queue.length;
    if (this.#hub.has('rejected')) this.#hub.emit('rejected', this.#clock.now(), { reason, active, queued, waitedMs });
    const error = this.#captureRejectionStacks
      ? new BulkheadRejectedError(this.name, reason)
      : stacklessRejection(BulkheadRejectedError, {
          ...this.#rejectionText[reason],
          code: ErrorCode.BulkheadRejected,
          policyName: this.name,
          retryAfterMs: 0,
          reason,
        });
    if (!this.#handler.reports && !this.#handler.transforms) return error;
    const exceptionReason = EXCEPTION_REASON[reason];
    const metadata = { active, queued, waitedMs };
    this.#handler.report(exceptionReason, error, metadata);
    return this.#handler.toCallerError(exceptionReason, error, metadata);
  }
}
