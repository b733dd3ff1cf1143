/**
 * The timeouts of the decisions a RedisStore has sent: one timer for all of them.
 * @module
 * @internal
 */
import { systemClock } from '../core/clock';
import type { RateLimitResult } from '../rate-limiter/store';
import { DeadlineList, NOT_LISTED, type DeadlineEntry } from '../timeout/deadline-list';
import { RedisStoreError } from './errors';

/**
 * A decision sent to Redis and not answered yet: the promise its caller holds, and its entry in
 * the {@link DecisionTimeouts} that reject it when Redis does not answer in time.
 */
export class PendingDecision implements DeadlineEntry {
  /** When it times out, in ms since the epoch; set when its timeout starts. */
  expiresAt = Infinity;
  previousEntry: DeadlineEntry | undefined = undefined;
  nextEntry: DeadlineEntry | undefined = undefined;
  listPosition = NOT_LISTED;
  /** Whether Redis answered (or the send failed): its timeout is over, or never starts. */
  answered = false;
  /** Settles with the decision, or rejects with a {@link RedisStoreError}. */
  readonly promise: Promise<RateLimitResult>;
  /** How long it may wait for its answer, in ms. */
  readonly timeoutMs: number;
  /** The store's `timeoutMs`, named in the error of a timeout. */
  readonly #storeTimeoutMs: number;
  // Set by the promise's executor, which runs within the constructor.
  #resolve!: (result: RateLimitResult) => void;
  #reject!: (error: RedisStoreError) => void;

  /**
   * @param timeoutMs - how long it may wait for its answer, in ms
   * @param storeTimeoutMs - the store's `timeoutMs`, named in the error of a timeout
   */
  constructor(timeoutMs: number, storeTimeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.#storeTimeoutMs = storeTimeoutMs;
    this.promise = new Promise<RateLimitResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Settles the promise with `result` (a no-op once it has timed out). */
  resolve(result: RateLimitResult): void {
    this.#resolve(result);
  }

  /** Rejects the promise with `error` (a no-op once it has timed out). */
  reject(error: RedisStoreError): void {
    this.#reject(error);
  }

  /** Called by the deadline list when Redis has not answered in time. */
  expire(): void {
    this.#reject(new RedisStoreError(`Redis did not answer within ${this.#storeTimeoutMs} ms`));
  }
}

/**
 * Rejects each {@link PendingDecision} that Redis has not answered within its `timeoutMs`, with
 * one timer (a {@link DeadlineList}) instead of a `setTimeout` and a `clearTimeout` per decision.
 *
 * The decisions sent in one synchronous run (e.g. 100 requests handled in one turn) start their
 * timeouts together, when the run ends (in a microtask): one clock read for all of them, where a
 * timer per decision reads the clock for each. A timeout thus counts from a moment at or just after
 * its send, never before: a decision is never given up early.
 */
export class DecisionTimeouts {
  readonly #deadlines = new DeadlineList(systemClock);
  /** The decisions sent in the current synchronous run, whose timeouts start when it ends. */
  readonly #starting: PendingDecision[] = [];
  readonly #startAll = (): void => this.#startRun();

  /** Starts the timeout of `decision`, sent just now (at the end of the current synchronous run). */
  start(decision: PendingDecision): void {
    const starting = this.#starting;
    if (starting.length === 0) queueMicrotask(this.#startAll);
    starting.push(decision);
  }

  /** Ends the timeout of `decision`, which Redis answered (a no-op once it has timed out). */
  stop(decision: PendingDecision): void {
    decision.answered = true;
    this.#deadlines.remove(decision);
  }

  /** Starts the timeouts of the decisions of the run that just ended and are still unanswered. */
  #startRun(): void {
    const starting = this.#starting;
    const now = systemClock.now();
    for (const decision of starting) {
      if (decision.answered) continue;
      decision.expiresAt = now + decision.timeoutMs;
      this.#deadlines.add(decision, now);
    }
    starting.length = 0;
  }
}
