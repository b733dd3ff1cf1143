/**
 * The timeouts of the decisions a RedisStore has sent: one timer for all of them.
 * @module
 * @internal
 */
import { systemClock } from '../core/clock';
import { ignore } from '../core/ignore';
import { promiseSettledBy, type Settler } from '../core/settled-by';
import type { RateLimitResult } from '../rate-limiter/store';
import { DeadlineList, NOT_LISTED, type DeadlineEntry } from '../timeout/deadline-list';
import { RedisStoreError } from './errors';

/**
 * A decision sent to Redis and not answered yet: the promise its caller holds, and its entry in
 * the {@link DecisionTimeouts} that reject it when Redis does not answer in time.
 */
export class PendingDecision implements DeadlineEntry, Settler<RateLimitResult> {
  /** When it times out, in ms since the epoch; set when its timeout starts. */
  expiresAt = Infinity;
  previousEntry: DeadlineEntry | undefined = undefined;
  nextEntry: DeadlineEntry | undefined = undefined;
  listPosition = NOT_LISTED;
  /** Whether Redis answered (or the send failed): its timeout is over, or never starts. */
  answered = false;
  /** Settles the promise with the decision (a no-op once it has timed out); set by {@link promiseSettledBy}. */
  resolve: (result: RateLimitResult) => void = ignore;
  /** Rejects the promise with a {@link RedisStoreError} (a no-op once it has timed out); set by {@link promiseSettledBy}. */
  reject: (error: unknown) => void = ignore;
  /** Settles with the decision, or rejects with a {@link RedisStoreError}. */
  readonly promise: Promise<RateLimitResult>;
  /** How long it may wait for its answer, in ms. */
  readonly timeoutMs: number;
  /** The timeouts it is timed by, which say the error of a timeout. */
  readonly #timeouts: DecisionTimeouts;

  /**
   * @param timeoutMs - how long it may wait for its answer, in ms
   * @param timeouts - the timeouts of its store, which will time it
   */
  constructor(timeoutMs: number, timeouts: DecisionTimeouts) {
    this.timeoutMs = timeoutMs;
    this.#timeouts = timeouts;
    this.promise = promiseSettledBy(this);
  }

  /** Called by the deadline list when Redis has not answered in time. */
  expire(): void {
    this.reject(this.#timeouts.timeoutError());
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
  /** The store's `timeoutMs`, named in the error of a timeout. */
  readonly storeTimeoutMs: number;
  readonly #deadlines = new DeadlineList(systemClock);
  /** The decisions sent in the current synchronous run, whose timeouts start when it ends. */
  readonly #starting: PendingDecision[] = [];
  readonly #startAll = (): void => this.#startRun();

  /** @param storeTimeoutMs - the store's `timeoutMs`, named in the error of a timeout */
  constructor(storeTimeoutMs: number) {
    this.storeTimeoutMs = storeTimeoutMs;
  }

  /** The error of a decision that Redis did not answer in time. */
  timeoutError(): RedisStoreError {
    return new RedisStoreError(`Redis did not answer within ${this.storeTimeoutMs} ms`);
  }

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
