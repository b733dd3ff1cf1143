/**
 * The error a {@link Bulkhead} refuses calls with.
 * @module
 */
import { ErrorCode, RejectedError } from '../core/errors';

/**
 * Why a bulkhead refused a call: `queueFull` when every slot was busy and the queue full,
 * `queueTimeout` when it waited in the queue for `maxWaitMs` or until its deadline.
 */
export type BulkheadRejectionReason = 'queueFull' | 'queueTimeout';

/**
 * A bulkhead refused the call: every slot was busy and the queue full (`queueFull`), or the call
 * waited in the queue past `maxWaitMs` or its deadline (`queueTimeout`).
 */
export class BulkheadRejectedError extends RejectedError {
  declare readonly reason: BulkheadRejectionReason;

  /**
   * @param policyName - name of the bulkhead
   * @param reason - `queueFull` or `queueTimeout`
   * @param retryAfterMs - hint for when to try again, in ms
   */
  constructor(policyName: string, reason: BulkheadRejectionReason, retryAfterMs = 0) {
    const what = reason === 'queueFull' ? 'all slots busy and the queue full' : 'waited too long in the queue';
    super(ErrorCode.BulkheadRejected, `Bulkhead "${policyName}" rejected the call: ${what}`, policyName, reason, retryAfterMs);
  }

  override get name(): string {
    return 'BulkheadRejectedError';
  }
}
