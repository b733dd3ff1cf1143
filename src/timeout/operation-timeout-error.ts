/**
 * The error a {@link Timeout} raises when its time runs out.
 * @module
 */
import { BulwarkError, ErrorCode } from '../core/errors';

/**
 * A Timeout's own time limit ran out before the operation settled. Raised only when the Timeout's
 * timer fired: a caller's abort surfaces as the caller's own reason, never as this error.
 */
export class OperationTimeoutError extends BulwarkError {
  /** How long the Timeout waited, in ms: its `timeoutMs`, or less when a deadline budget was shorter. */
  readonly timeoutMs: number;
  /** Name of the Timeout instance that fired. */
  readonly policyName: string;
  /**
   * What set the limit that ran out: `'timeout'` for the Timeout's own `timeoutMs`, `'deadline'`
   * when the caller's deadline budget was earlier.
   */
  readonly trigger: 'timeout' | 'deadline';

  /**
   * @param policyName - name of the Timeout that fired
   * @param timeoutMs - how long it waited, in ms
   * @param trigger - whether its own `timeoutMs` or the caller's deadline set the limit
   * @param options - `cause`: the operation's own error, when a cooperative operation failed after the timeout
   */
  constructor(
    policyName: string,
    timeoutMs: number,
    trigger: 'timeout' | 'deadline' = 'timeout',
    options?: { cause?: unknown },
  ) {
    const what = trigger === 'deadline' ? 'the deadline budget' : 'the time limit';
    super(ErrorCode.OperationTimeout, `Operation timed out after ${timeoutMs} ms (${what} of "${policyName}")`, options);
    this.timeoutMs = timeoutMs;
    this.policyName = policyName;
    this.trigger = trigger;
  }

  override get name(): string {
    return 'OperationTimeoutError';
  }
}
