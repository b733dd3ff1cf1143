/**
 * The error a {@link Backpressure} rejects a waiting call with.
 * @module
 */
import { ErrorCode, RejectedError } from '../core/errors';

/**
 * Why a call waiting for a pause to end was rejected: `queueTimeout` when it waited `maxWaitMs`,
 * `deadline` when its deadline came first.
 */
export type BackpressureRejectionReason = 'queueTimeout' | 'deadline';

/** A call waited for paused backpressure to resume for longer than `maxWaitMs` (or its deadline allowed). */
export class BackpressureTimeoutError extends RejectedError {
  declare readonly reason: BackpressureRejectionReason;
  /** How long it waited, in ms. */
  readonly waitedMs: number;

  /**
   * @param policyName - name of the backpressure instance
   * @param reason - whether `maxWaitMs` or the deadline ended the wait
   * @param waitedMs - how long the call waited, in ms
   */
  constructor(policyName: string, reason: BackpressureRejectionReason, waitedMs: number) {
    const limit = reason === 'deadline' ? 'its deadline' : 'maxWaitMs';
    super(
      ErrorCode.BackpressureTimeout,
      `Backpressure "${policyName}" stayed paused past ${limit}: the call was not made`,
      policyName,
      reason,
      0,
    );
    this.waitedMs = waitedMs;
  }

  override get name(): string {
    return 'BackpressureTimeoutError';
  }
}
